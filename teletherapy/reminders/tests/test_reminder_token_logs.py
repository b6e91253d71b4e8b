"""No reminder link's token reaches a log: a reminder (with Confirm, Cancel and Join links) is
sent to the real SMTP server by the reminder task's body, its links are opened and answered
on the real server (daphne, as scripts/serve runs it), and the server's captured output is
searched for each token (the tests/test_token_logs.py pattern)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from teletherapy.lib.redact import REDACTED
from teletherapy.reminders.models import ReminderSettings
from teletherapy.reminders.tasks import send_reminder_now
from teletherapy.scheduling import services as scheduling
from teletherapy.test.browser import text_of
from teletherapy.test.personas import PASSWORD, build_cast
from tests.test_token_logs import Browser, _wait_for_log

LINK = re.compile(r"http://[^/\s]+(/r/(confirm|cancel|join)/([A-Za-z0-9_-]+)/)")


@pytest.mark.django_db(transaction=True)
def test_no_reminder_token_in_the_server_log(live_server_factory, smtp_server) -> None:  # type: ignore[no-untyped-def]
    cast = build_cast(password=PASSWORD)
    ReminderSettings.objects.create(practice=cast.practice, join_link=True)
    server = live_server_factory(smtp=smtp_server)
    start = (timezone.now() + timedelta(days=4)).replace(minute=0, second=0, microsecond=0)
    appointment = scheduling.book_appointment(
        therapist=cast.therapist,
        client=cast.client_with_portal,
        start=start,
        is_teletherapy=True,
        by=cast.therapist,
    )
    reminder = appointment.reminders.get(channel="email", label="2 days")
    assert send_reminder_now(reminder_id=reminder.pk) == "sent"
    found = [
        m
        for m in smtp_server.messages
        if "reminder" in str(m["Subject"]) and cast.client_with_portal.email in str(m["To"])
    ]
    links = {kind: (path, token) for path, kind, token in LINK.findall(text_of(found[0]))}
    assert set(links) == {"confirm", "cancel", "join"}

    client = Browser(server.url)
    client.get(links["confirm"][0])
    assert client.url.endswith("/r/confirm/")
    client.post("/r/confirm/", {})
    assert "confirmed" in client.page
    client.get(links["cancel"][0])
    assert client.url.endswith("/r/cancel/") and "Cancel this appointment" in client.page
    client.get(links["join"][0])
    assert client.url.endswith("/r/join/")
    client.post("/r/join/", {"date_of_birth": "1991-01-01"})
    assert "does not match" in client.page

    log = _wait_for_log(server, f"GET /r/join/{REDACTED}/")
    for route in ("/r/confirm/", "/r/cancel/", "/r/join/"):
        assert f"GET {route}{REDACTED}/" in log, log
    for _path, token in links.values():
        assert token not in log
