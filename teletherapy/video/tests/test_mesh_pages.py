"""A couple's session on the pages: the group call's room (privacy between the clients), each
person's own location check, and the session record with each person's location and the
events about one person."""

from __future__ import annotations

import pytest
from django.template.loader import render_to_string
from django.test import Client as HttpClient
from django.test import RequestFactory
from django.urls import reverse

from teletherapy.alerts.waiting import alert_payload
from teletherapy.video import services
from teletherapy.video.models import PersonLocation, SessionEvent
from teletherapy.video.tests.conftest import make_tele_appointment
from teletherapy.video.tests.test_mesh_consumer import make_partner

pytestmark = pytest.mark.django_db


@pytest.fixture
def couple(cast):  # type: ignore[no-untyped-def]
    call = make_tele_appointment(cast)
    partner = make_partner(cast)
    call.additional_clients.add(partner)
    return call, partner


def _as(user) -> HttpClient:  # type: ignore[no-untyped-def]
    http = HttpClient()
    http.force_login(user)
    return http


def test_each_client_states_their_own_location_before_the_room(cast, couple) -> None:  # type: ignore[no-untyped-def]
    call, partner = couple
    services.set_client_location(appointment=call, by=cast.client_with_portal, location="NJ")
    pat = _as(partner.user)
    room = reverse("portal_video:room", kwargs={"appointment_id": call.pk})
    check = reverse("portal_video:check", kwargs={"appointment_id": call.pk})
    # Casey's location is Casey's: Pat is still asked for theirs.
    assert pat.get(room)["Location"] == check
    assert pat.post(check, {"location": "VT"})["Location"] == room
    html = pat.get(room).content.decode()
    assert "mesh.js" in html and "/mesh/" in html
    # Pat sees the therapist, never Casey's name or location.
    assert "Tess Therapist" in html
    assert "Casey" not in html and "New Jersey" not in html
    assert PersonLocation.objects.get(client=partner).code == "VT"


def test_the_therapist_sees_everyone_and_the_record_each_person(cast, couple) -> None:  # type: ignore[no-untyped-def]
    call, partner = couple
    services.set_client_location(appointment=call, by=cast.client_with_portal, location="NJ")
    services.set_client_location(appointment=call, by=partner, location="VT")
    html = (
        _as(cast.therapist.user)
        .get(reverse("video:room", kwargs={"appointment_id": call.pk}))
        .content.decode()
    )
    assert "Casey Client and Pat Partner" in html
    session = call.video_session
    SessionEvent.objects.create(
        session=session, kind=SessionEvent.Kind.HOLD, by=cast.therapist.user, about=partner
    )
    request = RequestFactory().get("/")
    request.user = cast.owner.user
    record = render_to_string(
        "video/_appointment_history.html", {"appointment": call}, request=request
    )
    assert "Casey Client: New Jersey" in record
    assert "Pat Partner: Vermont (no license listed for this state)" in record
    assert "Put the client on hold: Pat Partner" in record


def test_the_check_in_alert_lists_who_is_waiting(cast, couple) -> None:  # type: ignore[no-untyped-def]
    call, partner = couple
    services.join_call(
        appointment=call, user=cast.client_with_portal.user, role="client", channel_name="a"
    )
    assert alert_payload(cast.therapist, call)["client_name"] == "Casey Client"
    services.join_call(appointment=call, user=partner.user, role="client", channel_name="b")
    payload = alert_payload(cast.therapist, call)
    assert payload["client_name"] == "Casey Client and Pat Partner" and payload["several"]
