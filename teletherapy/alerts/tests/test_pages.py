"""What the alerts app puts on other pages: the client's Waiting Room when the therapist
waits first, the word there, and 'Checked in' on the appointment's Details."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone

from teletherapy.alerts.models import WaitingRoomWord
from teletherapy.video.models import Participation, VideoSession


def _present(session, user, role):  # type: ignore[no-untyped-def]
    return Participation.objects.create(
        session=session, user=user, role=role, channel_name=f"test!{role}"
    )


@pytest.mark.django_db
def test_the_waiting_room_says_the_therapist_is_ready(cast) -> None:  # type: ignore[no-untyped-def]
    appointment = cast.tele_appointment
    session = VideoSession.objects.create(appointment=appointment, client_location="NJ")
    with time_machine.travel(appointment.start - timedelta(minutes=2), tick=True):
        http = cast.client_for("client")
        url = f"/portal/sessions/{appointment.pk}/room/"
        page = http.get(url).content.decode()
        assert "Waiting for Tess Therapist to join" in page
        _present(session, cast.therapist.user, "therapist")
        WaitingRoomWord.objects.create(
            session=session, by=cast.therapist.user, text="I'll be with you in a moment."
        )
        page = http.get(url).content.decode()
    assert "Tess Therapist is ready for you" in page
    assert 'id="waiting-word"' in page and 'aria-live="polite"' in page
    assert "be with you in a moment." in page


@pytest.mark.django_db
def test_the_details_say_when_the_client_checked_in(cast) -> None:  # type: ignore[no-untyped-def]
    appointment = cast.tele_appointment
    session = VideoSession.objects.create(appointment=appointment, client_location="NJ")
    arrival = appointment.start - timedelta(minutes=8)
    with time_machine.travel(arrival, tick=False):
        _present(session, cast.client_with_portal.user, "client")
        page = cast.client_for("therapist").get(f"/schedule/appointments/{appointment.pk}/")
    text = page.content.decode()
    assert "<dt>Checked in</dt>" in text
    local = timezone.localtime(arrival, timezone=ZoneInfo(cast.therapist.time_zone))
    assert f"{local.strftime('%-I:%M %p')} {local.tzname()} · " in text
    assert "In the Waiting Room" in text
