"""Where the client says they are: stored once per change, audited, only by their own client."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from teletherapy.audit.models import Action, AuditEvent
from teletherapy.video import services
from teletherapy.video.models import VideoSession

pytestmark = pytest.mark.django_db


def test_the_stated_location_is_audited_once_per_change(cast) -> None:  # type: ignore[no-untyped-def]
    appointment, client = cast.tele_appointment, cast.client_with_portal
    for location in ("NY", "NY", "NJ"):
        services.set_client_location(appointment=appointment, by=client, location=location)
    rows = AuditEvent.objects.filter(action=Action.SESSION_LOCATION).order_by("id")
    assert [(r.details["before"], r.details["after"]) for r in rows] == [("", "NY"), ("NY", "NJ")]
    assert all(r.actor == client.user and r.practice == cast.practice for r in rows)
    assert VideoSession.objects.get(appointment=appointment).client_location == "NJ"


def test_only_the_appointments_client_states_it(cast) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(PermissionDenied):
        services.set_client_location(
            appointment=cast.tele_appointment, by=cast.other_client, location="NY"
        )
    with pytest.raises(ValueError):
        services.set_client_location(
            appointment=cast.tele_appointment, by=cast.client_with_portal, location="outside"
        )
    assert not VideoSession.objects.filter(client_location__gt="").exists()
    assert not AuditEvent.objects.filter(action=Action.SESSION_LOCATION).exists()
