"""Practice Settings > Calls: "Hide home network addresses" (Owners and Managers), audited,
and every call of the practice then gets iceTransportPolicy "relay" (the live relay/relay
pair is checked in test_quality_browser.py)."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from teletherapy.audit.models import Action, AuditEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def turn_settings(settings):  # type: ignore[no-untyped-def]
    settings.TURN_URLS = ["turn:turn.example.org:3478?transport=udp"]
    settings.TURN_SECRET = "unit-test-secret"
    return settings


def _policy(cast, persona: str, name: str, appointment) -> str:  # type: ignore[no-untyped-def]
    response = cast.client_for(persona).get(
        reverse(name, kwargs={"appointment_id": appointment.pk})
    )
    assert response.status_code == 200
    return json.loads(response.content)["iceTransportPolicy"]


def test_the_tab_says_what_it_costs(cast) -> None:
    html = cast.client_for("manager").get(reverse("practice:calls")).content.decode()
    assert "Hide home network addresses" in html
    assert "through the practice's TURN server" in html
    assert "Mbit/s" in html
    assert 'aria-current="page">Calls</a>' in html
    staff_tabs = cast.client_for("therapist").get(reverse("practice:settings")).content.decode()
    assert reverse("practice:calls") not in staff_tabs


def test_switching_it_on_relays_every_call_and_is_audited(cast, open_call, turn_settings) -> None:
    assert _policy(cast, "therapist", "video:ice", open_call) == "all"
    http = cast.client_for("manager")
    response = http.post(reverse("practice:calls"), {"hide_network_addresses": "on"}, follow=True)
    assert "Call settings saved." in response.content.decode()
    cast.practice.refresh_from_db()
    assert cast.practice.hide_network_addresses
    for persona, name in (("therapist", "video:ice"), ("client", "portal_video:ice")):
        assert _policy(cast, persona, name, open_call) == "relay"
    [event] = AuditEvent.objects.filter(action=Action.SECURITY_SETTINGS_CHANGED)
    assert event.actor == cast.manager.user and event.practice == cast.practice
    assert event.details == {
        "before": {"hide_network_addresses": False},
        "after": {"hide_network_addresses": True},
    }
    # Saving again unchanged writes no second row; switching it off does.
    http.post(reverse("practice:calls"), {"hide_network_addresses": "on"})
    assert AuditEvent.objects.filter(action=Action.SECURITY_SETTINGS_CHANGED).count() == 1
    http.post(reverse("practice:calls"), {})
    assert AuditEvent.objects.filter(action=Action.SECURITY_SETTINGS_CHANGED).count() == 2
    assert _policy(cast, "therapist", "video:ice", open_call) == "all"


def test_another_practice_is_not_affected(cast, turn_settings) -> None:
    cast.client_for("other_owner").post(reverse("practice:calls"), {"hide_network_addresses": "on"})
    cast.practice.refresh_from_db()
    assert not cast.practice.hide_network_addresses


def test_without_a_turn_server_it_cannot_be_switched_on(cast, settings) -> None:
    settings.TURN_URLS = []
    settings.TURN_SECRET = ""
    response = cast.client_for("owner").post(
        reverse("practice:calls"), {"hide_network_addresses": "on"}
    )
    assert response.status_code == 200
    assert "no TURN server set up" in response.content.decode()
    cast.practice.refresh_from_db()
    assert not cast.practice.hide_network_addresses
    assert not AuditEvent.objects.filter(action=Action.SECURITY_SETTINGS_CHANGED).exists()


def test_the_service_refuses_other_roles(cast) -> None:
    from django.core.exceptions import PermissionDenied

    from teletherapy.practice.services import update_call_privacy

    with pytest.raises(PermissionDenied):
        update_call_privacy(practice=cast.practice, by=cast.therapist, hide_network_addresses=True)
    with pytest.raises(PermissionDenied):
        update_call_privacy(
            practice=cast.practice, by=cast.other_owner, hide_network_addresses=True
        )
