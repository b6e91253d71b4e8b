"""The reminder pages a client reaches from a reminder (Confirm, Cancel, Join with its date of
birth) and the staff's Reminders tab, client record and appointment History, in Chromium:
axe-core (WCAG 2.x A and AA, no serious or critical violation) at 1280 px and on a 375 px
iPhone, no sideways scroll at 360 px. The permission-matrix walk (tests/
test_accessibility_browser.py) covers the same pages without a link; this adds them with
one. Screenshots go to /work/wt/screens/reminders/ when that folder exists."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from teletherapy.reminders.models import ReminderSettings
from teletherapy.reminders.services import record_text_consent
from teletherapy.reminders.tasks import send_reminder_now
from teletherapy.scheduling import services as scheduling
from teletherapy.test.personas import build_cast
from tests.test_accessibility_browser import (
    AXE,
    DESKTOP,
    PHONE,
    _axe,
    _session_key,
    _signed_in_context,
    _too_wide,
)

pytestmark = pytest.mark.browser
LINK = re.compile(r"http://[^/\s]+(/r/(confirm|cancel|join)/[A-Za-z0-9_-]+/)")
SCREENS = Path("/work/wt/screens/reminders")


def test_reminder_pages_pass_axe_and_fit_a_phone(browser, live_server_factory) -> None:  # type: ignore[no-untyped-def]
    assert AXE.exists(), f"{AXE} is missing: run scripts/setup --test (npm ci)"
    cast = build_cast()
    ReminderSettings.objects.create(practice=cast.practice, join_link=True)
    casey = cast.client_with_portal
    casey.mobile_phone = "+12125550123"
    casey.save()
    record_text_consent(client=casey, by=cast.therapist, agreed=True)
    start = (timezone.now() + timedelta(days=4)).replace(minute=0, second=0, microsecond=0)
    appointment = scheduling.book_appointment(
        therapist=cast.therapist, client=casey, start=start, is_teletherapy=True, by=cast.therapist
    )
    mail.outbox.clear()
    send_reminder_now(reminder_id=appointment.reminders.get(channel="email", label="2 days").pk)
    links = {kind: path for path, kind in LINK.findall(str(mail.outbox[-1].body))}
    server = live_server_factory(env={"SECRET_KEY": settings.SECRET_KEY})
    history = reverse("scheduling:appointment_history", kwargs={"appointment_id": appointment.pk})
    visits = [
        ("anonymous", links["confirm"], "confirm"),
        ("anonymous", links["cancel"], "cancel"),
        ("anonymous", links["join"], "join"),
        ("client", reverse("reminders_portal:device_check"), "device-check"),
        ("client", reverse("portal:dashboard"), "portal-dashboard"),
        ("owner", reverse("reminders_staff:settings"), "settings"),
        ("owner", reverse("clients:detail", kwargs={"client_id": casey.pk}), "client-record"),
        ("owner", history, "history"),
    ]
    problems: list[str] = []
    for persona, url, name in visits:
        key = _session_key(cast, persona)
        for size, options in (("desktop", DESKTOP), ("phone", PHONE)):
            context = _signed_in_context(browser, server.url, key, **options)
            page = context.new_page()
            response = page.goto(server.url + url)
            assert response is not None and response.status == 200, (persona, url, size)
            assert not LINK.search(page.url), page.url  # the token left the address at once
            problems += [
                f"{v['impact']} {v['rule']} {persona} {size} {url}: {v['example']}"
                for v in _axe(page)
                if v["impact"] in ("critical", "serious")
            ]
            if SCREENS.is_dir():
                width = 1280 if size == "desktop" else 375
                page.screenshot(path=str(SCREENS / f"{name}-{width}.png"), full_page=True)
            if size == "phone":
                problems += _too_wide(page, f"{persona} {url}")
            context.close()
    assert not problems, "\n".join(problems)
