"""The launch window: from 15 minutes before the start to the end plus the grace period."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.urls import reverse

from teletherapy.scheduling.models import Appointment
from teletherapy.video import services
from teletherapy.video.access import CallClosed, get_call_for
from teletherapy.video.tests.conftest import make_tele_appointment

pytestmark = pytest.mark.django_db

# 10:00 AM in New York (EST) on a day after the cast was built.
START = datetime(2026, 12, 15, 15, 0, tzinfo=UTC)


@pytest.fixture
def call(cast):
    return make_tele_appointment(cast, start=START, minutes=50)


def _users(cast):
    return (cast.therapist.user, cast.client_with_portal.user)


@pytest.mark.parametrize(
    ("moment", "open_"),
    [
        (START - timedelta(minutes=15, seconds=1), False),
        (START - timedelta(minutes=15), True),
        (START, True),
        (START + timedelta(minutes=50 + 30), True),
        (START + timedelta(minutes=50 + 30, seconds=1), False),
    ],
)
def test_window_edges(cast, call, moment, open_) -> None:
    with time_machine.travel(moment, tick=False):
        assert (services.window_state(call) == "open") is open_
        for user in _users(cast):
            if open_:
                assert get_call_for(user, call.pk)[0] == call
            else:
                with pytest.raises(CallClosed):
                    get_call_for(user, call.pk)


def test_grace_period_is_a_setting(cast, call, settings) -> None:
    settings.TELETHERAPY_GRACE_MINUTES = 5
    with time_machine.travel(START + timedelta(minutes=55), tick=False):
        assert services.window_state(call) == "open"
    with time_machine.travel(START + timedelta(minutes=55, seconds=1), tick=False):
        assert services.window_state(call) != "open"


def test_cancelled_and_office_appointments_never_open(cast, call) -> None:
    office = make_tele_appointment(
        cast, start=START, is_teletherapy=False, location=Appointment.Location.OFFICE
    )
    call.status = Appointment.Status.CANCELLED
    call.save()
    with time_machine.travel(START, tick=False):
        for appointment in (call, office):
            assert services.window_state(appointment) == "unavailable"
            for user in _users(cast):
                with pytest.raises(CallClosed):
                    get_call_for(user, appointment.pk)


def test_join_from_text_in_the_viewers_zone(cast, call) -> None:
    same_day = START - timedelta(hours=1)
    assert services.join_from_text(call, "America/New_York", now=same_day) == (
        "You can join from 9:45 AM EST"
    )
    assert services.join_from_text(call, "America/Los_Angeles", now=same_day) == (
        "You can join from 6:45 AM PST"
    )
    assert services.join_from_text(call, "America/New_York", now=START - timedelta(days=2)) == (
        "You can join from 9:45 AM EST on Tue, Dec 15"
    )


def test_the_appointment_alert_before_and_in_the_window(cast, call) -> None:
    request = RequestFactory().get("/")
    request.user = cast.therapist.user
    with time_machine.travel(START - timedelta(minutes=16), tick=False):
        html = render_to_string(
            "video/_appointment_alert.html", {"appointment": call}, request=request
        )
        assert "You can join from 9:45 AM EST" in html
        assert "Start" not in html
    with time_machine.travel(START - timedelta(minutes=15), tick=False):
        html = render_to_string(
            "video/_appointment_alert.html", {"appointment": call}, request=request
        )
        assert "Your Teletherapy session with Casey Client at 10:00 AM EST is ready" in html
        assert reverse("video:check", kwargs={"appointment_id": call.pk}) in html
        assert ">Start<" in html


def test_the_page_says_when_it_opens(cast, call) -> None:
    with time_machine.travel(START - timedelta(minutes=15, seconds=1), tick=False):
        response = cast.client_for("client").get(
            reverse("portal_video:check", kwargs={"appointment_id": call.pk})
        )
        assert response.status_code == 403
        assert "You can join from 9:45 AM EST" in response.content.decode()
    with time_machine.travel(START - timedelta(minutes=15), tick=False):
        response = cast.client_for("client").get(
            reverse("portal_video:check", kwargs={"appointment_id": call.pk})
        )
        assert response.status_code == 200


def test_other_people_are_refused_even_in_the_window(cast, call) -> None:
    from django.http import Http404

    with time_machine.travel(START, tick=False):
        # Owner and Scheduler can see the appointment (as on My Schedule) but are not in it.
        for user in (cast.owner.user, cast.scheduler.user):
            with pytest.raises(PermissionDenied) as refused:
                get_call_for(user, call.pk)
            # Refused as not its therapist: not as a closed call, which is a PermissionDenied too.
            assert refused.type is PermissionDenied, refused.type
            assert str(refused.value) == "Only the appointment's therapist can join this session."
        # Another therapist's appointment is a 404, as on its scheduling pages.
        for user in (
            cast.therapist_plain.user,
            cast.biller.user,
            cast.other_owner.user,
            cast.other_therapist.user,
            cast.other_client.user,
        ):
            with pytest.raises(Http404):
                get_call_for(user, call.pk)
        cast.therapist.teletherapy_enabled = False
        cast.therapist.save()
        with pytest.raises(PermissionDenied) as refused:
            get_call_for(cast.therapist.user, call.pk)
        assert refused.type is PermissionDenied, refused.type
        assert str(refused.value) == "Teletherapy is not switched on for you."


def test_a_deactivated_therapists_session_is_not_offered_to_the_client(cast, call) -> None:  # type: ignore[no-untyped-def]
    from teletherapy.video.prompts import client_prompts

    client = cast.client_with_portal
    with time_machine.travel(START, tick=False):
        assert [a.pk for a in services.ready_for_client(client)] == [call.pk]
        cast.therapist.user.is_active = False
        cast.therapist.user.save()
        call.refresh_from_db()
        assert not call.is_teletherapy_session
        assert services.ready_for_client(client) == []
        assert client_prompts(client) == []
        with pytest.raises(CallClosed) as closed:
            get_call_for(client.user, call.pk)
        assert closed.value.state == "unavailable"
