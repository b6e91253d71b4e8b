"""The check-in alert in real Chromium, pushed across two app processes on PostgreSQL and
Redis: the client checks in on process two; the therapist, on My Schedule served by process
one, sees "Casey Client is in the Waiting Room · waiting 0 min" with Start, without reloading;
the message they send reaches the Waiting Room; the client closing the tab shows as gone.
Screenshots of the alert (1280 px and a 375 px phone) go to /work/wt/screens/alert/ when that
folder exists. Runs in the services phase of scripts/test-in-netns."""

from __future__ import annotations

import os
import re
import time
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from teletherapy.video.tests.conftest import make_tele_appointment
from teletherapy.video.tests.test_call_browser import _passwords, sign_in_client, sign_in_staff

pytestmark = [
    pytest.mark.browser,
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.netns,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not os.environ.get("TT_NETNS_ADDR") or not os.environ.get("REDIS_URL"),
        reason="needs the private network namespace, PostgreSQL and Redis: run under "
        "scripts/netns-run scripts/test-in-netns",
    ),
]

SCREENS = Path(os.environ.get("TT_SCREENS_DIR", "/work/wt/screens/alert"))
PHONE = {"width": 375, "height": 812}


def _screenshot(page: Any, name: str) -> None:
    if SCREENS.is_dir():
        page.screenshot(path=str(SCREENS / name), full_page=False)


def _client_checks_in(client: Any, base: str, appointment_id: int) -> float:
    """Through the device check into the Waiting Room; the moment it asked to join (ms)."""
    client.goto(f"{base}/portal/sessions/{appointment_id}/")
    client.get_by_role("button", name="Allow camera and microphone").click()
    expect(client.locator("#device-status")).to_contain_text("work")
    client.select_option("select[name=location]", "NJ")
    asked = time.time() * 1000
    client.get_by_role("button", name="Join session").click()
    client.wait_for_url(f"{base}/portal/sessions/{appointment_id}/room/")
    return asked


def test_check_in_alert_across_two_app_processes(cast, browser, live_server_factory) -> None:  # type: ignore[no-untyped-def]
    from django.db import connection

    assert connection.vendor == "postgresql"
    call = make_tele_appointment(cast)
    _passwords(cast.therapist.user, cast.client_with_portal.user)
    redis = {"REDIS_URL": os.environ["REDIS_URL"]}
    one, two = live_server_factory(env=redis), live_server_factory(env=redis)
    desktop = browser.new_context(viewport={"width": 1280, "height": 800})
    phone = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    client_context = browser.new_context()
    therapist, on_phone = desktop.new_page(), phone.new_page()
    client = client_context.new_page()
    try:
        sign_in_staff(therapist, one.url, cast.therapist.user.email)
        sign_in_staff(on_phone, one.url, cast.therapist.user.email)
        therapist.goto(f"{one.url}/schedule/")
        on_phone.goto(f"{one.url}/dashboard/")
        for page in (therapist, on_phone):
            expect(page.locator("#alert-tray[data-connected]")).to_be_attached()
        # The desktop's person has used the page (so a chime may sound); the phone's has not.
        therapist.locator("main h1").first.click()
        sign_in_client(client, two.url, "casey")

        asked = _client_checks_in(client, two.url, call.pk)
        alert = therapist.locator(".checkin-alert", has_text="Casey Client")
        expect(alert).to_contain_text("Casey Client is in the Waiting Room · waiting 0 min")
        seen = time.time() * 1000
        expect(
            alert.get_by_role("link", name="Start the session with Casey Client")
        ).to_have_attribute("href", f"/sessions/{call.pk}/")
        # Measured, not asserted tightly (the 2-second figure is the product's; under load
        # the test only checks it came by itself, without a reload).
        pushed = therapist.evaluate(
            "(() => { const c = [...window.__alerts.cards.values()][0];"
            " return c.shownAt - c.alert.waiting_since; })()"
        )
        print(
            f"\ncheck-in alert shown {pushed:.0f} ms after the client joined the Waiting Room"
            f" ({seen - asked:.0f} ms after they pressed Join session, page load included)"
        )
        assert pushed < 20000
        expect(therapist).to_have_title("(1) Waiting · My Schedule · Teletherapy")
        expect(
            therapist.locator(f'a[href="/schedule/appointments/{call.pk}/"] .badge.waiting').first
        ).to_have_text("Waiting")
        expect(therapist.locator("#alert-announcer")).to_have_text(
            "Casey Client is in the Waiting Room."
        )
        assert therapist.evaluate("window.__alerts.chimes") == 1
        phone_alert = on_phone.locator(".checkin-alert", has_text="Casey Client")
        expect(phone_alert).to_contain_text("is in the Waiting Room · waiting 0 min")
        assert on_phone.evaluate("window.__alerts.chimes || 0") == 0  # not interacted: silent
        _screenshot(therapist, "alert-desktop-1280.png")
        _screenshot(on_phone, "alert-phone-375.png")
        width = on_phone.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], f"the phone page is {width}px wide"

        # A word to the waiting client, with a one-tap preset.
        alert.get_by_text("Send a message").click()
        alert.get_by_role("button", name="Running 5 minutes late, thank you for waiting.").click()
        expect(alert.locator(".word-status")).to_contain_text("Sent to Casey Client")
        word = client.locator("#waiting-word")
        expect(word).to_contain_text("Running 5 minutes late, thank you for waiting.")
        expect(word).to_contain_text("Tess Therapist")
        assert word.get_attribute("aria-live") == "polite"
        _screenshot(client, "waiting-room-word-1280.png")

        # The appointment's Details say when the client checked in, the zone named.
        details = desktop.new_page()
        details.goto(f"{one.url}/schedule/appointments/{call.pk}/")
        expect(details.locator(f'[data-checkin-for="{call.pk}"]')).to_contain_text(
            "In the Waiting Room"
        )
        checked_in = details.locator(f'[data-checkin-for="{call.pk}"]').inner_text()
        assert re.match(r"\d{1,2}:\d\d [AP]M [A-Z]{2,5} · ", checked_in), checked_in
        details.close()

        # The client closes the tab: the alert says they left.
        closed = time.time() * 1000
        client.close()
        expect(alert).to_contain_text("Casey Client left the Waiting Room")
        print(f"shown as gone {time.time() * 1000 - closed:.0f} ms after the tab closed")
        expect(therapist).to_have_title("My Schedule · Teletherapy")
        assert alert.get_by_role("link", name="Start the session with Casey Client").is_hidden()
        # Dismissed by keyboard, the last card leaves the focus on the page's heading, not
        # on the body (where a screen reader user would have to start over).
        alert.get_by_role("button", name="Dismiss").focus()
        therapist.keyboard.press("Enter")
        expect(alert).to_have_count(0)
        therapist.wait_for_function("document.activeElement.matches('main h1')")
        # Each process served its own person's alert socket.
        assert "/ws/alerts/" in one.log() and "/ws/alerts/" in two.log()
    finally:
        for context in (desktop, phone, client_context):
            context.close()
