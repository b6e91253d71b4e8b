"""Practice Settings that change the practice's own row (details, security, calls): saved
under a row lock, audited once with before and after, nothing written when nothing changes,
and refused for the wrong person or practice."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from teletherapy.audit.models import Action, AuditEvent
from teletherapy.practice import services
from teletherapy.practice.models import Practice

pytestmark = pytest.mark.django_db


def _events(cast, action):  # type: ignore[no-untyped-def]
    return list(AuditEvent.objects.filter(practice=cast.practice, action=action))


def test_details_are_saved_and_audited_once(cast) -> None:  # type: ignore[no-untyped-def]
    changed = services.update_practice(
        practice=cast.practice,
        by=cast.manager,
        name="  Maple Counseling West ",
        state="NJ",
        time_zone="America/Chicago",
    )
    assert changed
    practice = Practice.objects.get(pk=cast.practice.pk)
    assert (practice.name, practice.state, practice.time_zone) == (
        "Maple Counseling West",
        "NJ",
        "America/Chicago",
    )
    [event] = _events(cast, Action.STAFF_UPDATED)
    assert event.details["before"] == {
        "name": "Maple Counseling",
        "state": "NY",
        "time_zone": "America/New_York",
    }
    assert event.details["after"]["name"] == "Maple Counseling West"
    # The same again changes nothing and writes no second row.
    assert not services.update_practice(
        practice=practice,
        by=cast.manager,
        name="Maple Counseling West",
        state="NJ",
        time_zone="America/Chicago",
    )
    assert len(_events(cast, Action.STAFF_UPDATED)) == 1


def test_security_and_call_settings_are_audited_with_before_and_after(cast) -> None:  # type: ignore[no-untyped-def]
    assert services.update_security_settings(
        practice=cast.practice, by=cast.owner, require_two_step=True, idle_minutes=15
    )
    assert services.update_call_privacy(
        practice=cast.practice, by=cast.manager, hide_network_addresses=True
    )
    practice = Practice.objects.get(pk=cast.practice.pk)
    assert (practice.require_two_step, practice.idle_minutes) == (True, 15)
    assert practice.hide_network_addresses
    afters = [e.details["after"] for e in _events(cast, Action.SECURITY_SETTINGS_CHANGED)]
    assert {"require_two_step": True, "idle_minutes": 15} in afters
    assert {"hide_network_addresses": True} in afters


def test_the_wrong_person_or_practice_is_refused(cast) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(PermissionDenied):
        services.update_security_settings(
            practice=cast.practice, by=cast.manager, require_two_step=True, idle_minutes=None
        )
    with pytest.raises(PermissionDenied):
        services.update_practice(
            practice=cast.other_practice,
            by=cast.owner,
            name="Taken over",
            state="NY",
            time_zone="America/New_York",
        )
    assert Practice.objects.get(pk=cast.other_practice.pk).name != "Taken over"
