"""End to end in real Chromium (fake devices, the private network namespace): in a call of
three (the therapist and a couple), one person's connection fails abruptly and the call goes
on for the other two.

- A signaling drop (their WebSocket closed under them, no Leave): their peer connections
  are still up, so this proves the server and the others' pages handle a socket that goes
  away and comes back, not a loss of media.
- A crash (their browser context closed, no Leave): the socket and the media go at once.

Each time the other two keep decoding each other's video throughout, see the failed person
reconnecting or gone within 20 s, keep their own pair's peer connection (not rebuilt) and
their page state, and then see the failed person again once they are back."""

from __future__ import annotations

import time
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
from teletherapy.video.tests.test_mesh_call_browser import (
    check_in,
    frames_from,
    mesh_summary,
    wait_for_peers,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
EVERYONE = {"Tess Therapist", "Casey Client", "Pat Partner"}
GONE_WITHIN = 20.0  # the product's bound for the others to see someone gone

# Keeps the page's WebSockets reachable, so the test can drop one under the page: drop()
# closes it and reports the close as a network drop does (1006, "abnormal closure"); a page
# can't close a socket with 1006 itself, and the server echoes any code it is sent as 1000.
KEEP_SOCKETS = """
(() => {
  const Original = window.WebSocket;
  window.__sockets = [];
  window.WebSocket = class extends Original {
    constructor(...args) { super(...args); window.__sockets.push(this); }
    addEventListener(type, listener, ...rest) {
      const wrapped = type !== "close" ? listener
        : (event) => listener(this.dropped ? { code: 1006, reason: "", wasClean: false } : event);
      super.addEventListener(type, wrapped, ...rest);
    }
    drop() { this.dropped = true; this.close(); }
  };
})();
"""

# Remembers each pair's peer connection, by the other person's name.
MARK_PCS = (
    "window.__pcs = new Map([...__call.peers.values()].map((p) => [p.person.name, p.machine.pc]))"
)
SAME_PC = "(name) => [...__call.peers.values()].some((p) => p.person.name === name && p.machine.pc === __pcs.get(name))"
# The failed person as this page shows them: no tile, a tile saying they are reconnecting,
# or already a new pair with them (a quick reconnect may replace the tile between two polls).
SHOWN_AWAY = """(name) => {
  const tile = [...document.querySelectorAll('.remote-tile')].find((t) => t.textContent.includes(name));
  const peer = [...__call.peers.values()].find((p) => p.person.name === name);
  return !tile || !peer || peer.machine.pc !== __pcs.get(name)
    || tile.querySelector('.tile-status').textContent.includes('reconnecting');
}"""

PAGE_STATE = """[document.getElementById('call-root').dataset.state, __call.ended,
  __sockets.map((s) => [s.readyState, s.url]), document.querySelector('main').innerText.slice(0, 400)]"""


def time_until_shown_away(pages: list[Any], name: str) -> float:
    """Seconds from now until every one of `pages` shows `name` reconnecting or gone."""
    start = time.monotonic()
    for page in pages:
        page.wait_for_function(SHOWN_AWAY, arg=name, timeout=GONE_WITHIN * 1000)
    return time.monotonic() - start


def others_unaffected(therapist: Any, casey: Any, since: tuple[int, int]) -> tuple[int, int]:
    """The therapist and Casey still decode each other (more frames than `since`), over the
    same peer connection as before, with their pages still in the call."""
    now = (frames_from(therapist, "Casey Client"), frames_from(casey, "Tess Therapist"))
    assert now[0] > since[0] and now[1] > since[1], (since, now)
    assert therapist.evaluate(SAME_PC, "Casey Client")
    assert casey.evaluate(SAME_PC, "Tess Therapist")
    for page in (therapist, casey):
        expect(page.locator("#call-root")).to_have_attribute("data-state", "call")
    expect(therapist.locator(".remote-tile", has_text="Casey Client")).to_be_visible()
    expect(casey.locator(".remote-tile", has_text="Tess Therapist")).to_be_visible()
    return now


def flowing(page: Any, name: str, more_than: int) -> None:
    page.wait_for_function(
        "async ([name, n]) => (await __call.summary()).peers.find((p) => p.name === name)"
        "?.framesDecoded > n",
        arg=[name, more_than],
        timeout=30000,
    )


@pytest.mark.netns
@needs_netns
def test_one_person_failing_leaves_the_others_call_alone(cast, browser, live_server_factory):
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
    for context in contexts:
        context.add_init_script(KEEP_SOCKETS)
    therapist, casey, pat = (context.new_page() for context in contexts)
    said: list[str] = []  # the pages' console, printed if the test fails
    for who, page in (("T", therapist), ("C", casey), ("P", pat)):
        page.on("console", lambda m, who=who: said.append(f"{who}: {m.text}"))
    figures: dict[str, Any] = {}
    try:
        sign_in_staff(therapist, base, cast.therapist.user.email)
        sign_in_client(casey, base, "casey")
        sign_in_client(pat, base, "pat")
        check_in(casey, base, call.pk, "NJ")
        check_in(pat, base, call.pk, "VT")
        therapist.goto(f"{base}/sessions/{call.pk}/")
        therapist.get_by_role("button", name="Allow camera and microphone").click()
        expect(therapist.locator("#device-status")).to_contain_text("work")
        therapist.get_by_role("button", name="Start", exact=True).click()
        pages = {"Tess Therapist": therapist, "Casey Client": casey, "Pat Partner": pat}
        for me, page in pages.items():
            wait_for_peers(page, EVERYONE - {me})
        for page in (therapist, casey):
            page.evaluate(MARK_PCS)

        # (a) Pat's signaling socket drops (no Leave); it reconnects by itself.
        since = (frames_from(therapist, "Casey Client"), frames_from(casey, "Tess Therapist"))
        pat.evaluate("window.__sockets.findLast((s) => s.url.includes('/mesh/')).drop()")
        figures["drop: shown away after s"] = round(
            time_until_shown_away([therapist, casey], "Pat Partner"), 1
        )
        flowing(therapist, "Casey Client", since[0])
        flowing(casey, "Tess Therapist", since[1])
        during = others_unaffected(therapist, casey, since)
        for me, page in pages.items():
            wait_for_peers(page, EVERYONE - {me})
        after = others_unaffected(therapist, casey, during)
        figures["drop: frames therapist<-casey, casey<-therapist"] = (
            after[0] - since[0],
            after[1] - since[1],
        )

        # (b) Pat's browser goes away at once (a crash, a closed laptop lid): no Leave.
        since = after
        for page in (therapist, casey):
            page.evaluate(MARK_PCS)
        contexts[2].close()
        figures["crash: shown away after s"] = round(
            time_until_shown_away([therapist, casey], "Pat Partner"), 1
        )
        flowing(therapist, "Casey Client", since[0])
        flowing(casey, "Tess Therapist", since[1])
        during = others_unaffected(therapist, casey, since)
        wait_for_peers(therapist, {"Casey Client"}, timeout=30)
        wait_for_peers(casey, {"Tess Therapist"}, timeout=30)

        # Pat comes back from a fresh browser and is seen by both again.
        contexts[2] = browser.new_context()
        pat = contexts[2].new_page()
        sign_in_client(pat, base, "pat")
        pat.goto(f"{base}/portal/sessions/{call.pk}/room/")
        pages["Pat Partner"] = pat
        for me, page in pages.items():
            wait_for_peers(page, EVERYONE - {me})
        after = others_unaffected(therapist, casey, during)
        figures["crash: frames therapist<-casey, casey<-therapist"] = (
            after[0] - since[0],
            after[1] - since[1],
        )
        print("mesh fault figures:", figures)
    except BaseException:
        print("\n".join(said[-150:]))
        print("figures so far:", figures)
        if not pat.is_closed():
            print("pat:", mesh_summary(pat), pat.evaluate(PAGE_STATE))
        print("therapist:", therapist.evaluate(PAGE_STATE))
        raise
    finally:
        for context in contexts:
            try:
                context.close()
            except Exception:
                pass
