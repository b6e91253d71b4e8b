"""The device check in a real browser: blocked permission, no camera, in-app browsers."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from teletherapy.video.tests.conftest import make_tele_appointment
from teletherapy.video.tests.test_call_browser import _passwords, sign_in_client

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Run before the page's own scripts (CSP does not apply to them): make the browser behave
# as if the person said no, or had no camera.
DENY = """navigator.mediaDevices.getUserMedia = async () => {
  throw new DOMException("Permission denied", "NotAllowedError");
};"""
NO_CAMERA = """{
  const real = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
  navigator.mediaDevices.getUserMedia = async (c) => {
    if (c && c.video) throw new DOMException("Requested device not found", "NotFoundError");
    return real(c);
  };
}"""
INSTAGRAM_ON_IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Mobile/15E148 Instagram 325.0.0.35.91"
)


def _check_page(browser: Any, base: str, call: Any, **context_args: Any) -> tuple[Any, Any]:
    context = browser.new_context(**context_args)
    page = context.new_page()
    sign_in_client(page, base, "casey")
    page.goto(f"{base}/portal/sessions/{call.pk}/")
    return context, page


def test_blocked_camera_shows_the_steps_for_this_browser(
    cast, browser, live_server_factory
) -> None:
    call = make_tele_appointment(cast)
    _passwords(cast.client_with_portal.user)
    base = live_server_factory().url
    context, page = _check_page(browser, base, call)
    try:
        page.add_init_script(DENY)
        page.reload()
        help_box = page.locator("#device-help")
        expect(help_box).to_be_hidden()
        page.get_by_role("button", name="Allow camera and microphone").click()
        expect(help_box.locator("[data-problem=denied]")).to_be_visible()
        expect(help_box.locator("[data-browser=chrome]")).to_be_visible()
        expect(help_box.locator("[data-browser=firefox]")).to_be_hidden()
        expect(page.locator("#in-app-warning")).to_be_hidden()
    finally:
        context.close()


def test_no_camera_means_audio_only(cast, browser, live_server_factory) -> None:
    call = make_tele_appointment(cast)
    _passwords(cast.client_with_portal.user)
    base = live_server_factory().url
    context, page = _check_page(browser, base, call)
    try:
        page.add_init_script(NO_CAMERA)
        page.reload()
        page.get_by_role("button", name="Allow camera and microphone").click()
        expect(page.locator("#device-status")).to_contain_text("audio only")
        expect(page.locator("#no-camera-note")).to_be_visible()
        expect(page.locator("#device-help")).to_be_hidden()
    finally:
        context.close()


def test_in_app_browsers_are_warned(cast, browser, live_server_factory) -> None:
    call = make_tele_appointment(cast)
    _passwords(cast.client_with_portal.user)
    base = live_server_factory().url
    context, page = _check_page(
        browser, base, call, user_agent=INSTAGRAM_ON_IPHONE, viewport={"width": 390, "height": 844}
    )
    try:
        expect(page.locator("#in-app-warning")).to_be_visible()
        page.add_init_script(DENY)
        page.reload()
        page.get_by_role("button", name="Allow camera and microphone").click()
        expect(page.locator("[data-browser=safari-ios]")).to_be_visible()
    finally:
        context.close()


OLD_FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:91.0) Gecko/20100101 Firefox/91.0"
OLD_IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 15_2 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/15.2 Mobile/15E148 Safari/604.1"
)
NO_SINK_ID = "delete HTMLMediaElement.prototype.setSinkId;"


def test_the_check_names_the_browser_and_says_when_it_is_too_old(
    cast, browser, live_server_factory
) -> None:  # type: ignore[no-untyped-def]
    call = make_tele_appointment(cast)
    _passwords(cast.client_with_portal.user)
    base = live_server_factory().url
    support = "#browser-support"
    context, page = _check_page(browser, base, call)
    try:
        expect(page.locator(support)).to_have_text(re.compile(r"^Browser: Chrome \d+\.$"))
        expect(page.locator("#safari-again")).to_be_hidden()
        # Without setSinkId (Firefox before 116, Safari) there is no speaker choice.
        page.add_init_script(NO_SINK_ID)
        page.reload()
        page.get_by_role("button", name="Allow camera and microphone").click()
        expect(page.get_by_label("Camera")).to_be_enabled()
        expect(page.get_by_label("Speaker")).to_be_hidden()
    finally:
        context.close()
    for agent, said in (
        (OLD_FIREFOX, "Firefox 91 is too old for video sessions: update it to version 115"),
        (OLD_IPHONE, "iOS 15.2 is too old for video sessions: update the iPhone or iPad"),
    ):
        context, page = _check_page(browser, base, call, user_agent=agent)
        try:
            expect(page.get_by_role("alert").filter(has_text=said)).to_be_visible()
            # Safari asks on every page: the person is told the Waiting Room asks again.
            safari_note = page.get_by_text("Safari asks again when the session opens")
            if agent == OLD_IPHONE:
                expect(safari_note).to_be_visible()
            else:
                expect(safari_note).to_be_hidden()
        finally:
            context.close()
