"""Devices in a real browser: switching camera and microphone mid-call, the microphone meter,
and a browser that gives pages no camera access. (Chromium's fake devices: three
cameras, of which fake_device_1 gives depth frames, not video, and three microphones.)"""

from __future__ import annotations

import time
from typing import Any

import pytest
from playwright.sync_api import expect

from teletherapy.video.tests.conftest import make_tele_appointment
from teletherapy.video.tests.test_call_browser import (
    _passwords,
    needs_netns,
    sign_in_client,
    sign_in_staff,
    wait_for_media,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SENT = """(kind) => {
  const sender = __call.pc && __call.pc.getSenders().find((s) => s.track && s.track.kind === kind);
  return sender ? sender.track.label : null;
}"""
FRAMES = "async () => (await __call.summary()).framesDecoded"


def _in_call(browser: Any, base: str, call: Any) -> tuple[list[Any], Any, Any]:
    contexts = [browser.new_context(), browser.new_context()]
    therapist, client = (context.new_page() for context in contexts)
    sign_in_client(client, base, "casey")
    client.goto(f"{base}/portal/sessions/{call.pk}/room/")
    expect(client.locator("#waiting-status")).to_have_text("Waiting for Tess Therapist to join")
    sign_in_staff(therapist, base, "tess@maple.test")
    therapist.goto(f"{base}/sessions/{call.pk}/")
    therapist.get_by_role("button", name="Start", exact=True).click()
    for page in (therapist, client):
        wait_for_media(page)
    return contexts, therapist, client


def _wait(page: Any, expression: str, arg: Any, expected: Any, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    value = None
    while time.monotonic() < deadline:
        value = page.evaluate(expression, arg)
        if value == expected:
            return
        time.sleep(0.2)
    raise AssertionError(f"{expression}({arg!r}) is {value!r}, not {expected!r}")


@pytest.mark.netns
@needs_netns
def test_choosing_another_camera_or_microphone_mid_call_changes_what_is_sent(
    cast, browser, live_server_factory
) -> None:
    from teletherapy.video.models import VideoSession

    call = make_tele_appointment(cast)
    VideoSession.objects.create(appointment=call, client_location="NJ")
    _passwords(cast.therapist.user, cast.client_with_portal.user)
    base = live_server_factory().url
    contexts, therapist, client = _in_call(browser, base, call)
    try:
        assert therapist.evaluate(SENT, "video") == "fake_device_0"
        therapist.get_by_role("button", name="Devices").click()
        camera = therapist.locator("#call-camera-select")
        expect(camera.locator("option", has_text="fake_device_2")).to_have_count(1)
        camera.select_option(label="fake_device_2")
        _wait(therapist, SENT, "video", "fake_device_2")
        assert therapist.evaluate("__call.stream.getVideoTracks().map((t) => t.label)") == [
            "fake_device_2"
        ]
        # The client goes on receiving video, now from the other camera.
        before = client.evaluate(FRAMES)
        _wait(client, f"async () => (await __call.summary()).framesDecoded > {before}", None, True)

        mic = therapist.locator("#call-mic-select")
        mic.select_option(label="Fake Audio Input 2")
        _wait(therapist, SENT, "audio", "Fake Audio Input 2")
        assert therapist.evaluate("__call.stream.getAudioTracks().length") == 1
        # Remembered for the next session.
        saved = therapist.evaluate("JSON.parse(localStorage.getItem('teletherapy.devices'))")
        assert saved["camera"] and saved["mic"]
    finally:
        for context in contexts:
            context.close()


# Record, across the navigation, any AudioContext closed a second time.
COUNT_CLOSES = """{
  const close = AudioContext.prototype.close;
  AudioContext.prototype.close = function () {
    this.__closes = (this.__closes || 0) + 1;
    if (this.__closes > 1) sessionStorage.setItem("closedTwice", "yes");
    return close.call(this);
  };
}"""


def test_the_microphone_meter_is_closed_once(cast, browser, live_server_factory) -> None:
    call = make_tele_appointment(cast)
    _passwords(cast.client_with_portal.user)
    base = live_server_factory().url
    context = browser.new_context()
    context.add_init_script(COUNT_CLOSES)
    page = context.new_page()
    errors: list[Any] = []
    page.on("pageerror", lambda error: errors.append(error))
    try:
        sign_in_client(page, base, "casey")
        page.goto(f"{base}/portal/sessions/{call.pk}/")
        page.get_by_role("button", name="Allow camera and microphone").click()
        expect(page.locator("#device-status")).to_contain_text("work", timeout=10000)
        # Try again makes a new meter (the old one is closed), then Join leaves the page.
        page.get_by_role("button", name="Try again").click()
        expect(page.locator("#device-status")).to_contain_text("work", timeout=10000)
        page.select_option("select[name=location]", "NJ")
        page.get_by_role("button", name="Join session").click()
        page.wait_for_url(f"{base}/portal/sessions/{call.pk}/room/")
        assert page.evaluate("sessionStorage.getItem('closedTwice')") is None
        assert errors == []
    finally:
        context.close()


NO_MEDIA_DEVICES = """Object.defineProperty(Navigator.prototype, "mediaDevices", {
  configurable: true, get: () => undefined,
});"""


def test_a_browser_without_camera_access_is_told_so_not_to_use_https(
    cast, browser, live_server_factory
) -> None:
    call = make_tele_appointment(cast)
    _passwords(cast.client_with_portal.user)
    base = live_server_factory().url  # http://127.0.0.1: a secure context
    context = browser.new_context()
    context.add_init_script(NO_MEDIA_DEVICES)
    page = context.new_page()
    try:
        sign_in_client(page, base, "casey")
        page.goto(f"{base}/portal/sessions/{call.pk}/")
        assert page.evaluate("window.isSecureContext && navigator.mediaDevices === undefined")
        page.get_by_role("button", name="Allow camera and microphone").click()
        help_box = page.locator("#device-help")
        expect(help_box.locator("[data-problem=unsupported]")).to_be_visible()
        expect(help_box.locator("[data-problem=unsupported]")).to_contain_text(
            "This browser can't use a camera or microphone"
        )
        expect(help_box.locator("[data-problem=insecure]")).to_be_hidden()
        assert "https://" not in help_box.inner_text()
    finally:
        context.close()
