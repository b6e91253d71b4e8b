"""End to end in real Chromium (fake devices, the private network namespace): a couple on two
devices. Each is prompted on their own portal Dashboard, checks their devices, states where
they are and waits on their own; the therapist's check-in alert names both; the therapist
starts and all three decode each other's video; one leaves and comes back while the other's
media keeps flowing. Saves the screenshots of issue 13 under /work/wt/screens/mesh/ when
that folder exists (SCREENS_DIR)."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from teletherapy.test.personas import PASSWORD, make_client
from teletherapy.video.tests.conftest import make_tele_appointment
from teletherapy.video.tests.test_call_browser import (
    _passwords,
    needs_netns,
    sign_in_client,
    sign_in_staff,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SCREENS = Path(os.environ.get("SCREENS_DIR", "/work/wt/screens/mesh"))


def mesh_summary(page: Any) -> dict[str, Any]:
    return page.evaluate("window.__call && window.__call.summary ? window.__call.summary() : {}")


def wait_for_peers(page: Any, names: set[str], timeout: float = 60.0) -> dict[str, Any]:
    """Until the page is connected to exactly `names`, with video frames decoded from each."""
    deadline = time.monotonic() + timeout
    summary: dict[str, Any] = {}
    while time.monotonic() < deadline:
        summary = mesh_summary(page)
        peers = summary.get("peers", [])
        if {p["name"] for p in peers} == names and all(
            p["connectionState"] == "connected" and p["framesDecoded"] > 0 for p in peers
        ):
            return {p["name"]: p for p in peers}
        time.sleep(0.3)
    raise AssertionError(f"not connected to {names} within {timeout}s: {summary}")


def frames_from(page: Any, name: str) -> int:
    peers = mesh_summary(page).get("peers", [])
    return next((p["framesDecoded"] for p in peers if p["name"] == name), 0)


def check_in(page: Any, base: str, call_id: int, state: str) -> None:
    """From the portal Dashboard's prompt through the device check into the Waiting Room."""
    page.goto(f"{base}/portal/")
    prompt = page.locator(
        ".session-prompt", has_text="Your Teletherapy session with Tess Therapist"
    )
    expect(prompt).to_contain_text("is ready")
    prompt.get_by_role("link", name="Join session").click()
    page.get_by_role("button", name="Allow camera and microphone").click()
    expect(page.locator("#device-status")).to_contain_text("work")
    page.select_option("select[name=location]", state)
    page.get_by_role("button", name="Join session").click()
    page.wait_for_url(f"{base}/portal/sessions/{call_id}/room/")
    expect(page.locator("#waiting-status")).to_have_text("Waiting for Tess Therapist to join")


def shoot(page: Any, name: str, width: int) -> None:
    if not SCREENS.is_dir():
        return
    page.set_viewport_size({"width": width, "height": 800 if width > 400 else 740})
    page.wait_for_timeout(300)  # the layout settles after the resize (not a wait for a state)
    page.screenshot(path=str(SCREENS / f"{name}-{width}.png"), full_page=True)


def no_sideways_scroll(page: Any) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], width


@pytest.mark.netns
@needs_netns
def test_a_couple_on_two_devices(cast, browser, live_server_factory) -> None:
    call = make_tele_appointment(cast)
    partner = make_client(
        cast.practice,
        "Pat",
        "Partner",
        therapists=[cast.therapist],
        username="pat",
        password=PASSWORD,
        email="pat.partner@example.com",
    )
    call.additional_clients.add(partner)
    _passwords(cast.therapist.user, cast.client_with_portal.user)
    base = live_server_factory().url
    contexts = [browser.new_context() for _ in range(3)]
    therapist, casey, pat = (context.new_page() for context in contexts)
    try:
        sign_in_staff(therapist, base, cast.therapist.user.email)
        therapist.goto(f"{base}/dashboard/")
        sign_in_client(casey, base, "casey")
        sign_in_client(pat, base, "pat")
        check_in(casey, base, call.pk, "NJ")
        check_in(pat, base, call.pk, "VT")
        # Privacy: in the Waiting Room neither sees the other's name.
        for page, other in ((casey, "Pat"), (pat, "Casey")):
            assert other not in page.locator("body").inner_text()

        # The therapist's check-in alert lists who is waiting.
        card = therapist.locator(".checkin-alert")
        expect(card).to_contain_text("Casey Client and Pat Partner are in the Waiting Room")
        shoot(therapist, "waiting-list", 1280)
        shoot(therapist, "waiting-list", 375)
        therapist.set_viewport_size({"width": 1280, "height": 800})
        card.get_by_role("link", name="Start").click()
        therapist.wait_for_url(f"{base}/sessions/{call.pk}/")
        therapist.get_by_role("button", name="Allow camera and microphone").click()
        expect(therapist.locator("#device-status")).to_contain_text("work")
        therapist.get_by_role("button", name="Start", exact=True).click()

        everyone = {"Tess Therapist", "Casey Client", "Pat Partner"}
        for page, me in (
            (therapist, "Tess Therapist"),
            (casey, "Casey Client"),
            (pat, "Pat Partner"),
        ):
            wait_for_peers(page, everyone - {me})
            expect(
                page.locator(f".remote-tile:has-text('{next(iter(everyone - {me}))}')")
            ).to_be_visible()
        # Each person's location is the therapist's to see, with the licence check.
        where = therapist.locator("#client-location")
        expect(where).to_contain_text("Casey Client: New Jersey")
        expect(where).to_contain_text("Pat Partner: Vermont")
        expect(therapist.locator("#license-warning")).to_contain_text("Vermont")
        assert "Vermont" not in casey.locator("body").inner_text()
        assert "New Jersey" not in pat.locator("body").inner_text()
        # Bandwidth: three people, each stream capped at the three-person step.
        for peer in mesh_summary(therapist)["peers"]:
            assert peer["maxBitrate"] == 800_000, peer

        shoot(therapist, "call", 1280)
        shoot(pat, "call", 375)
        no_sideways_scroll(pat)
        pat.set_viewport_size({"width": 360, "height": 740})
        no_sideways_scroll(pat)
        pat.set_viewport_size({"width": 1280, "height": 800})
        therapist.set_viewport_size({"width": 1280, "height": 800})

        # Chat goes to everyone in the call.
        therapist.get_by_role("button", name="Chat").click()
        therapist.fill("#chat-input", "Hello, both of you")
        therapist.keyboard.press("Enter")
        for page in (casey, pat):
            page.get_by_role("button", name="Chat").click()
            expect(page.locator("#chat-log")).to_contain_text("Tess TherapistHello, both of you")
            page.get_by_role("button", name="Close chat").click()
        therapist.get_by_role("button", name="Close chat").click()

        # Casey on hold (an individual check-in with Pat): back in the Waiting Room, while
        # Pat's call with the therapist goes on.
        tile = therapist.locator(".remote-tile", has_text="Casey Client")
        tile.get_by_text("Options for Casey Client").click()
        tile.get_by_role("button", name="Put on hold").click()
        expect(casey.locator("#waiting-status")).to_have_text("Tess Therapist will be right back")
        expect(pat.locator(".remote-tile", has_text="Casey Client")).to_contain_text("on hold")
        held = frames_from(pat, "Tess Therapist")
        pat.wait_for_function(
            "async (n) => (await __call.summary()).peers.find((p) => p.name === 'Tess Therapist')"
            ".framesDecoded > n + 30",
            arg=held,
            timeout=30000,
        )
        tile.get_by_role("button", name="Bring Casey Client back").click()
        expect(casey.locator("#call-root")).to_have_attribute("data-state", "call")
        tile.get_by_role("button", name="Joined together on one device").click()
        expect(
            tile.get_by_role("button", name="Noted: joined together on one device")
        ).to_be_visible()
        tile.get_by_text("Options for Casey Client").click()

        # Casey leaves; Pat's media from the therapist keeps flowing meanwhile.
        before = frames_from(pat, "Tess Therapist")
        casey.get_by_role("button", name="Leave").click()
        expect(casey.locator("#call-ended")).to_contain_text("You left the session")
        wait_for_peers(pat, {"Tess Therapist"})
        wait_for_peers(therapist, {"Pat Partner"})
        during = frames_from(pat, "Tess Therapist")
        assert during > before, (before, during)
        # And back: the call has all three again; Pat's stream never stopped.
        casey.goto(f"{base}/portal/sessions/{call.pk}/room/")
        for page, me in (
            (therapist, "Tess Therapist"),
            (casey, "Casey Client"),
            (pat, "Pat Partner"),
        ):
            wait_for_peers(page, everyone - {me})
        assert frames_from(pat, "Tess Therapist") > during

        # The session record: each person's location and their joins.
        from teletherapy.video.models import Participation, PersonLocation

        codes = {
            r.client.display_name: r.code
            for r in PersonLocation.objects.filter(session__appointment=call)
        }
        assert codes == {"Casey Client": "NJ", "Pat Partner": "VT"}
        from teletherapy.video.models import SessionEvent

        kinds = list(
            SessionEvent.objects.filter(session__appointment=call).values_list(
                "kind", "about__first_name"
            )
        )
        assert kinds == [("hold", "Casey"), ("resume", "Casey"), ("together", "Casey")]
        casey_rows = Participation.objects.filter(
            session__appointment=call, user=cast.client_with_portal.user
        )
        assert casey_rows.count() == 2  # joined, left, joined again
    finally:
        for context in contexts:
            context.close()
