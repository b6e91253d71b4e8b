"""End to end in real browsers: therapist and client go from their dashboards through the
device check and the Telehealth Waiting Room into a live call, directly and through TURN; a
third person gets nothing. Runs inside scripts/netns-run (Chromium gathers no loopback ICE
candidates) with the test coturn from scripts/test-services."""

from __future__ import annotations

import os
import time
from typing import Any

import pytest
from playwright.sync_api import expect

from teletherapy.test.personas import PASSWORD
from teletherapy.video.tests.conftest import make_tele_appointment

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
needs_netns = pytest.mark.skipif(
    not os.environ.get("TT_NETNS_ADDR") or not os.environ.get("TURN_URLS"),
    reason="needs the private network namespace and coturn: run under scripts/netns-run "
    "with scripts/test-services (make test does both)",
)


def _passwords(*users: Any) -> None:
    for user in users:
        user.set_password(PASSWORD)
        user.save()


def sign_in_staff(page: Any, base: str, email: str) -> None:
    page.goto(f"{base}/accounts/sign-in/")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/dashboard/**")


def sign_in_client(page: Any, base: str, username: str) -> None:
    page.goto(f"{base}/portal/sign-in/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/portal/**")


def wait_for_media(page: Any, timeout: float = 40.0) -> dict[str, Any]:
    """Poll the page's RTCPeerConnection stats until video frames and audio packets arrive."""
    deadline = time.monotonic() + timeout
    summary: dict[str, Any] = {}
    while time.monotonic() < deadline:
        summary = page.evaluate(
            "window.__call && window.__call.summary ? window.__call.summary() : {}"
        )
        if (
            summary.get("connectionState") == "connected"
            and summary.get("framesDecoded", 0) > 0
            and summary.get("audioPacketsReceived", 0) > 0
        ):
            return summary
        time.sleep(0.25)
    raise AssertionError(f"no media within {timeout}s: {summary}")


def _reload_and_end(therapist: Any, client: Any, call: Any) -> None:
    """A reload replaces the client's connection and the call comes back by itself; then the
    therapist ends the session and the record shows it."""
    from teletherapy.video.models import Participation, VideoSession

    client.reload()
    for page in (therapist, client):
        wait_for_media(page)
    therapist.get_by_role("button", name="End session").click()
    # It asks first, naming who else the call stops for; nothing ends until the answer.
    confirm = therapist.get_by_role("dialog", name="End the session for everyone?")
    expect(confirm).to_contain_text("The call stops for you and for Casey Client.")
    confirm.get_by_role("button", name="Go back").click()
    expect(therapist.get_by_role("button", name="End session")).to_be_focused()
    wait_for_media(client)
    therapist.get_by_role("button", name="End session").click()
    confirm.get_by_role("button", name="End session").click()
    expect(therapist.locator("#call-ended")).to_contain_text("You ended the session")
    expect(client.locator("#call-ended")).to_contain_text("Tess Therapist ended the session")
    deadline = time.monotonic() + 30
    session = VideoSession.objects.get(appointment=call)
    while session.ended_at is None and time.monotonic() < deadline:
        time.sleep(0.2)
        session.refresh_from_db()
    assert session.started_at is not None and session.ended_at is not None
    assert session.client_location == "NJ"
    rows = Participation.objects.filter(session=session)
    assert rows.filter(role="client").count() == 2  # joined, reloaded
    assert not rows.filter(left_at__isnull=True).exists()


PROBE = """async (path) => {
  const got = [];
  const code = await new Promise((resolve) => {
    const ws = new WebSocket(`ws://${location.host}${path}`);
    ws.onmessage = (e) => got.push(e.data);
    ws.onclose = (e) => resolve(e.code);
    setTimeout(() => resolve("still open"), 5000);
  });
  return {code, got};
}"""


@pytest.mark.netns
@needs_netns
@pytest.mark.parametrize("policy", ["all", "relay"])
def test_therapist_and_client_see_and_hear_each_other(
    cast, browser, live_server_factory, policy
) -> None:
    call = make_tele_appointment(cast)
    _passwords(cast.therapist.user, cast.client_with_portal.user, cast.other_client.user)
    server = live_server_factory(env={"ICE_TRANSPORT_POLICY": policy})
    base = server.url
    contexts = [browser.new_context() for _ in range(3)]
    therapist, client, intruder = (context.new_page() for context in contexts)
    try:
        sign_in_staff(therapist, base, cast.therapist.user.email)
        sign_in_client(client, base, "casey")

        # Both see the prompt on their Dashboard.
        therapist.goto(f"{base}/dashboard/")
        prompt = therapist.locator(
            ".session-prompt", has_text="Your Teletherapy session with Casey Client"
        )
        assert "is ready" in prompt.inner_text()
        client.goto(f"{base}/portal/")
        client_prompt = client.locator(
            ".session-prompt", has_text="Your Teletherapy session with Tess Therapist"
        )
        assert "is ready" in client_prompt.inner_text()

        # The client joins first: device check, location, Telehealth Waiting Room.
        client_prompt.get_by_role("link", name="Join session").click()
        client.get_by_role("button", name="Allow camera and microphone").click()
        expect(client.locator("#device-status")).to_contain_text("work")
        client.select_option("select[name=location]", "NJ")
        client.get_by_role("button", name="Join session").click()
        client.wait_for_url(f"{base}/portal/sessions/{call.pk}/room/")
        assert client.get_by_role("heading", name="Telehealth Waiting Room").is_visible()
        waiting = client.locator("#waiting-room").inner_text()
        assert "Tess Therapist" in waiting and "Maple Counseling" in waiting
        assert "EST" in waiting or "EDT" in waiting
        expect(client.locator("#waiting-status")).to_have_text("Waiting for Tess Therapist to join")

        # A third person opening the page or the WebSocket gets nothing.
        sign_in_client(intruder, base, "quinn")
        response = intruder.goto(f"{base}/portal/sessions/{call.pk}/room/")
        assert response is not None and response.status == 404
        probe = intruder.evaluate(PROBE, f"/ws/sessions/{call.pk}/")
        assert probe["got"] == [] and probe["code"] != "still open"

        # The therapist clicks Start; both are in the call with no further clicks.
        therapist.locator(".session-prompt").get_by_role("link", name="Start").click()
        therapist.wait_for_url(f"{base}/sessions/{call.pk}/")
        therapist.get_by_role("button", name="Allow camera and microphone").click()
        expect(therapist.locator("#device-status")).to_contain_text("work")
        # The client's held offer is applied during the device check, but nothing is sent
        # and nothing flows before Start: no local description, no ICE.
        therapist.wait_for_function(
            "() => window.__call.pc && window.__call.pc.signalingState === 'have-remote-offer'"
        )
        ahead = therapist.evaluate(
            "() => [__call.pc.localDescription, __call.pc.iceGatheringState, __call.pc.iceConnectionState]"
        )
        assert ahead == [None, "new", "new"]
        assert client.evaluate("() => __call.pc.iceConnectionState") == "new"
        expect(client.locator("#waiting-status")).to_have_text("Waiting for Tess Therapist to join")
        therapist.get_by_role("button", name="Start", exact=True).click()
        assert "New Jersey" in therapist.locator("#client-location").inner_text()

        pages = {"therapist": therapist, "client": client}
        summaries = {who: wait_for_media(page) for who, page in pages.items()}
        for who, page in pages.items():
            assert page.locator("#waiting-room").is_hidden(), who
            if policy == "relay":
                assert summaries[who]["localCandidateType"] == "relay", summaries[who]
                assert summaries[who]["remoteCandidateType"] == "relay", summaries[who]
        if policy == "all":
            _reload_and_end(therapist, client, call)
    finally:
        for context in contexts:
            context.close()


def test_the_prompt_appears_without_a_reload_when_the_window_opens(
    cast, browser, live_server_factory
) -> None:
    from datetime import timedelta

    from django.utils import timezone

    start = (timezone.now() + timedelta(hours=2)).replace(second=0, microsecond=0)
    make_tele_appointment(cast, start=start)
    _passwords(cast.therapist.user, cast.client_with_portal.user)
    # The server's clock starts 20 seconds before the window opens, and ticks.
    server = live_server_factory(travel_to=start - timedelta(minutes=15, seconds=20))
    base = server.url
    contexts = [browser.new_context() for _ in range(2)]
    therapist, client = (context.new_page() for context in contexts)
    try:
        sign_in_staff(therapist, base, cast.therapist.user.email)
        sign_in_client(client, base, "casey")
        therapist.goto(f"{base}/dashboard/")
        client.goto(f"{base}/portal/")
        assert therapist.locator(".session-prompt").count() == 0
        assert "You can join from" in client.locator("#session-prompts").inner_text()
        for page in (therapist, client):
            page.evaluate("() => { window.__notReloaded = true; }")
        expect(therapist.locator(".session-prompt")).to_contain_text(
            "Your Teletherapy session with Casey Client", timeout=45000
        )
        expect(therapist.locator(".session-prompt")).to_contain_text("is ready")
        expect(client.locator(".session-prompt").first).to_contain_text(
            "Your Teletherapy session with Tess Therapist", timeout=30000
        )
        # "Your Teletherapy session with Tess Therapist" also begins the not-yet-open line.
        expect(client.get_by_role("link", name="Join session")).to_be_visible(timeout=30000)
        for page in (therapist, client):
            assert page.evaluate("() => window.__notReloaded === true")
    finally:
        for context in contexts:
            context.close()


def wait_for(page: Any, check: str, timeout: float = 40.0) -> dict[str, Any]:
    """Poll the page's call summary until the JavaScript condition on `s` holds."""
    deadline = time.monotonic() + timeout
    summary: dict[str, Any] = {}
    while time.monotonic() < deadline:
        summary = page.evaluate(
            f"async () => {{ const s = window.__call && window.__call.summary ? "
            f"await window.__call.summary() : {{}}; return {{ s, ok: Boolean({check}) }}; }}"
        )
        if summary["ok"]:
            return summary["s"]
        time.sleep(0.25)
    raise AssertionError(f"not reached within {timeout}s: {check}: {summary}")


@pytest.mark.netns
@needs_netns
def test_a_client_without_a_camera_joins_with_audio_only(
    cast, browser, live_server_factory
) -> None:
    from teletherapy.video.models import VideoSession
    from teletherapy.video.tests.test_device_check_browser import NO_CAMERA

    call = make_tele_appointment(cast)
    VideoSession.objects.create(appointment=call, client_location="NY")
    _passwords(cast.therapist.user, cast.client_with_portal.user)
    base = live_server_factory().url
    therapist_ctx, client_ctx = browser.new_context(), browser.new_context()
    client_ctx.add_init_script(NO_CAMERA)
    therapist, client = therapist_ctx.new_page(), client_ctx.new_page()
    try:
        sign_in_client(client, base, "casey")
        client.goto(f"{base}/portal/sessions/{call.pk}/room/")
        expect(client.locator("#waiting-status")).to_have_text("Waiting for Tess Therapist to join")
        expect(client.locator("#toggle-camera")).to_be_hidden()
        sign_in_staff(therapist, base, cast.therapist.user.email)
        therapist.goto(f"{base}/sessions/{call.pk}/")
        therapist.get_by_role("button", name="Start", exact=True).click()
        # The client sees and hears the therapist; the therapist hears the client.
        wait_for(
            client,
            "s.connectionState === 'connected' && s.framesDecoded > 0 && s.audioPacketsReceived > 0",
        )
        summary = wait_for(
            therapist, "s.connectionState === 'connected' && s.audioPacketsReceived > 0"
        )
        assert summary["framesDecoded"] == 0
    finally:
        therapist_ctx.close()
        client_ctx.close()
