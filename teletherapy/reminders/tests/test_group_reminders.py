"""Reminders of a couple's session: each client gets their own, by their own channels, in
their own zone, with their own Confirm and Cancel links, through the real SMTP server; one
client cancelling cancels the session for both (the page says so) and each is told."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.test import Client as HttpClient

from teletherapy.reminders.models import Reminder, ReminderLink
from teletherapy.reminders.tasks import send_reminder_now
from teletherapy.scheduling import services as scheduling
from teletherapy.scheduling.models import Appointment
from teletherapy.test.browser import text_of
from teletherapy.test.personas import make_client

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)  # Monday 10:00 AM EST
START = datetime(2026, 3, 5, 15, 0, tzinfo=UTC)  # Thursday 10:00 AM EST, 9:00 AM CST
LINK = re.compile(r"http://[^/\s]+(/r/(confirm|cancel|join)/[A-Za-z0-9_-]+/)")


@pytest.fixture
def couple(cast, smtp_server, django_capture_on_commit_callbacks):
    pat = make_client(
        cast.practice,
        "Pat",
        "Partner",
        therapists=[cast.therapist],
        username="pat",
        email="pat.partner@example.com",
        time_zone="America/Chicago",
    )
    with time_machine.travel(T0, tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            appointment = scheduling.book_appointment(
                therapist=cast.therapist,
                client=cast.client_with_portal,
                additional_clients=[pat],
                start=START,
                is_teletherapy=True,
                staff_note="ZZNOTE couple conflict",
                by=cast.therapist,
            )
    smtp_server.messages.clear()
    return appointment, pat


def _send(reminder: Reminder, smtp_server, to: str) -> tuple[str, dict[str, str]]:
    with time_machine.travel(reminder.send_at, tick=False):
        assert send_reminder_now(reminder_id=reminder.pk) == "sent"
    message = smtp_server.wait_for(to=to)
    body = text_of(message)
    assert "ZZNOTE" not in message.as_string()
    return body, {kind: path for path, kind in LINK.findall(body)}


def test_each_client_gets_their_own_reminder_and_links_in_their_own_zone(
    cast, couple, smtp_server
) -> None:
    appointment, pat = couple
    planned = appointment.reminders.filter(status=Reminder.Status.PLANNED, channel="email")
    by_client = {r.client_id: r for r in planned.filter(label="2 days")}
    assert set(by_client) == {cast.client_with_portal.pk, pat.pk}
    assert planned.count() == 4  # 2 days and 2 hours before, for each

    casey_body, casey_links = _send(
        by_client[cast.client_with_portal.pk], smtp_server, "casey.client@example.com"
    )
    pat_body, pat_links = _send(by_client[pat.pk], smtp_server, "pat.partner@example.com")
    assert "Thursday March 5, 2026, 10:00 AM EST" in casey_body
    assert "Thursday March 5, 2026, 9:00 AM CST" in pat_body
    # Neither sees the other's name or address.
    assert "Pat" not in casey_body and "pat.partner" not in casey_body
    assert "Casey" not in pat_body and "casey.client" not in pat_body
    # Their own links: different tokens, each tied to their own reminder.
    assert set(casey_links) == set(pat_links) == {"confirm", "cancel"}
    assert casey_links["cancel"] != pat_links["cancel"]
    links = ReminderLink.objects.filter(appointment=appointment, kind="cancel")
    assert {link.reminder.client_id for link in links} == {cast.client_with_portal.pk, pat.pk}

    # Pat's Confirm link shows Pat's zone and is noted with Pat's name for staff.
    at = START - timedelta(days=1)
    http = HttpClient()
    with time_machine.travel(at, tick=False):
        page = http.get(pat_links["confirm"])["Location"]
        assert "9:00 AM CST (America/Chicago)" in http.get(page).content.decode()
        http.post(page)
    assert appointment.changes.filter(summary="Confirmed by Pat Partner (reminder link)").exists()
    # Staff see to whom each reminder went.
    history = cast.client_for("therapist").get(f"/schedule/appointments/{appointment.pk}/history/")
    html = history.content.decode()
    assert '<td data-label="To">Pat Partner</td>' in html
    assert '<td data-label="To">Casey Client</td>' in html


def test_one_client_cancelling_cancels_for_both_and_each_is_told(
    cast, couple, smtp_server, django_capture_on_commit_callbacks
) -> None:
    appointment, pat = couple
    reminder = appointment.reminders.get(client=pat, channel="email", label="2 days")
    _, links = _send(reminder, smtp_server, "pat.partner@example.com")
    at = START - timedelta(days=1, hours=1)
    http = HttpClient()
    with time_machine.travel(at, tick=False):
        page = http.get(links["cancel"])["Location"]
        shown = http.get(page).content.decode()
        assert "cancelling it cancels it for everyone booked in it" in shown
        assert "Casey" not in shown
        with django_capture_on_commit_callbacks(execute=True):
            done = http.post(page)
    assert done.status_code == 200
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.CANCELLED
    assert not appointment.reminders.filter(status=Reminder.Status.PLANNED).exists()
    assert appointment.changes.filter(summary="Cancelled by Pat Partner (reminder link)").exists()
    for address in ("casey.client@example.com", "pat.partner@example.com"):
        message = smtp_server.wait_for(to=address, count=2 if address.startswith("pat") else 1)
        assert "cancelled" in str(message["Subject"])
