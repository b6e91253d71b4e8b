"""The client's emails about a Teletherapy Session, and the calendar invitation they carry."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail

from teletherapy.scheduling import services
from teletherapy.scheduling.tasks import send_appointment_email

from .conftest import event_of, ics_of

START = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)  # Wednesday 10:00 AM EST


@pytest.fixture
def booked(fcast, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        appointment = services.book_appointment(
            therapist=fcast.therapist,
            client=fcast.client_with_portal,
            start=START,
            duration_minutes=50,
            is_teletherapy=True,
            service="90837",
            staff_note="ZZNOTE anxiety follow-up",
            by=fcast.scheduler,
        )
    return appointment


def test_booking_email(booked) -> None:
    [message] = mail.outbox
    assert message.to == ["casey.client@example.com"]
    assert "Wednesday November 25, 2026, 10:00 AM EST" in message.subject
    body = message.body
    assert "Hello Casey," in body
    assert "When: Wednesday November 25, 2026, 10:00 AM EST (America/New York), 50 minutes" in body
    assert "Therapist: Tess Therapist" in body
    assert "Sign in to your client portal to join, from 15 minutes before the start" in body
    html = message.alternatives[0][0]  # type: ignore[attr-defined]
    assert "Sign in to your client portal to join, from 15 minutes before the start" in html
    # No clinical details anywhere: no service code, no note.
    everything = body + html + message.subject + ics_of(message).to_ical().decode()
    for secret in ("90837", "ZZNOTE", "anxiety", "Psychotherapy"):
        assert secret not in everything


def test_ics_request(booked) -> None:
    calendar = ics_of(mail.outbox[0])
    assert calendar["METHOD"] == "REQUEST"
    event = event_of(mail.outbox[0])
    assert str(event["UID"]) == f"appointment-{booked.pk}@127.0.0.1"
    assert event["SEQUENCE"] == 0
    assert event.decoded("DTSTART") == START
    assert event.decoded("DTEND") == START + timedelta(minutes=50)
    assert str(event["STATUS"]) == "CONFIRMED"
    assert str(event["SUMMARY"]) == "Teletherapy Session with Tess Therapist"
    assert "mailto:casey.client@example.com" in str(event["ATTENDEE"])


def test_change_keeps_uid_and_raises_sequence(
    booked, fcast, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        services.change_appointment(
            appointment=booked, by=fcast.therapist, start=START + timedelta(hours=2)
        )
    first, second = (event_of(m) for m in mail.outbox)
    assert second["UID"] == first["UID"]
    assert second["SEQUENCE"] > first["SEQUENCE"]
    assert second.decoded("DTSTART") == START + timedelta(hours=2)
    assert "now Wednesday November 25, 2026, 12:00 PM EST" in mail.outbox[1].subject
    assert "Sign in to your client portal to join" in mail.outbox[1].body
    # A change only to the staff note tells the client nothing.
    with django_capture_on_commit_callbacks(execute=True):
        services.change_appointment(appointment=booked, by=fcast.owner, staff_note="x")
    assert len(mail.outbox) == 2


def test_cancel_sends_method_cancel(booked, fcast, django_capture_on_commit_callbacks) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        services.cancel_appointment(appointment=booked, by=fcast.owner, reason="ZZREASON")
    message = mail.outbox[-1]
    calendar = ics_of(message)
    assert calendar["METHOD"] == "CANCEL"
    event = event_of(message)
    assert str(event["STATUS"]) == "CANCELLED"
    assert str(event["UID"]) == f"appointment-{booked.pk}@127.0.0.1"
    assert event["SEQUENCE"] == 1
    assert "cancelled" in message.subject
    assert "ZZREASON" not in message.body  # the reason stays with staff


def test_switching_off_teletherapy_updates_the_invitation(
    booked, fcast, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        services.change_appointment(appointment=booked, by=fcast.owner, is_teletherapy=False)
    message = mail.outbox[-1]
    assert "no longer a Teletherapy Session" in message.body
    assert event_of(message)["SEQUENCE"] == 1
    assert str(event_of(message)["SUMMARY"]) == "Appointment with Tess Therapist"


def test_the_task_takes_only_the_id(booked) -> None:
    result = send_appointment_email.enqueue(booked.pk, "booked")
    assert result.args == [booked.pk, "booked"]
    assert len(mail.outbox) == 2
    with pytest.raises(ValueError):
        send_appointment_email.call(booked.pk, "bogus")


def test_no_email_without_an_address(fcast, django_capture_on_commit_callbacks) -> None:
    fcast.client_with_portal.email = ""
    fcast.client_with_portal.save()
    with django_capture_on_commit_callbacks(execute=True):
        services.book_appointment(
            therapist=fcast.therapist,
            client=fcast.client_with_portal,
            start=START,
            is_teletherapy=True,
            by=fcast.therapist,
        )
    assert mail.outbox == []
