"""The client services check the acting staff member's authority themselves, so a caller that
forgets the view's check still cannot change another practice's or another therapist's client."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from teletherapy.audit.models import AuditEvent
from teletherapy.clients import services
from teletherapy.clients.models import Client

pytestmark = pytest.mark.django_db


def test_roles_without_my_clients_cannot_add_clients(cast) -> None:  # type: ignore[no-untyped-def]
    fields = {"first_name": "New", "last_name": "Person", "date_of_birth": "1990-01-01"}
    with pytest.raises(PermissionDenied):
        services.create_client(by=cast.biller, fields=fields)
    with pytest.raises(PermissionDenied):  # another practice's therapist cannot be assigned
        services.create_client(by=cast.owner, fields=fields, therapists=[cast.other_therapist])
    assert not Client.objects.filter(first_name="New").exists()


def test_only_clients_the_actor_can_see_can_be_changed(cast) -> None:  # type: ignore[no-untyped-def]
    nora = cast.client_without_portal  # assigned to the Teletherapy therapist only
    before = AuditEvent.objects.count()
    with pytest.raises(PermissionDenied):
        services.update_client(client=nora, by=cast.therapist_plain, fields={"city": "X"})
    with pytest.raises(PermissionDenied):
        services.set_client_active(client=nora, by=cast.other_owner, active=False)
    nora.refresh_from_db()
    assert nora.city != "X" and nora.is_active
    assert AuditEvent.objects.count() == before
    assert services.update_client(client=nora, by=cast.therapist, fields={"city": "X"}) == ["city"]


def test_portal_links_are_sent_only_by_staff_who_see_the_client(cast) -> None:  # type: ignore[no-untyped-def]
    from teletherapy.clients.models import PortalInvitation

    nora = cast.client_without_portal
    for by in (cast.therapist_plain, cast.biller, cast.other_owner):
        with pytest.raises(PermissionDenied):
            services.send_portal_invite(client=nora, by=by)
    with pytest.raises(PermissionDenied):
        services.send_portal_reset(client=cast.client_with_portal, by=cast.other_owner)
    assert not PortalInvitation.objects.exists()
    link = services.send_portal_invite(client=nora, by=cast.therapist)
    assert link.sent_by == cast.therapist.user
