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


def test_a_word_to_one_person_reaches_only_them(cast, couple) -> None:  # type: ignore[no-untyped-def]
    from teletherapy.alerts import services as alerts
    from teletherapy.alerts.waiting import latest_word

    call, partner = couple
    casey = cast.client_with_portal
    for client in (casey, partner):
        services.set_client_location(appointment=call, by=client, location="NJ")
    alerts.send_word(appointment=call, by=cast.therapist, text="Welcome, both of you.")
    alerts.send_word(appointment=call, by=cast.therapist, text="Pat, a moment.", to=partner.pk)
    to_pat, to_casey = latest_word(call, partner), latest_word(call, casey)
    assert to_pat is not None and to_pat.text == "Pat, a moment."
    assert to_casey is not None and to_casey.text == "Welcome, both of you."
    # Casey's Waiting Room never shows the word to Pat.
    room = reverse("portal_video:room", kwargs={"appointment_id": call.pk})
    assert "Pat, a moment." not in _as(casey.user).get(room).content.decode()
    assert "Pat, a moment." in _as(partner.user).get(room).content.decode()
    # Someone not in the session is refused with a clear message.
    http = _as(cast.therapist.user)
    url = reverse("alerts:word", kwargs={"appointment_id": call.pk})
    bad = http.post(
        url, {"text": "Hi", "to": str(cast.other_client.pk)}, HTTP_ACCEPT="application/json"
    )
    assert bad.status_code == 400 and "Choose someone in this session" in bad.json()["message"]
    bad = http.post(url, {"text": "Hi", "to": "x"}, HTTP_ACCEPT="application/json")
    assert bad.status_code == 400
    ok = http.post(url, {"text": "Hi", "to": str(partner.pk)}, HTTP_ACCEPT="application/json")
    assert ok.status_code == 200 and "Sent to Pat Partner" in ok.json()["message"]
