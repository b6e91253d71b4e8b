"""The reminder's Confirm and Cancel links: once, twice (a plain page saying what happened),
expired, for a cancelled appointment, inside and outside the cancellation window; the answer
on the appointment and in My Schedule. The reminder task's body is called directly here (the
worker itself is exercised in test_reminder_worker.py)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.test import Client as HttpClient
from django.urls import reverse
from django.utils.html import escape

from teletherapy.reminders.models import Answer, Reminder, ReminderSettings
from teletherapy.reminders.tasks import send_reminder_now
from teletherapy.scheduling import services as scheduling
from teletherapy.scheduling.models import Appointment

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)  # Monday 10:00 AM EST
START = datetime(2026, 3, 5, 15, 0, tzinfo=UTC)  # Thursday 10:00 AM EST
LINK = re.compile(r"http://[^/\s]+(/r/(confirm|cancel|join)/[A-Za-z0-9_-]+/)")


@pytest.fixture
def booked(cast, django_capture_on_commit_callbacks):
    with time_machine.travel(T0, tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            appointment = scheduling.book_appointment(
                therapist=cast.therapist,
                client=cast.client_with_portal,
                start=START,
                is_teletherapy=True,
                by=cast.therapist,
            )
    return appointment


def send_first_reminder(appointment: Appointment, at: datetime | None = None) -> dict[str, str]:
    """Run the 2-day email reminder's task body; {kind: path} of the links it carries."""
    reminder = appointment.reminders.get(channel="email", label="2 days")
    mail.outbox.clear()
    with time_machine.travel(at or reminder.send_at, tick=False):
        assert send_reminder_now(reminder_id=reminder.pk) == "sent"
    (message,) = mail.outbox
    return {kind: path for path, kind in LINK.findall(str(message.body))}


def _open(path: str, at: datetime) -> tuple[HttpClient, str]:
    http = HttpClient()
    with time_machine.travel(at, tick=False):
        response = http.get(path)
    assert response.status_code == 302
    # The token leaves the URL at once.
    assert path.split("/")[-2] not in response["Location"]
    return http, response["Location"]


def test_confirm_once_shows_on_the_appointment_and_in_my_schedule(cast, booked) -> None:
    paths = send_first_reminder(booked)
    assert set(paths) == {"confirm", "cancel"}  # no join link: the practice setting is off
    at = START - timedelta(days=1)
    http, page = _open(paths["confirm"], at)
    with time_machine.travel(at, tick=False):
        shown = http.get(page)
        assert shown.status_code == 200
        text = shown.content.decode()
        assert "Thursday March 5, 2026, 10:00 AM EST (America/New York)" in text
        assert "Tess Therapist" in text
        # Opening the page answers nothing (a mail scanner's GET confirms nothing).
        assert not Answer.objects.filter(appointment=booked).exists()
        done = http.post(page)
        assert done.status_code == 200
        assert "Your appointment is confirmed" in done.content.decode()
        # Twice: a plain page that says what happened.
        again = http.post(page)
        assert again.status_code == 400
        assert "already confirmed" in again.content.decode()
        reopened_http, reopened = _open(paths["confirm"], at)
        assert "already confirmed" in reopened_http.get(reopened).content.decode()
        staff = cast.client_for("therapist")
        details = staff.get(
            reverse("scheduling:appointment", kwargs={"appointment_id": booked.pk})
        ).content.decode()
        assert "Confirmed" in details
        week = staff.get(reverse("scheduling:my_schedule") + "?date=2026-03-05").content.decode()
        assert "Confirmed" in week
    answer = Answer.objects.get(appointment=booked)
    assert answer.kind == "confirmed" and answer.for_start == START


def test_confirm_expired_and_for_a_cancelled_appointment(cast, booked) -> None:
    paths = send_first_reminder(booked)
    # Expired: the appointment has started.
    http, page = _open(paths["confirm"], START + timedelta(seconds=1))
    with time_machine.travel(START + timedelta(seconds=1), tick=False):
        response = http.get(page)
    assert response.status_code == 400 and "expired" in response.content.decode()
    # Valid until exactly the start.
    http, page = _open(paths["confirm"], START)
    with time_machine.travel(START, tick=False):
        assert http.get(page).status_code == 200
        scheduling.cancel_appointment(appointment=booked, by=cast.therapist, reason="Ill")
        response = http.post(page)
    assert response.status_code == 400
    assert "This appointment was cancelled" in response.content.decode()
    assert not Answer.objects.filter(appointment=booked).exists()


def test_cancel_outside_the_window_cancels_and_withdraws(
    cast, booked, django_capture_on_commit_callbacks
) -> None:
    paths = send_first_reminder(booked)
    deadline = START - timedelta(hours=24)  # the default window: 24 hours
    http, page = _open(paths["cancel"], deadline)
    with time_machine.travel(deadline, tick=False):
        shown = http.get(page).content.decode()
        assert "Please cancel at least 24 hours before your appointment" in shown
        assert "Cancel this appointment" in shown
        with django_capture_on_commit_callbacks(execute=True):
            done = http.post(page)
        assert done.status_code == 200 and "Your appointment is cancelled" in done.content.decode()
        booked.refresh_from_db()
        assert booked.status == Appointment.Status.CANCELLED
        assert not booked.reminders.filter(status=Reminder.Status.PLANNED).exists()
        assert booked.changes.filter(summary__contains="Cancelled by the client").exists()
        again = http.post(page)
    assert again.status_code == 400
    assert "already" in again.content.decode()


def test_cancel_inside_the_window_shows_the_policy_and_changes_nothing(cast, booked) -> None:
    ReminderSettings.objects.create(
        practice=cast.practice,
        cancellation_window_hours=24,
        cancellation_policy="Late cancellations are charged $50.",
    )
    paths = send_first_reminder(booked)
    late = START - timedelta(hours=24) + timedelta(seconds=1)
    http, page = _open(paths["cancel"], late)
    with time_machine.travel(late, tick=False):
        shown = http.get(page)
        text = shown.content.decode()
        assert shown.status_code == 200
        assert escape("Late cancellations are charged $50.") in text
        assert "too late to cancel online" in text
        assert "Cancel this appointment" not in text
        refused = http.post(page)
    assert refused.status_code == 400
    assert "too late to cancel online" in refused.content.decode()
    booked.refresh_from_db()
    assert booked.status == Appointment.Status.SCHEDULED


def test_a_moved_appointment_is_no_longer_confirmed(
    cast, booked, django_capture_on_commit_callbacks
) -> None:
    paths = send_first_reminder(booked)
    at = START - timedelta(days=1)
    http, page = _open(paths["confirm"], at)
    with time_machine.travel(at, tick=False):
        http.post(page)
        with django_capture_on_commit_callbacks(execute=True):
            scheduling.change_appointment(
                appointment=booked, by=cast.therapist, start=START + timedelta(days=1)
            )
        details = (
            cast.client_for("therapist")
            .get(reverse("scheduling:appointment", kwargs={"appointment_id": booked.pk}))
            .content.decode()
        )
    assert "Confirmed" not in details
    # The old reminder's Cancel link answers for the old time only: it says so, and
    # cancels nothing (nor does its Confirm, already used above).
    http, page = _open(paths["cancel"], at)
    with time_machine.travel(at, tick=False):
        shown = http.get(page)
        assert shown.status_code == 400 and "has moved" in shown.content.decode()
        assert http.post(page).status_code == 400
    booked.refresh_from_db()
    assert booked.status == Appointment.Status.SCHEDULED
    # Its reminders were planned again for the new time.
    assert set(booked.reminders.filter(status="planned").values_list("for_start", flat=True)) == {
        START + timedelta(days=1)
    }


def test_links_of_a_newer_reminder_replace_the_older_ones(cast, booked) -> None:
    first = send_first_reminder(booked)
    reminder = booked.reminders.get(channel="email", label="2 hours")
    with time_machine.travel(reminder.send_at, tick=False):
        send_reminder_now(reminder_id=reminder.pk)
        http, page = _open(first["confirm"], reminder.send_at)
        response = http.get(page)
    assert response.status_code == 400 and "not valid" in response.content.decode()


def test_reminder_email_through_smtp_names_as_typed_and_no_clinical_details(
    cast, booked, smtp_server
) -> None:
    """The tests/test_email_text.py pattern: plain text is not HTML; no clinical details."""
    from teletherapy.test.browser import text_of
    from tests.test_email_text import NAME, _check

    cast.practice.name = NAME
    cast.practice.save()
    booked.staff_note = "PHI-NOTE: anxiety, sertraline"
    booked.save()
    reminder = booked.reminders.get(channel="email", label="2 days")
    with time_machine.travel(reminder.send_at, tick=False):
        assert send_reminder_now(reminder_id=reminder.pk) == "sent"
    message = smtp_server.wait_for(to=cast.client_with_portal.email)
    assert "reminder" in str(message["Subject"])
    _check(message)
    text = text_of(message) + str(message["Subject"])
    for secret in ("PHI-NOTE", "anxiety", "sertraline", "90834", "Psychotherapy", "1990", "05/17"):
        assert secret not in text


def test_cancelling_one_session_of_a_series_drops_that_day_from_the_calendar(
    cast, django_capture_on_commit_callbacks
) -> None:
    """Through the same cancel as staff use: the series lists the day among its exceptions
    and the client's one calendar entry for the series is updated (no stray single event)."""
    from icalendar import Calendar

    from teletherapy.scheduling import recurrence, series

    local = START.astimezone(ZoneInfo("America/New_York"))
    with time_machine.travel(T0, tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            weekly = series.book_series(
                therapist=cast.therapist,
                client=cast.client_with_portal,
                first_day=local.date(),
                at=local.time().replace(tzinfo=None),
                repeats=recurrence.WEEKLY,
                count=3,
                is_teletherapy=True,
                by=cast.therapist,
            )
    first = weekly.occurrences.order_by("start")[0]
    paths = send_first_reminder(first)
    deadline = START - timedelta(hours=24)
    http, page = _open(paths["cancel"], deadline)
    mail.outbox.clear()
    with time_machine.travel(deadline, tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            assert http.post(page).status_code == 200
    weekly.refresh_from_db()
    assert weekly.exdates == [START.isoformat()]
    (message,) = [m for m in mail.outbox if cast.client_with_portal.email in m.to]
    (ics,) = [a for a in message.attachments if a[0].endswith(".ics")]
    calendar = Calendar.from_ical(ics[1])
    (master,) = [e for e in calendar.walk("VEVENT") if "RRULE" in e]
    assert str(master["UID"]).startswith(f"series-{weekly.pk}@")
    exdate: Any = master["EXDATE"]
    excluded = [d.dt for d in exdate.dts]
    assert excluded == [START]
    assert list(weekly.occurrences.values_list("status", flat=True)) == [
        "cancelled",
        "scheduled",
        "scheduled",
    ]


def test_the_email_and_the_text_of_one_reminder_both_keep_working_links(
    cast, django_capture_on_commit_callbacks, settings, tmp_path
) -> None:
    """With email and text chosen, the email and the text of the same reminder time are
    sent moments apart: the second must not void the first one's links."""
    from teletherapy.reminders.models import Channels
    from teletherapy.reminders.services import record_text_consent

    settings.SMS_BACKEND = "console"
    settings.SMS_FILE_PATH = tmp_path / "sms"
    ReminderSettings.objects.create(practice=cast.practice, channels=Channels.BOTH)
    casey = cast.client_with_portal
    casey.mobile_phone = "+12125550123"
    casey.save()
    with time_machine.travel(T0, tick=False):
        record_text_consent(client=casey, by=cast.therapist, agreed=True)
        with django_capture_on_commit_callbacks(execute=True):
            appointment = scheduling.book_appointment(
                therapist=cast.therapist,
                client=casey,
                start=START,
                is_teletherapy=True,
                by=cast.therapist,
            )
    emailed = send_first_reminder(appointment)
    text = appointment.reminders.get(channel="text", label="2 days")
    with time_machine.travel(text.send_at, tick=False):
        assert send_reminder_now(reminder_id=text.pk) == "sent"
    texted = {
        k: p for p, k in LINK.findall((tmp_path / "sms").glob("*.txt").__next__().read_text())
    }
    assert texted["confirm"] != emailed["confirm"]
    for path in (emailed["confirm"], texted["confirm"]):
        http, page = _open(path, text.send_at)
        with time_machine.travel(text.send_at, tick=False):
            response = http.get(page)
        assert response.status_code == 200, path
        assert "not valid" not in response.content.decode()
