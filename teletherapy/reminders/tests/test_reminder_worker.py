"""Book, move and cancel appointments through the scheduling services: reminders are planned,
re-planned and withdrawn; with the clock moved forward the project's task worker sends
exactly the reminders due, once, by email to the real SMTP server and by text to the local
Messages API server (teletherapy/test/messages_api.py), never in the client's quiet hours
and never after STOP. A provider that fails or times out: retried, then "not delivered"."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.test import Client as HttpClient
from django.urls import reverse
from django_tasks_db.models import DBTaskResult
from twilio.request_validator import RequestValidator

from teletherapy.reminders import services
from teletherapy.reminders.models import Channels, Reminder, ReminderSettings
from teletherapy.reminders.planning import after_quiet_hours
from teletherapy.reminders.tests.conftest import AUTH_TOKEN, CASEY_PHONE
from teletherapy.scheduling import services as scheduling
from teletherapy.test.browser import text_of

pytestmark = [pytest.mark.file_db, pytest.mark.django_db(transaction=True)]

T0 = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)  # Monday 10:00 AM EST
THURSDAY_10 = datetime(2026, 3, 5, 15, 0, tzinfo=UTC)  # 10:00 AM EST
FRIDAY_10 = datetime(2026, 3, 6, 15, 0, tzinfo=UTC)
NY = "America/New_York"


@pytest.fixture
def setup(cast, database_tasks, smtp_server, messages_api):
    ReminderSettings.objects.create(
        practice=cast.practice, channels=Channels.BOTH, cancellation_window_hours=12
    )
    casey = cast.client_with_portal
    casey.mobile_phone = CASEY_PHONE
    casey.save()
    with time_machine.travel(T0 - timedelta(days=1), tick=False):
        services.record_text_consent(client=casey, by=cast.therapist, agreed=True)
    return cast


def _book(cast, start, **extra):
    return scheduling.book_appointment(
        therapist=cast.therapist,
        client=cast.client_with_portal,
        start=start,
        is_teletherapy=True,
        staff_note="PHI-NOTE discussed panic attacks",
        by=cast.therapist,
        **extra,
    )


def _planned(appointment):
    return sorted(
        (r.channel, r.label, r.send_at)
        for r in appointment.reminders.filter(status=Reminder.Status.PLANNED)
    )


def _reminder_emails(smtp_server):
    return [m for m in smtp_server.messages if "reminder" in str(m["Subject"])]


def test_book_move_cancel_plan_replan_withdraw_and_the_worker_sends_what_is_due_once(
    setup, smtp_server, messages_api, run_worker
) -> None:
    cast = setup
    with time_machine.travel(T0, tick=False):
        appointment = _book(cast, THURSDAY_10)
    two_days = THURSDAY_10 - timedelta(days=2)
    two_hours = THURSDAY_10 - timedelta(hours=2)
    assert _planned(appointment) == sorted(
        [
            ("email", "2 days", two_days),
            ("text", "2 days", two_days),
            ("email", "2 hours", two_hours),
            ("text", "2 hours", two_hours),  # 8:00 AM EST: the first minute after quiet hours
        ]
    )
    old_tasks = list(appointment.reminders.values_list("task_id", flat=True))
    assert DBTaskResult.objects.filter(pk__in=old_tasks, status="READY").count() == 4

    # Moved to Friday: the Thursday reminders are withdrawn (their tasks gone), Friday's planned.
    with time_machine.travel(T0 + timedelta(hours=1), tick=False):
        scheduling.change_appointment(appointment=appointment, by=cast.therapist, start=FRIDAY_10)
    assert not DBTaskResult.objects.filter(pk__in=old_tasks).exists()
    assert appointment.reminders.filter(status=Reminder.Status.WITHDRAWN).count() == 4
    assert sorted(p[2] for p in _planned(appointment)) == sorted(
        [FRIDAY_10 - timedelta(days=2)] * 2 + [FRIDAY_10 - timedelta(hours=2)] * 2
    )

    # Thursday's old reminder time: nothing is due (the worker runs, sends nothing).
    with time_machine.travel(two_days + timedelta(minutes=1), tick=False):
        run_worker()
    assert _reminder_emails(smtp_server) == [] and messages_api.texts == []

    # Wednesday 10:00 AM: the two 2-day reminders for Friday, once, however often it runs.
    with time_machine.travel(FRIDAY_10 - timedelta(days=2), tick=False):
        run_worker()
        run_worker()
    (email,) = _reminder_emails(smtp_server)
    (text,) = messages_api.wait_for(1)
    body = text_of(email)
    assert email["To"] == cast.client_with_portal.email
    assert "Friday March 6, 2026, 10:00 AM EST (America/New York)" in body
    old_time = "March 5, 2026, 10:00 AM"
    assert old_time not in body and "Mar 5" not in text.body and old_time not in text.body
    assert "Online cancelling is open until Thursday March 5, 2026, 10:00 PM EST" in body
    assert "Tess Therapist" in body and "Teletherapy Session" in body
    assert "/r/confirm/" in body and "/r/cancel/" in body
    assert "Test your camera and microphone now" in body
    # No clinical details: no service code, no note, no date of birth.
    for secret in ("PHI-NOTE", "panic", "90834", "Psychotherapy", "1990"):
        assert (
            secret not in body and secret not in text.body and secret not in str(email["Subject"])
        )
    assert text.to == CASEY_PHONE and text.from_ == "+15005550006"
    assert "Fri" in text.body or "Friday" in text.body
    assert text.status_callback.endswith(reverse("reminders:twilio_status"))
    assert "/r/confirm/" in text.body and "STOP" in text.body

    # Friday 8:00 AM: the two 2-hour reminders.
    with time_machine.travel(FRIDAY_10 - timedelta(hours=2), tick=False):
        run_worker()
    assert len(_reminder_emails(smtp_server)) == 2
    assert len(messages_api.wait_for(2)) == 2
    statuses = set(
        appointment.reminders.exclude(status="withdrawn").values_list("status", flat=True)
    )
    assert statuses == {"sent"}

    # The status callback marks a text delivered (signed by Twilio's RequestValidator).
    url = "http://testserver" + reverse("reminders:twilio_status")
    params = {"MessageSid": text.sid, "MessageStatus": "delivered"}
    signature = RequestValidator(AUTH_TOKEN).compute_signature(url, params)
    with pytest.MonkeyPatch.context() as patch:
        from django.conf import settings

        patch.setattr(settings, "SITE_URL", "http://testserver")
        response = HttpClient().post(
            reverse("reminders:twilio_status"), params, HTTP_X_TWILIO_SIGNATURE=signature
        )
    assert response.status_code == 204
    assert Reminder.objects.get(provider_id=text.sid).status == "delivered"

    # The appointment's History shows each reminder.
    staff = cast.client_for("therapist")
    history = staff.get(
        reverse("scheduling:appointment_history", kwargs={"appointment_id": appointment.pk})
    ).content.decode()
    assert "Withdrawn" in history and "Delivered" in history and "Sent" in history


def test_cancelled_appointment_sends_nothing(setup, smtp_server, messages_api, run_worker) -> None:
    cast = setup
    with time_machine.travel(T0, tick=False):
        appointment = _book(cast, THURSDAY_10)
        tasks = list(appointment.reminders.values_list("task_id", flat=True))
        scheduling.cancel_appointment(appointment=appointment, by=cast.therapist, reason="Ill")
    assert _planned(appointment) == []
    assert not DBTaskResult.objects.filter(pk__in=tasks).exists()
    for at in (THURSDAY_10 - timedelta(days=2), THURSDAY_10 - timedelta(hours=2)):
        with time_machine.travel(at, tick=False):
            run_worker()
    assert _reminder_emails(smtp_server) == [] and messages_api.texts == []


def test_a_task_whose_appointment_moved_without_replanning_sends_nothing(
    setup, smtp_server, messages_api, run_worker
) -> None:
    """The run-time check: even if the withdrawal were missed, the old time is never sent."""
    cast = setup
    with time_machine.travel(T0, tick=False):
        appointment = _book(cast, THURSDAY_10)
    # Move it behind the services' back: no signal, so no re-planning.
    type(appointment).objects.filter(pk=appointment.pk).update(
        start=FRIDAY_10, end=FRIDAY_10 + timedelta(minutes=50)
    )
    with time_machine.travel(THURSDAY_10 - timedelta(days=2), tick=False):
        run_worker()
    assert _reminder_emails(smtp_server) == [] and messages_api.texts == []
    notes = set(appointment.reminders.values_list("note", flat=True))
    assert "The appointment moved" in notes


def test_quiet_hours_put_texts_off_to_8_am_in_the_clients_zone(
    setup, smtp_server, messages_api, run_worker
) -> None:
    cast = setup
    nine_am = datetime(2026, 3, 5, 14, 0, tzinfo=UTC)  # Thursday 9:00 AM EST
    with time_machine.travel(T0, tick=False):
        appointment = _book(cast, nine_am)
    seven_am = nine_am - timedelta(hours=2)
    eight_am = nine_am - timedelta(hours=1)
    planned = {(r.channel, r.label): r.send_at for r in appointment.reminders.all()}
    assert planned[("email", "2 hours")] == seven_am
    assert planned[("text", "2 hours")] == eight_am
    with time_machine.travel(nine_am - timedelta(days=2), tick=False):
        run_worker()
    assert len(_reminder_emails(smtp_server)) == 1 and len(messages_api.texts) == 1
    with time_machine.travel(seven_am, tick=False):
        run_worker()
    assert len(_reminder_emails(smtp_server)) == 2
    assert len(messages_api.texts) == 1
    with time_machine.travel(eight_am - timedelta(seconds=1), tick=False):
        run_worker()
    assert len(messages_api.texts) == 1
    with time_machine.travel(eight_am, tick=False):
        run_worker()
    assert len(messages_api.wait_for(2)) == 2


def test_quiet_hours_boundaries() -> None:
    def at(hour: int, minute: int = 0, second: int = 0, day: int = 5) -> datetime:
        from datetime import date, time

        from teletherapy.lib.clock import make_local

        value = make_local(date(2026, 3, day), time(hour, minute, second), NY)
        assert value is not None
        return value

    assert after_quiet_hours(at(20, 59, 59), NY) == at(20, 59, 59)
    assert after_quiet_hours(at(21), NY) == at(8, day=6)
    assert after_quiet_hours(at(7, 59, 59), NY) == at(8)
    assert after_quiet_hours(at(8), NY) == at(8)
    assert after_quiet_hours(at(0), NY) == at(8)


def test_stop_ends_texts_and_the_webhook_is_verified(
    setup, smtp_server, messages_api, run_worker, settings
) -> None:
    cast = setup
    settings.SITE_URL = "http://testserver"
    with time_machine.travel(T0, tick=False):
        appointment = _book(cast, THURSDAY_10)
    url = "http://testserver" + reverse("reminders:twilio_inbound")
    params = {"From": CASEY_PHONE, "Body": "Stop ", "MessageSid": "SM1"}
    # Not signed by Twilio: refused, nothing changes.
    forged = HttpClient().post(reverse("reminders:twilio_inbound"), params)
    assert forged.status_code == 403
    assert services.active_consent(cast.client_with_portal) is not None
    signature = RequestValidator(AUTH_TOKEN).compute_signature(url, params)
    with time_machine.travel(T0 + timedelta(hours=1), tick=False):
        response = HttpClient().post(
            reverse("reminders:twilio_inbound"), params, HTTP_X_TWILIO_SIGNATURE=signature
        )
    assert response.status_code == 200 and "<Response>" in response.content.decode()
    assert services.active_consent(cast.client_with_portal) is None
    assert not appointment.reminders.filter(channel="text", status="planned").exists()
    with time_machine.travel(THURSDAY_10 - timedelta(days=2), tick=False):
        run_worker()
    assert len(_reminder_emails(smtp_server)) == 1
    assert messages_api.texts == []
    # The client's record shows the withdrawal.
    page = cast.client_for("therapist").get(
        reverse("clients:detail", kwargs={"client_id": cast.client_with_portal.pk})
    )
    assert "replied STOP" in page.content.decode()


@pytest.mark.parametrize("fault", ["error", "timeout"])
def test_provider_failure_is_retried_then_not_delivered(
    setup, smtp_server, messages_api, run_worker, settings, fault
) -> None:
    cast = setup
    settings.SMS_TIMEOUT_SECONDS = 1
    with time_machine.travel(T0, tick=False):
        appointment = _book(cast, THURSDAY_10)
    if fault == "error":
        messages_api.fail_next = settings.SMS_MAX_ATTEMPTS
    else:
        messages_api.delay = 2.5
    with time_machine.travel(THURSDAY_10 - timedelta(days=2), tick=False):
        run_worker()
    assert messages_api.requests == settings.SMS_MAX_ATTEMPTS
    assert messages_api.texts == []
    text = appointment.reminders.get(channel="text", label="2 days")
    assert text.status == "failed"
    assert appointment.reminders.get(channel="email", label="2 days").status == "sent"
    page = cast.client_for("therapist").get(
        reverse("scheduling:appointment", kwargs={"appointment_id": appointment.pk})
    )
    assert page.status_code == 200
    assert "not delivered" in page.content.decode()
