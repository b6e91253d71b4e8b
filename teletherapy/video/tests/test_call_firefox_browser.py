"""Real Firefox (Debian's firefox-esr over WebDriver BiDi) in a call with real Chromium, in
both directions, directly and through TURN: each decodes the other's video and hears the
other, mute and camera-off reach the other side, another camera or microphone chosen mid-call
is what the other side then receives, a Firefox reload rejoins, and an ICE restart started by
either side keeps the media flowing. Runs inside scripts/netns-run with scripts/test-services
(the test coturn), like test_call_browser.py."""

from __future__ import annotations

import time
from typing import Any

import pytest
from playwright.sync_api import expect

from teletherapy.test.firefox import Firefox, FirefoxPage
from teletherapy.test.personas import PASSWORD
from teletherapy.video.tests.conftest import make_tele_appointment
from teletherapy.video.tests.test_call_browser import (
    _passwords,
    needs_netns,
    sign_in_client,
    sign_in_staff,
    wait_for_media,
)

pytestmark = [pytest.mark.browser, pytest.mark.netns, pytest.mark.django_db(transaction=True)]

# Media deadlines are generous: two browsers and the app share a loaded 2-core machine.
MEDIA_TIMEOUT = 60.0

SUMMARY = "async () => window.__call && window.__call.summary ? __call.summary() : {}"
# The sent track of a kind: its id, label and state, and whether it is the stream's own.
SENT = """(kind) => {
  const sender = __call.pc && __call.pc.getSenders().find((s) => s.track && s.track.kind === kind);
  if (!sender) return null;
  const t = sender.track;
  const local = __call.stream.getTracks().filter((x) => x.kind === kind).map((x) => x.id);
  return {id: t.id, label: t.label, state: t.readyState, inStream: local.includes(t.id)};
}"""
# Received media counters per kind and inbound stream (a renegotiation may start new ones).
RECEIVED = """async () => {
  const out = {video: {}, audio: {}};
  (await __call.pc.getStats()).forEach((s) => {
    if (s.type === "inbound-rtp" && s.kind === "video") out.video[s.id] = s.framesDecoded || 0;
    if (s.type === "inbound-rtp" && s.kind === "audio") out.audio[s.id] = s.packetsReceived || 0;
  });
  return out;
}"""
# True once some inbound stream of each kind has counted past what it had in `before`.
GREW = (
    "async (before) => {\n  const now = await ("
    + RECEIVED
    + """)();
  const grew = (kind) => Object.entries(now[kind]).some(([id, n]) => n > (before[kind][id] || 0));
  return grew("video") && grew("audio") ? now : null;
}"""
)

# What the peer connection is doing, for a failure's message.
DESCRIBE = """async () => {
  const pc = __call.pc;
  if (!pc) return {state: __call.machine.state};
  const rtp = [];
  (await pc.getStats()).forEach((s) => {
    if (s.type === "inbound-rtp" || s.type === "outbound-rtp") {
      rtp.push([s.type, s.kind, s.framesDecoded ?? s.framesEncoded, s.packetsReceived ?? s.packetsSent]);
    }
  });
  return {machine: __call.machine.state, connection: pc.connectionState, ice: pc.iceConnectionState,
    signaling: pc.signalingState, rtp, senders: pc.getSenders().map((s) => s.track && s.track.readyState)};
}"""
UFRAG = "() => (__call.pc.localDescription?.sdp.match(/a=ice-ufrag:(\\S+)/) || [])[1] || null"


def ff_sign_in_staff(page: FirefoxPage, base: str, email: str) -> None:
    page.goto(f"{base}/accounts/sign-in/")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/dashboard/")


def ff_sign_in_client(page: FirefoxPage, base: str, username: str) -> None:
    page.goto(f"{base}/portal/sign-in/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/portal/")


def ff_wait_text(page: FirefoxPage, selector: str, text: str, timeout: float = 60.0) -> None:
    """Wait until the element's text is `text`; a failure says what it was instead."""
    try:
        page.wait_for(
            "([s, t]) => document.querySelector(s)?.innerText === t",
            [selector, text],
            timeout=timeout,
        )
    except AssertionError:
        raise AssertionError(f"{selector} says {page.text(selector)!r}, not {text!r}") from None


def ff_wait_for_media(page: FirefoxPage, timeout: float = MEDIA_TIMEOUT) -> dict[str, Any]:
    """Firefox's side of wait_for_media: connected, video frames decoded, audio packets in."""
    fn = """async () => {
      const s = window.__call && window.__call.summary ? await __call.summary() : {};
      return s.connectionState === "connected" && s.framesDecoded > 0
        && s.audioPacketsReceived > 0 ? s : null;
    }"""
    try:
        return dict(page.wait_for(fn, timeout=timeout))
    except AssertionError as err:
        summary = page.evaluate(SUMMARY)
        raise AssertionError(f"Firefox: no media within {timeout}s: {summary}\n{err}") from None


def _chromium_waits(page: Any, fn: str, arg: Any = None, timeout: float = 30.0) -> Any:
    deadline = time.monotonic() + timeout
    value = None
    while time.monotonic() < deadline:
        value = page.evaluate(fn, arg)
        if value:
            return value
        time.sleep(0.25)
    raise AssertionError(f"Chromium: {fn}({arg!r}) stayed {value!r} for {timeout}s")


class Side:
    """One side of the call, whichever browser it is in, seen through the same questions."""

    def __init__(self, name: str, page: Any) -> None:
        self.name = name
        self.page = page
        self.firefox = isinstance(page, FirefoxPage)

    def evaluate(self, fn: str, arg: Any = None) -> Any:
        if self.firefox:
            return self.page.evaluate(fn, *([] if arg is None else [arg]))
        return self.page.evaluate(fn, arg)

    def wait(self, fn: str, arg: Any = None, timeout: float = 30.0) -> Any:
        if self.firefox:
            return self.page.wait_for(fn, *([] if arg is None else [arg]), timeout=timeout)
        return _chromium_waits(self.page, fn, arg, timeout)

    def media(self) -> dict[str, Any]:
        if self.firefox:
            return ff_wait_for_media(self.page)
        try:
            return wait_for_media(self.page, timeout=MEDIA_TIMEOUT)
        except AssertionError as err:
            raise AssertionError(f"{self.name} (Chromium): {self.describe()}\n{err}") from None

    def click(self, element_id: str) -> None:
        if self.firefox:
            self.page.click(f"#{element_id}")
        else:
            self.page.locator(f"#{element_id}").click()

    def received_more_than(self, before: dict[str, dict[str, int]]) -> None:
        """Wait until both video frames and audio packets have grown past `before`."""
        try:
            self.wait(GREW, before, timeout=MEDIA_TIMEOUT)
        except AssertionError as err:
            raise AssertionError(f"{self.name}: {self.describe()} after {before}\n{err}") from None

    def describe(self) -> Any:
        return self.evaluate(DESCRIBE)


def _toggles_reach_the_other_side(a: Side, b: Side, peer_of_a: str) -> None:
    """a mutes and turns the camera off; b's page says so; a undoes both; b's note goes."""
    a.click("toggle-mic")
    b.wait(
        "(t) => document.getElementById('peer-media').innerText.includes(t)",
        f"{peer_of_a} is muted",
    )
    a.click("toggle-camera")
    b.wait(
        "(t) => document.getElementById('peer-media').innerText.includes(t)",
        f"{peer_of_a}'s camera is off",
    )
    assert a.evaluate("() => __call.stream.getTracks().every((t) => !t.enabled)")
    a.click("toggle-mic")
    a.click("toggle-camera")
    b.wait("() => document.getElementById('peer-media').hidden")


def _switch_devices(a: Side, b: Side, camera: str, mic: str) -> None:
    """a chooses another camera, then another microphone, in the Devices drawer; what a sends
    is the new track (the old one stopped), and b goes on receiving video and sound from it."""
    a.click("toggle-devices")
    for kind, select, label in (
        ("video", "call-camera-select", camera),
        ("audio", "call-mic-select", mic),
    ):
        old = a.evaluate(SENT, kind)
        assert old and old["state"] == "live", old
        a.wait(
            "([id, label]) => [...document.getElementById(id).options].some((o) => o.text === label)",
            [select, label],
        )
        a.evaluate(
            """([id, label]) => {
              const select = document.getElementById(id);
              select.value = [...select.options].find((o) => o.text === label).value;
              select.dispatchEvent(new Event("change", {bubbles: true}));
            }""",
            [select, label],
        )
        new = a.wait(
            "([kind, old]) => { const s = ("
            + SENT
            + ")(kind); return s && s.id !== old ? s : null; }",
            [kind, old["id"]],
        )
        assert new["label"] == label and new["state"] == "live" and new["inStream"], new
        # The replaced track is stopped: what b receives from here on can only be the new one.
        assert a.evaluate(
            "(id) => !__call.stream.getTracks().some((t) => t.id === id)", old["id"]
        ), old
        b.received_more_than(b.evaluate(RECEIVED))
    a.click("toggle-devices")


def _candidate_types(side: Side) -> tuple[str, str]:
    summary = side.evaluate(SUMMARY)
    return summary.get("localCandidateType"), summary.get("remoteCandidateType")


def _both_relayed(*sides: Side) -> None:
    """Each side sends only from its TURN relay, so every packet goes through coturn. The
    remote end may be named peer-reflexive: a check from the other's relay that arrives before
    its trickled candidate is learnt that way (it is the same relay address)."""
    for side in sides:
        local, remote = _candidate_types(side)
        assert local == "relay" and remote in ("relay", "prflx"), (side.name, local, remote)


def _firefox_client_joins(ff: FirefoxPage, base: str, call: Any) -> None:
    """Through the device check: the browser is named, the camera and microphone work."""
    ff_sign_in_client(ff, base, "casey")
    ff.goto(f"{base}/portal/sessions/{call.pk}/")
    ff.wait_for("() => !document.getElementById('browser-support').hidden")
    assert ff.text("#browser-support").startswith("Browser: Firefox 1"), ff.text("#browser-support")
    ff.click("#allow-devices")
    ff.wait_for("() => document.getElementById('device-status').innerText.includes('work')")
    ff.select("select[name=location]", "NJ")
    ff.click("#join")
    ff.wait_for_url(f"{base}/portal/sessions/{call.pk}/room/")
    ff_wait_text(ff, "#waiting-status", "Waiting for Tess Therapist to join")


@needs_netns
@pytest.mark.parametrize("policy", ["all", "relay"])
def test_a_firefox_client_and_a_chromium_therapist(
    cast, browser, firefox: Firefox, live_server_factory, policy
) -> None:
    call = make_tele_appointment(cast)
    _passwords(cast.therapist.user, cast.client_with_portal.user)
    base = live_server_factory(env={"ICE_TRANSPORT_POLICY": policy}).url
    ff = firefox.page()
    context = browser.new_context()
    therapist = context.new_page()
    try:
        _firefox_client_joins(ff, base, call)
        sign_in_staff(therapist, base, cast.therapist.user.email)
        therapist.goto(f"{base}/sessions/{call.pk}/")
        therapist.get_by_role("button", name="Start", exact=True).click()
        chromium_side, firefox_side = Side("therapist", therapist), Side("client", ff)
        for side in (chromium_side, firefox_side):
            side.media()
        assert ff.evaluate("() => document.getElementById('waiting-room').hidden")
        if policy == "relay":
            _both_relayed(chromium_side, firefox_side)
            return
        _toggles_reach_the_other_side(firefox_side, chromium_side, "Casey Client")
        _toggles_reach_the_other_side(chromium_side, firefox_side, "Tess Therapist")
        _switch_devices(chromium_side, firefox_side, "fake_device_2", "Fake Audio Input 2")
        # Firefox's fake devices: one camera and one microphone, listed by name once allowed;
        # choosing it (instead of "Default") asks for it anew and sends the new track.
        _switch_devices(firefox_side, chromium_side, "Default Video Device", "Default Audio Device")

        # A Firefox reload rejoins, with no click.
        ff.reload()
        for side in (chromium_side, firefox_side):
            side.media()
    finally:
        ff.close()
        context.close()


@needs_netns
@pytest.mark.parametrize("policy", ["all", "relay"])
def test_a_firefox_therapist_and_a_chromium_client(
    cast, browser, firefox: Firefox, live_server_factory, policy
) -> None:
    from teletherapy.video.models import VideoSession

    call = make_tele_appointment(cast)
    VideoSession.objects.create(appointment=call, client_location="NJ")
    _passwords(cast.therapist.user, cast.client_with_portal.user)
    base = live_server_factory(env={"ICE_TRANSPORT_POLICY": policy}).url
    ff = firefox.page()
    context = browser.new_context()
    # Without requestVideoFrameCallback the first frame is still noticed (loadeddata).
    context.add_init_script("delete HTMLVideoElement.prototype.requestVideoFrameCallback;")
    client = context.new_page()
    try:
        sign_in_client(client, base, "casey")
        client.goto(f"{base}/portal/sessions/{call.pk}/room/")
        expect(client.locator("#waiting-status")).to_have_text("Waiting for Tess Therapist to join")

        ff_sign_in_staff(ff, base, cast.therapist.user.email)
        ff.goto(f"{base}/sessions/{call.pk}/")
        ff.click("#allow-devices")
        ff.wait_for("() => document.getElementById('device-status').innerText.includes('work')")
        # Firefox has setSinkId: the speaker choice is offered, with its PulseAudio sink.
        assert ff.evaluate(
            "() => !document.querySelector('#device-check [data-speaker-field]').hidden"
        )
        ff.click("#start-call")
        chromium_side, firefox_side = Side("client", client), Side("therapist", ff)
        for side in (chromium_side, firefox_side):
            side.media()
        assert "New Jersey" in ff.text("#client-location")
        assert client.evaluate("typeof __call.firstFrameAt") == "number"
        assert ff.evaluate("() => typeof __call.firstFrameAt") == "number"
        if policy == "relay":
            _both_relayed(chromium_side, firefox_side)
            return
        _toggles_reach_the_other_side(firefox_side, chromium_side, "Tess Therapist")
        _toggles_reach_the_other_side(chromium_side, firefox_side, "Casey Client")
        _switch_devices(firefox_side, chromium_side, "Default Video Device", "Default Audio Device")
        _switch_devices(chromium_side, firefox_side, "fake_device_2", "Fake Audio Input 2")

        # The therapist's reload comes back to the device check; Start rejoins the call.
        ff.reload()
        ff.click("#start-call")
        for side in (chromium_side, firefox_side):
            side.media()
    finally:
        ff.close()
        context.close()


@needs_netns
@pytest.mark.parametrize("restarter", ["chromium", "firefox"])
def test_an_ice_restart_by_either_side_keeps_the_media_flowing(
    cast, browser, firefox: Firefox, live_server_factory, restarter
) -> None:
    """Chromium therapist, Firefox client: one side restarts ICE (new credentials, a new
    offer); within the deadline both sides have new ICE credentials and receive both kinds."""
    from teletherapy.video.models import VideoSession

    call = make_tele_appointment(cast)
    VideoSession.objects.create(appointment=call, client_location="NJ")
    _passwords(cast.therapist.user, cast.client_with_portal.user)
    base = live_server_factory().url
    ff = firefox.page()
    context = browser.new_context()
    therapist = context.new_page()
    try:
        ff_sign_in_client(ff, base, "casey")
        ff.goto(f"{base}/portal/sessions/{call.pk}/room/")
        ff_wait_text(ff, "#waiting-status", "Waiting for Tess Therapist to join")
        sign_in_staff(therapist, base, cast.therapist.user.email)
        therapist.goto(f"{base}/sessions/{call.pk}/")
        therapist.get_by_role("button", name="Start", exact=True).click()
        sides = {"chromium": Side("therapist", therapist), "firefox": Side("client", ff)}
        for side in sides.values():
            side.media()
        ufrags = {name: side.evaluate(UFRAG) for name, side in sides.items()}
        counts = {name: side.evaluate(RECEIVED) for name, side in sides.items()}
        sides[restarter].evaluate("() => __call.pc.restartIce()")
        for name, side in sides.items():
            side.wait(f"() => ({UFRAG})() !== {ufrags[name]!r}", timeout=MEDIA_TIMEOUT)
            side.received_more_than(counts[name])
        for side in sides.values():
            assert side.evaluate("() => __call.pc.connectionState") == "connected"
    finally:
        ff.close()
        context.close()


# The device lists as the device check would fill them, from the page's own module.
FILL = """async () => {
  const devices = await import("/static/js/call/devices.js");
  await devices.fillDeviceSelects(document.getElementById("device-check"));
  const select = document.getElementById("check-camera-select");
  return {options: [...select.options].map((o) => [o.text, o.value]), disabled: select.disabled,
    speaker: !document.querySelector("#device-check [data-speaker-field]").hidden};
}"""


def test_the_device_check_in_firefox(cast, firefox: Firefox, live_server_factory) -> None:
    """Firefox is named with its version; before permission it lists nameless devices with no
    id, which are not offered as choices; once allowed, its devices are listed by name, with
    the speaker choice (it has setSinkId); Try again and Join raise no error in the page."""
    call = make_tele_appointment(cast)
    _passwords(cast.client_with_portal.user)
    base = live_server_factory().url
    ff = firefox.page()
    try:
        ff_sign_in_client(ff, base, "casey")
        ff.goto(f"{base}/portal/sessions/{call.pk}/")
        ff.wait_for("() => !document.getElementById('browser-support').hidden")
        assert (
            ff.text("#browser-support")
            == f"Browser: Firefox {firefox.version.split('/')[1].split('.')[0]}."
        )
        assert ff.evaluate("() => document.getElementById('safari-again').hidden")
        unnamed = ff.evaluate(
            "async () => (await navigator.mediaDevices.enumerateDevices()).map((d) => [d.kind, d.label, d.deviceId])"
        )
        assert unnamed and all(label == "" and device_id == "" for _, label, device_id in unnamed)
        before = ff.evaluate(FILL)
        assert before["options"] == [["Default camera", ""]] and before["disabled"], before

        ff.click("#allow-devices")
        ff.wait_for("() => document.getElementById('device-status').innerText.includes('work')")
        after = ff.evaluate(FILL)
        assert [text for text, _ in after["options"]] == ["Default camera", "Default Video Device"]
        assert not after["disabled"] and after["speaker"], after
        ff.click("#allow-devices")  # "Try again": a new meter, the old one closed once
        ff.wait_for("() => document.getElementById('device-status').innerText.includes('work')")
        ff.select("select[name=location]", "NJ")
        ff.click("#join")
        ff.wait_for_url(f"{base}/portal/sessions/{call.pk}/room/")
        errors = [
            line for line in firefox.log().splitlines() if f"[firefox page {ff.id}] error" in line
        ]
        assert errors == []
    finally:
        ff.close()
