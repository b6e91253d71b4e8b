"""The device check, where the client is, the Telehealth Waiting Room, prompts and History."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from teletherapy.lib.clock import time_text
from teletherapy.video.models import Participation, VideoSession
from teletherapy.video.services import join_call, leave_call
from teletherapy.video.tests.conftest import make_tele_appointment

pytestmark = pytest.mark.django_db


def _url(name: str, call) -> str:
    return reverse(name, kwargs={"appointment_id": call.pk})


def test_therapist_device_check_has_the_controls_and_start(cast, open_call) -> None:
    html = cast.client_for("therapist").get(_url("video:check", open_call)).content.decode()
    assert "Allow camera and microphone" in html
    assert 'id="mic-level"' in html and 'data-device="camera"' in html
    assert 'data-device="speaker"' in html
    assert "Safari on an iPhone or iPad" in html and "Chrome on Android" in html
    assert "built-in browser" in html
    assert 'id="start-call">Start<' in html and 'data-prejoin="1"' in html
    assert 'data-ws-path="/ws/sessions/' in html
    assert "<script>" not in html and "style=" not in html and "onclick" not in html
    html = cast.client_for("client").get(_url("portal_video:check", open_call)).content.decode()
    assert "Allow camera and microphone" in html and 'id="mic-level"' in html
    assert "data-ws-path" not in html


def test_client_states_a_us_location_before_joining(cast, open_call) -> None:
    http = cast.client_for("client")
    # The room sends them to the check first.
    response = http.get(_url("portal_video:room", open_call))
    assert response.status_code == 302
    assert response["Location"] == _url("portal_video:check", open_call)

    html = http.get(_url("portal_video:check", open_call)).content.decode()
    assert "Where are you right now?" in html and "Outside the U.S." in html

    response = http.post(_url("portal_video:check", open_call), {"location": ""})
    assert response.status_code == 200
    assert "Choose the state you are in right now." in response.content.decode()

    response = http.post(_url("portal_video:check", open_call), {"location": "ZZ"})
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not VideoSession.objects.filter(appointment=open_call).exists()

    response = http.post(_url("portal_video:check", open_call), {"location": "outside"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "Teletherapy is for U.S. residents and U.S. locations only." in html
    assert 'id="join"' not in html
    assert not VideoSession.objects.filter(appointment=open_call).exists()

    response = http.post(_url("portal_video:check", open_call), {"location": "NJ"})
    assert response.status_code == 302
    assert response["Location"] == _url("portal_video:room", open_call)
    assert VideoSession.objects.get(appointment=open_call).client_location == "NJ"
    assert http.get(_url("portal_video:room", open_call)).status_code == 200


def test_the_waiting_room_shows_the_details(cast, open_call) -> None:
    VideoSession.objects.create(appointment=open_call, client_location="CA")
    html = cast.client_for("therapist").get(_url("video:room", open_call)).content.decode()
    assert '<h1 id="waiting-title">Telehealth Waiting Room</h1>' in html
    assert "Waiting for Casey Client to join" in html
    assert "Maple Counseling" in html
    assert time_text(open_call.start, "America/New_York") in html
    assert "California" in html
    assert (
        "You have no license listed for" in html
        and 'id="license-warning" class="alert warn" >' in html
    )
    assert "playsinline" in html

    html = cast.client_for("client").get(_url("portal_video:room", open_call)).content.decode()
    assert "Waiting for Tess Therapist to join" in html
    assert "California" not in html and "license" not in html


def test_licensed_state_shows_no_warning(cast, open_call) -> None:
    VideoSession.objects.create(appointment=open_call, client_location="NY")
    html = cast.client_for("therapist").get(_url("video:room", open_call)).content.decode()
    assert "New York" in html
    assert 'id="license-warning" class="alert warn" hidden' in html


def test_prompts_appear_when_the_window_opens(cast) -> None:
    later = make_tele_appointment(cast, start=timezone.now() + timedelta(minutes=16))
    soon = make_tele_appointment(cast, start=timezone.now() + timedelta(minutes=14))
    staff = cast.client_for("therapist").get(reverse("video:ready"), HTTP_X_BACKGROUND="1").json()
    assert staff["count"] == 1
    start_text = time_text(soon.start, "America/New_York")
    assert f"Your Teletherapy session with Casey Client at {start_text} is ready" in staff["html"]
    assert _url("video:check", soon) in staff["html"] and ">Start<" in staff["html"]
    assert _url("video:check", later) not in staff["html"]

    portal = (
        cast.client_for("client").get(reverse("portal_video:ready"), HTTP_X_BACKGROUND="1").json()
    )
    assert (
        f"Your Teletherapy session with Tess Therapist at {start_text} is ready" in portal["html"]
    )
    assert _url("portal_video:check", soon) in portal["html"] and "Join session" in portal["html"]
    assert "You can join from" in portal["html"]  # the later one, not open yet

    # Nobody else is prompted.
    for persona in ("therapist_plain", "owner", "other_owner"):
        assert cast.client_for(persona).get(reverse("video:ready")).json()["count"] == 0
    assert (
        cast.client_for("other_client").get(reverse("portal_video:ready")).json()["html"].strip()
        == ""
    )


def test_prompt_includes_render_with_the_poller(cast, open_call) -> None:
    request = RequestFactory().get("/")
    request.user = cast.therapist.user
    request.staff = cast.therapist  # type: ignore[attr-defined]
    html = render_to_string("video/_staff_prompts.html", {}, request=request)
    assert 'data-poll-url="/sessions/ready/"' in html and "js/call/prompts.js" in html
    assert "is ready" in html
    request.user = cast.client_with_portal.user
    html = render_to_string(
        "video/_portal_prompts.html", {"client": cast.client_with_portal}, request=request
    )
    assert 'data-poll-url="/portal/sessions/ready/"' in html and "Join session" in html


def test_history_shows_the_session_record(cast, open_call) -> None:
    VideoSession.objects.create(appointment=open_call, client_location="CA")
    client = join_call(
        appointment=open_call, user=cast.client_with_portal.user, role="client", channel_name="a"
    )
    therapist = join_call(
        appointment=open_call, user=cast.therapist.user, role="therapist", channel_name="b"
    )
    assert therapist.started and therapist.peer_channel == "a"
    leave_call(participation_id=client.participation.pk)
    assert leave_call(participation_id=therapist.participation.pk).ended
    request = RequestFactory().get("/")
    request.user = cast.owner.user
    html = render_to_string(
        "video/_appointment_history.html", {"appointment": open_call}, request=request
    )
    assert "Teletherapy session" in html and "California (no license listed" in html
    assert "Casey Client (Client)" in html and "Tess Therapist (Therapist)" in html
    assert "EST" in html or "EDT" in html
    assert "No audio or video is recorded." in html
    assert Participation.objects.filter(left_at__isnull=True).count() == 0


def test_prompt_polls_cost_the_same_however_many_sessions(cast, django_assert_num_queries) -> None:
    for minutes in (1, 3, 5, 7, 9):
        make_tele_appointment(cast, start=timezone.now() + timedelta(minutes=minutes))
    therapist, client = cast.client_for("therapist"), cast.client_for("client")
    therapist.get(reverse("video:ready"))  # warm the session
    client.get(reverse("portal_video:ready"))
    # Session, user, staff membership, the appointments with their clients, and the other
    # clients of joint sessions (one prefetch for all).
    with django_assert_num_queries(5):
        assert therapist.get(reverse("video:ready"), HTTP_X_BACKGROUND="1").json()["count"] == 5
    # Session, user, client, open and upcoming appointments, the menu's staff lookup.
    with django_assert_num_queries(6):
        html = client.get(reverse("portal_video:ready"), HTTP_X_BACKGROUND="1").json()["html"]
        assert html.count("Join session") == 5


def test_my_schedule_shows_the_alert_and_the_record(cast, open_call) -> None:
    """The includes in place on the appointment's Details and History tabs."""
    therapist = cast.client_for("therapist")
    details = therapist.get(
        reverse("scheduling:appointment", kwargs={"appointment_id": open_call.pk})
    ).content.decode()
    assert "Your Teletherapy session with Casey Client at" in details and "is ready" in details
    assert f'href="{_url("video:check", open_call)}"' in details

    VideoSession.objects.create(appointment=open_call, client_location="NJ")
    joined = join_call(
        appointment=open_call, user=cast.client_with_portal.user, role="client", channel_name="x"
    )
    leave_call(participation_id=joined.participation.pk)
    history = (
        cast.client_for("owner")
        .get(reverse("scheduling:appointment_history", kwargs={"appointment_id": open_call.pk}))
        .content.decode()
    )
    assert "Teletherapy session" in history and "New Jersey" in history
    assert "Not started (both people were never present together)" in history
    assert "Casey Client (Client)" in history
