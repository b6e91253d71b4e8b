"""Calls that survive (issue 14): media that stops flowing while every state reads
"connected" makes a new connection, and a description the browser refuses cannot leave the
negotiation stuck. Real Chromium pages, server and network; the trouble is made inside the
page the way the browser would have it (a sender that stops, an answer that cannot apply)."""

from __future__ import annotations

import time
from typing import Any

import pytest
from playwright.sync_api import expect

from teletherapy.video.tests.test_call_browser import (
    needs_netns,
    sign_in_client,
    sign_in_staff,
    wait_for,
    wait_for_media,
)
from teletherapy.video.tests.test_call_machine_browser import _in_call, _setup, _until

pytestmark = [
    pytest.mark.browser,
    pytest.mark.netns,
    needs_netns,
    pytest.mark.django_db(transaction=True),
]


def _frames(page: Any) -> int:
    return int(page.evaluate("async () => (await __call.summary()).framesDecoded"))


def _media_grows_again(pages: list[Any], timeout: float = 40.0) -> None:
    """framesDecoded grows on a connected connection on every page."""
    for page in pages:
        before = _frames(page) if page.evaluate("() => Boolean(__call.pc)") else 0
        wait_for(page, f"s.connectionState === 'connected' && s.framesDecoded > {before}", timeout)


def _mark_connection(page: Any) -> None:
    page.evaluate("() => { window.__before = __call.pc; }")


def _new_connection(page: Any) -> bool:
    return bool(page.evaluate("() => Boolean(__call.pc) && __call.pc !== window.__before"))


def test_media_that_stops_while_connected_rebuilds_the_connection(
    cast, browser, live_server_factory
) -> None:
    """As after an ICE restart between Chromium and Firefox: every state reads "connected"
    but nothing arrives. The receiving side notices within seconds and both sides get a new
    connection, with video flowing both ways again."""
    call, base = _setup(cast, live_server_factory)
    client_ctx, therapist_ctx, client, therapist, _, _ = _in_call(browser, base, call)
    try:
        for page in (client, therapist):
            _mark_connection(page)
        # The client's connection stops sending anything (the therapist's still does).
        client.evaluate(
            "() => Promise.all(__call.pc.getSenders().map((s) => s.replaceTrack(null)))"
        )
        _until(
            therapist,
            lambda: therapist.evaluate("() => __call.machine.recovery.stalls") >= 1,
            "the therapist's page saw the media stall",
        )
        for page in (therapist, client):
            _until(page, lambda p=page: _new_connection(p), "a new connection on both sides")
        _media_grows_again([therapist, client])
        assert therapist.locator("#peer-status").is_hidden()
    finally:
        therapist_ctx.close()
        client_ctx.close()


def test_an_answer_the_browser_refuses_does_not_leave_negotiation_stuck(
    cast, browser, live_server_factory
) -> None:
    """An answer that cannot be applied (as "Failed to set SSL role" from Firefox): the
    connection goes back to "stable" rather than waiting forever in have-local-offer, and the
    call is rebuilt and flows again."""
    call, base = _setup(cast, live_server_factory)
    client_ctx, therapist_ctx, client, therapist, _, relay = _in_call(
        browser, base, call, relay=True
    )
    try:
        for page in (client, therapist):
            _mark_connection(page)
        # The real answer to the therapist's next offer never arrives; a broken one does.
        relay.drop = lambda m: m.get("type") == "signal" and "description" in m
        therapist.evaluate("() => __call.pc.restartIce()")
        therapist.wait_for_function(
            "() => __call.pc.signalingState === 'have-local-offer'", timeout=20000
        )
        relay.drop = None
        therapist.evaluate(
            """() => {
              const local = __call.pc.localDescription.sdp;
              const sdp = local.replace(/a=setup:\\w+/g, 'a=setup:actpass');
              return __call.negotiator.receive({ description: { type: 'answer', sdp } });
            }"""
        )
        _until(
            therapist,
            lambda: therapist.evaluate("() => __call.machine.recovery.rebuilds") >= 1,
            "the therapist's page rebuilt the connection",
        )
        for page in (therapist, client):
            _until(page, lambda p=page: _new_connection(p), "a new connection on both sides")
        _media_grows_again([therapist, client])
        assert therapist.evaluate("() => __call.pc.signalingState") == "stable"
    finally:
        therapist_ctx.close()
        client_ctx.close()


def test_waiting_alone_first_is_not_taken_for_trouble(cast, browser, live_server_factory) -> None:
    """The therapist waits alone for a while with an offer unanswered: when the client comes,
    the call connects on that offer, with no ICE restart and no rebuild."""
    call, base = _setup(cast, live_server_factory)
    therapist_ctx = browser.new_context()
    therapist = therapist_ctx.new_page()
    client_ctx = browser.new_context()
    client = client_ctx.new_page()
    try:
        sign_in_staff(therapist, base, "tess@maple.test")
        therapist.goto(f"{base}/sessions/{call.pk}/")
        therapist.get_by_role("button", name="Start", exact=True).click()
        expect(therapist.locator("#waiting-status")).to_have_text(
            "Waiting for Casey Client to join"
        )
        waiting = time.monotonic()
        # Alone longer than every grace and "unanswered offer" delay of recovery.js.
        while time.monotonic() - waiting < 10:
            therapist.wait_for_timeout(500)
        sign_in_client(client, base, "casey")
        client.goto(f"{base}/portal/sessions/{call.pk}/room/")
        for page in (therapist, client):
            wait_for_media(page)
        counts = therapist.evaluate("() => __call.machine.recovery")
        assert counts == {"restarts": 0, "rebuilds": 0, "stalls": 0}, counts
    finally:
        therapist_ctx.close()
        client_ctx.close()
