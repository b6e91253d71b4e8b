"""By keyboard alone, in Chromium: a client signs in, joins from the portal through the device
check into the Telehealth Waiting Room, and uses the call's controls (mute, camera, the Devices
drawer and Escape), with the focus where a person expects after each step."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from teletherapy.test.personas import PASSWORD
from teletherapy.video.tests.conftest import make_tele_appointment
from teletherapy.video.tests.test_call_browser import (
    _passwords,
    needs_netns,
    sign_in_staff,
    wait_for_media,
)

pytestmark = [pytest.mark.browser, pytest.mark.netns, pytest.mark.django_db(transaction=True)]

FOCUSED = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return "";
  const label = el.labels && el.labels[0] ? el.labels[0].innerText : "";
  return (label || el.getAttribute("aria-label") || el.innerText || el.value || "").trim();
}"""


def tab_to(page: Any, name: str, *, limit: int = 60) -> None:
    """Press Tab until the focused control is called `name` (its label or text)."""
    seen = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        now = page.evaluate(FOCUSED)
        if now == name:
            return
        seen.append(now)
    raise AssertionError(f"{name!r} not reached by Tab; focus went {seen}")


@needs_netns
def test_a_client_joins_and_uses_the_call_by_keyboard(cast, browser, live_server_factory) -> None:
    call = make_tele_appointment(cast)
    _passwords(cast.therapist.user, cast.client_with_portal.user)
    base = live_server_factory().url
    contexts = [browser.new_context(), browser.new_context()]
    client, therapist = (context.new_page() for context in contexts)
    try:
        client.goto(f"{base}/portal/sign-in/")
        tab_to(client, "Username")
        client.keyboard.type("casey")
        client.keyboard.press("Tab")
        client.keyboard.type(PASSWORD)
        client.keyboard.press("Enter")
        client.wait_for_url(f"{base}/portal/")

        tab_to(client, "Join session")
        client.keyboard.press("Enter")
        client.wait_for_url(f"{base}/portal/sessions/{call.pk}/")
        expect(client.get_by_role("button", name="Allow camera and microphone")).to_be_enabled()
        tab_to(client, "Allow camera and microphone")
        client.keyboard.press("Enter")
        expect(client.locator("#device-status")).to_contain_text("work")
        # The button now says Try again, and keeps the focus.
        assert client.evaluate(FOCUSED) == "Try again"
        tab_to(client, "Where are you right now?")
        client.keyboard.type("New Jersey")
        assert client.locator("select[name=location]").input_value() == "NJ"
        tab_to(client, "Join session")
        client.keyboard.press("Enter")
        client.wait_for_url(f"{base}/portal/sessions/{call.pk}/room/")
        expect(client.locator("#waiting-status")).to_have_text("Waiting for Tess Therapist to join")

        sign_in_staff(therapist, base, cast.therapist.user.email)
        therapist.goto(f"{base}/sessions/{call.pk}/")
        therapist.get_by_role("button", name="Start", exact=True).click()
        for page in (client, therapist):
            wait_for_media(page)

        mute = client.locator("#toggle-mic")
        tab_to(client, "Mute")
        client.keyboard.press("Space")
        expect(mute).to_have_attribute("aria-pressed", "true")
        expect(mute).to_be_focused()
        expect(therapist.locator("#peer-media")).to_contain_text("Casey Client is muted")
        client.keyboard.press("Enter")
        expect(mute).to_have_attribute("aria-pressed", "false")
        expect(therapist.locator("#peer-media")).to_be_hidden()
        tab_to(client, "Camera off")
        client.keyboard.press("Enter")
        expect(client.locator("#toggle-camera")).to_have_attribute("aria-pressed", "true")
        expect(therapist.locator("#peer-media")).to_contain_text("Casey Client's camera is off")
        client.keyboard.press("Enter")

        devices = client.locator("#toggle-devices")
        tab_to(client, "Devices")
        client.keyboard.press("Enter")
        expect(devices).to_have_attribute("aria-expanded", "true")
        tab_to(client, "Camera")
        expect(client.locator("#call-camera-select")).to_be_focused()
        # Escape closes the drawer and gives the focus back to its button.
        client.keyboard.press("Escape")
        expect(client.locator("#device-drawer")).to_be_hidden()
        expect(devices).to_be_focused()
        expect(devices).to_have_attribute("aria-expanded", "false")
    finally:
        for context in contexts:
            context.close()
