"""The call's state machine in real browsers: the 10-minute renewal racing the other person's
arrival, a message handler that throws, and glare (both sides offering at once). The server's
messages are watched (and held back where a test needs an exact order) with Playwright's
WebSocket routing; everything else is the real page, server and network."""

from __future__ import annotations

import json
import re
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
    wait_for,
    wait_for_media,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.netns,
    needs_netns,
    pytest.mark.django_db(transaction=True),
]

SOCKET = re.compile(r"/ws/sessions/")


class Relay:
    """The page's signaling socket, passed through; with `drop`, messages from the server
    matching it are dropped; with `hold`, they are kept until release()."""

    def __init__(self, page: Any) -> None:
        self.seen: list[dict[str, Any]] = []
        self.held: list[str] = []
        self.hold = False
        self.drop: Any = None
        self.route: Any = None
        page.route_web_socket(SOCKET, self._route)

    def _route(self, ws: Any) -> None:
        self.route = ws
        server = ws.connect_to_server()
        server.on_message(self._from_server)
        ws.on_message(lambda message: server.send(message))

    def _from_server(self, message: str) -> None:
        data = json.loads(message)
        self.seen.append(data)
        if self.drop is not None and self.drop(data):
            return
        if self.hold and data.get("type") == "signal":
            self.held.append(message)
            return
        self.route.send(message)

    def release(self) -> None:
        self.hold = False
        held, self.held = self.held, []
        for message in held:
            self.route.send(message)


def _until(page: Any, check: Any, what: str, timeout: float = 40.0) -> None:
    """Wait for check() to hold; Playwright delivers the page's events while it waits."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        page.wait_for_timeout(50)
    raise AssertionError(f"not within {timeout}s: {what}")


def _setup(cast: Any, live_server_factory: Any) -> tuple[Any, str]:
    from teletherapy.video.models import VideoSession

    call = make_tele_appointment(cast)
    VideoSession.objects.create(appointment=call, client_location="NJ")
    _passwords(cast.therapist.user, cast.client_with_portal.user)
    return call, live_server_factory().url


def _client_waiting(browser: Any, base: str, call: Any) -> tuple[Any, Any]:
    context = browser.new_context()
    client = context.new_page()
    sign_in_client(client, base, "casey")
    client.goto(f"{base}/portal/sessions/{call.pk}/room/")
    expect(client.locator("#waiting-status")).to_have_text("Waiting for Tess Therapist to join")
    return context, client


def _connected_within(pages: list[Any], seconds: float) -> None:
    for page in pages:
        wait_for(page, "s.connectionState === 'connected'", timeout=seconds)


@pytest.mark.parametrize("order", ["renewed-first", "at-once"])
def test_the_renewal_racing_an_arrival_still_connects(
    cast, browser, live_server_factory, order
) -> None:
    """The client, waiting, makes its fresh offer just as the therapist presses Start. With
    the fresh offer replacing the old one first (the therapist's page still holding the old
    one), or both at once: the call connects within 5 seconds, on the offer the server has."""
    call, base = _setup(cast, live_server_factory)
    client_ctx, client = _client_waiting(browser, base, call)
    therapist_ctx = browser.new_context()
    therapist = therapist_ctx.new_page()
    try:
        relay = Relay(therapist)
        sign_in_staff(therapist, base, "tess@maple.test")
        therapist.goto(f"{base}/sessions/{call.pk}/")
        therapist.wait_for_function(
            "() => window.__call.pc && window.__call.pc.signalingState === 'have-remote-offer'",
            timeout=20000,
        )
        applied = [m["id"] for m in relay.seen if m.get("type") == "held-offer"][-1]
        if order == "renewed-first":
            # Keep the old offer applied on the therapist's page: drop the fresh one.
            relay.drop = lambda m: m.get("type") == "held-offer" and m.get("description")
            client.evaluate("() => window.__call.renewOffer()")
            _until(
                therapist,
                lambda: any(
                    m.get("type") == "held-offer" and m.get("id") != applied for m in relay.seen
                ),
                "the fresh offer replaced the old one on the server",
            )
        else:
            client.evaluate("() => { window.__call.renewOffer(); }")
        therapist.get_by_role("button", name="Start", exact=True).click()
        clicked = time.monotonic()
        _connected_within([therapist, client], 5.0)
        assert time.monotonic() - clicked < 5.0
        for page in (therapist, client):
            wait_for_media(page)
        if order == "renewed-first":
            # The therapist's claim on the old offer was refused, and the fresh one answered.
            assert {"type": "held-offer", "id": applied, "description": None} in relay.seen
            assert not any(m.get("type") == "offer-taken" for m in relay.seen)
    finally:
        therapist_ctx.close()
        client_ctx.close()


def _in_call(browser: Any, base: str, call: Any, *, relay: bool = False) -> tuple[Any, ...]:
    client_ctx = browser.new_context()
    client = client_ctx.new_page()
    client_relay = Relay(client) if relay else None
    sign_in_client(client, base, "casey")
    client.goto(f"{base}/portal/sessions/{call.pk}/room/")
    expect(client.locator("#waiting-status")).to_have_text("Waiting for Tess Therapist to join")
    therapist_ctx = browser.new_context()
    therapist = therapist_ctx.new_page()
    therapist_relay = Relay(therapist) if relay else None
    sign_in_staff(therapist, base, "tess@maple.test")
    therapist.goto(f"{base}/sessions/{call.pk}/")
    therapist.get_by_role("button", name="Start", exact=True).click()
    for page in (therapist, client):
        wait_for_media(page)
    return client_ctx, therapist_ctx, client, therapist, client_relay, therapist_relay


def test_a_handler_that_throws_does_not_deafen_the_page(cast, browser, live_server_factory) -> None:
    call, base = _setup(cast, live_server_factory)
    client_ctx, therapist_ctx, client, therapist, _, relay = _in_call(
        browser, base, call, relay=True
    )
    try:
        # Break the therapist's view of the client's switches: handling them throws.
        therapist.evaluate("() => document.getElementById('peer-media').remove()")
        client.get_by_role("button", name="Mute").click()
        _until(
            therapist,
            lambda: {"type": "peer-media", "audio": False, "video": True} in relay.seen,
            "the client's switches reached the therapist's page",
        )
        # The page still hears the server: the client reloads and the call comes back.
        client.reload()
        for page in (therapist, client):
            wait_for_media(page)
    finally:
        therapist_ctx.close()
        client_ctx.close()


def test_glare_both_sides_offering_at_once_resolves(cast, browser, live_server_factory) -> None:
    call, base = _setup(cast, live_server_factory)
    client_ctx, therapist_ctx, client, therapist, client_relay, therapist_relay = _in_call(
        browser, base, call, relay=True
    )
    try:
        frames = {
            who: page.evaluate("async () => (await __call.summary()).framesDecoded")
            for who, page in (("client", client), ("therapist", therapist))
        }
        # Hold each side's incoming signals until both have made their offer: a collision.
        client_relay.hold = therapist_relay.hold = True
        for page in (therapist, client):
            page.evaluate("() => window.__call.pc.restartIce()")
        for page in (therapist, client):
            page.wait_for_function(
                "() => window.__call.pc.signalingState === 'have-local-offer'", timeout=20000
            )
        assert client_relay.held and therapist_relay.held  # the offers crossed
        client_relay.release()
        therapist_relay.release()
        for page in (therapist, client):
            page.wait_for_function(
                "() => window.__call.pc.signalingState === 'stable'", timeout=20000
            )
        for who, page in (("client", client), ("therapist", therapist)):
            wait_for(
                page,
                f"s.connectionState === 'connected' && s.framesDecoded > {frames[who]}",
            )
    finally:
        therapist_ctx.close()
        client_ctx.close()
