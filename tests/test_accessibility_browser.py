"""Every page each persona can open, checked in Chromium with axe-core (WCAG 2.0, 2.1 and 2.2,
levels A and AA) at a desktop size and an iPhone size, and for sideways scroll on a 360 px
phone.

The pages come from the permission matrix: each GET cell that answers a page (200, or 400 for a
page that explains a problem), plus the device check and the call while a Teletherapy Session's
window is open. axe-core is the npm package that scripts/setup --test installs.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

import pytest
from django.conf import settings
from django.test import Client as HttpClient
from django.urls import reverse
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from teletherapy.test.browser import ROOT
from teletherapy.test.personas import PERSONAS, Cast, build_cast

AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]
IMPACTS = ("critical", "serious", "moderate", "minor")
IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1"
)
DESKTOP = {"viewport": {"width": 1280, "height": 900}}
PHONE = {
    "viewport": {"width": 375, "height": 812},
    "is_mobile": True,
    "has_touch": True,
    "user_agent": IPHONE,
}
NARROW = {"width": 360, "height": 740}
# Statuses of a page a person reads; redirects and bare refusals are not pages.
PAGE_STATUSES = (200, 400)
# Answers that are files to download, not pages (the browser saves them, axe has nothing).
DOWNLOADS = {"audit:export"}

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@dataclass(frozen=True)
class Finding:
    persona: str
    size: str
    url: str
    rule: str
    impact: str
    nodes: int
    example: str

    def __str__(self) -> str:
        return (
            f"{self.impact:8} {self.rule} x{self.nodes} — {self.persona} {self.size} {self.url}"
            f"\n           {self.example}"
        )


def persona_pages(cast: Cast, persona: str, extra: dict[str, list[str]]) -> list[str]:
    """The URLs of the pages this persona may open, in matrix order, each once."""
    from tests.test_permission_matrix import ROWS

    urls: list[str] = []
    for row in ROWS:
        # Rows checked at another moment (the launch window open) are not what this server
        # shows now; the open-window pages are added by _open_call_pages.
        if row.at is not None or row.name in DOWNLOADS:
            continue
        if row.method == "GET" and row.expect[persona] in PAGE_STATUSES:
            urls.append(reverse(row.name, kwargs=row.kwargs(cast)) + row.query)
    urls += extra.get(persona, [])
    return list(dict.fromkeys(urls))


def _open_call_pages(cast: Cast) -> dict[str, list[str]]:
    """The device check and the call of a Teletherapy Session that starts in five minutes."""
    from teletherapy.video.tests.conftest import make_tele_appointment

    call = make_tele_appointment(cast)
    args = {"appointment_id": call.pk}
    return {
        "therapist": [reverse("video:check", kwargs=args), reverse("video:room", kwargs=args)],
        # The client's call page opens only after the device check (it sends them there).
        "client": [reverse("portal_video:check", kwargs=args)],
    }


def _series_pages(cast: Cast) -> dict[str, list[str]]:
    """An occurrence of a weekly series: its Details (with the series and the this / this
    and following / all choice of Cancel) and its Edit tab."""
    from datetime import time, timedelta

    from django.utils import timezone

    from teletherapy.lib import clock
    from teletherapy.scheduling import recurrence, series

    first = clock.local(timezone.now() + timedelta(days=14), cast.scheduler.time_zone)
    booked = series.book_series(
        therapist=cast.therapist,
        client=cast.client_with_portal,
        first_day=first.date(),
        at=time(12),
        repeats=recurrence.WEEKLY,
        count=4,
        is_teletherapy=True,
        by=cast.scheduler,
    )
    occurrence = booked.occurrences.order_by("start")[1]
    args = {"appointment_id": occurrence.pk}
    pages = [
        reverse("scheduling:appointment", kwargs=args),
        reverse("scheduling:appointment_edit", kwargs=args),
    ]
    return {"therapist": pages, "scheduler": pages}


def _signed_in_context(browser: Any, base: str, session_key: str | None, **options: Any) -> Any:
    context = browser.new_context(**options)
    context.add_init_script(path=str(AXE))
    if session_key:
        context.add_cookies([{"name": "sessionid", "value": session_key, "url": base}])
    return context


def _session_key(cast: Cast, persona: str) -> str | None:
    http: HttpClient = cast.client_for(persona)
    cookie = http.cookies.get("sessionid")
    return cookie.value if cookie else None


def _axe(page: Any) -> list[dict[str, Any]]:
    return page.evaluate(
        r"""async (tags) => {
            const result = await axe.run(document, {
                runOnly: {type: "tag", values: tags}, resultTypes: ["violations"],
            });
            return result.violations.map((v) => ({
                rule: v.id, impact: v.impact || "minor", nodes: v.nodes.length,
                example: v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join(" | ")
                    + " : " + v.nodes[0].failureSummary.replace(/\s+/g, " "),
            }));
        }""",
        WCAG_TAGS,
    )


def _too_wide(page: Any, where: str) -> list[str]:
    """At 360 px, the page is no wider than the screen; if it is, name what sticks out."""
    page.set_viewport_size(NARROW)
    try:
        # The new width takes a few frames to lay out: wait for the page to fit, a while.
        try:
            page.wait_for_function(
                "(limit) => document.documentElement.scrollWidth <= limit",
                arg=NARROW["width"],
                timeout=15000,
            )
            return []
        except PlaywrightTimeout:
            pass
        width = page.evaluate("document.documentElement.scrollWidth")
        culprits = page.evaluate(
            """(limit) => {
              const right = (node) => {
                const range = document.createRange();
                range.selectNodeContents(node);
                return range.getBoundingClientRect().right;
              };
              const texts = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
              const found = [];
              while (texts.nextNode() && found.length < 3) {
                const node = texts.currentNode;
                if (node.textContent.trim() && right(node) > limit + 0.5) {
                  const el = node.parentElement;
                  found.push(`${el.tagName.toLowerCase()}.${el.className} "${
                    node.textContent.trim().slice(0, 30)}" ${Math.round(right(node))} px`);
                }
              }
              return found;
            }""",
            NARROW["width"],
        )
        return [f"{where}: {width} px wide at {NARROW['width']} px ({', '.join(culprits)})"]
    finally:
        page.set_viewport_size(PHONE["viewport"])


def test_every_page_passes_axe_and_fits_a_phone(browser, live_server_factory, capsys) -> None:  # type: ignore[no-untyped-def]
    assert AXE.exists(), f"{AXE} is missing: run scripts/setup --test (npm ci)"
    cast = build_cast()
    extra = _open_call_pages(cast)
    for persona, pages in _series_pages(cast).items():
        extra[persona] = [*extra.get(persona, []), *pages]
    # Long unbroken words and addresses wrap instead of widening the page.
    cast.tele_appointment.staff_note = "Unbroken" + "x" * 600 + " https://example.com/" + "a" * 300
    cast.tele_appointment.save(update_fields=["staff_note"])
    cast.client_with_portal.email = "casey." + "c" * 120 + "@example.com"
    cast.client_with_portal.save(update_fields=["email"])
    # The same key as this process, so the sessions made here are good there.
    server = live_server_factory(env={"SECRET_KEY": settings.SECRET_KEY})
    findings: list[Finding] = []
    too_wide: list[str] = []
    pages_checked = 0
    for persona in PERSONAS:
        urls = persona_pages(cast, persona, extra)
        key = _session_key(cast, persona)
        desktop = _signed_in_context(browser, server.url, key, **DESKTOP)
        phone = _signed_in_context(browser, server.url, key, **PHONE)
        desktop_page, phone_page = desktop.new_page(), phone.new_page()
        for url in urls:
            for size, page in (("desktop", desktop_page), ("phone", phone_page)):
                response = page.goto(server.url + url)
                assert response is not None and response.status in PAGE_STATUSES, (
                    f"{persona} {size} {url}: {response and response.status}"
                )
                assert page.url == server.url + url, f"{persona} {url}: sent to {page.url}"
                if "text/html" not in response.headers.get("content-type", ""):
                    break  # data that a page fetches, not a page
                for v in _axe(page):
                    findings.append(Finding(persona, size, url, **v))
            else:
                pages_checked += 1
                too_wide += _too_wide(phone_page, f"{persona} {url}")
        desktop.close()
        phone.close()

    totals = Counter(f.impact for f in findings)
    nodes: Counter[str] = Counter()
    for f in findings:
        nodes[f.impact] += f.nodes
    with capsys.disabled():
        print(f"\naxe-core, {pages_checked} persona pages at 1280 px and 375 px:")
        for impact in IMPACTS:
            print(f"  {impact:8} {totals[impact]:4} violations, {nodes[impact]:5} elements")
        print(f"  wider than {NARROW['width']} px: {len(too_wide)} pages")
    blocking = [f for f in findings if f.impact in ("critical", "serious")]
    problems = [str(f) for f in blocking] + too_wide
    assert not problems, "\n".join(problems)


def _wait_to_fit(page: Any, fits: str, size: dict[str, int], where: str) -> None:
    """Wait (a while: the machine may be busy) for the page to fit; if it never does, say by
    how much and which elements reach furthest down."""
    try:
        page.wait_for_function(fits, arg=size, timeout=30000)
    except PlaywrightTimeout:
        measured = page.evaluate(
            """() => {
              const d = document.documentElement;
              const low = [...document.querySelectorAll('body *')]
                .filter((e) => e.getClientRects().length)
                .map((e) => [Math.round(e.getBoundingClientRect().bottom + scrollY),
                             e.tagName.toLowerCase() + (e.id ? '#' + e.id : '')
                             + (e.className && typeof e.className === 'string'
                                ? '.' + e.className.split(' ').join('.') : '')])
                .sort((a, b) => b[0] - a[0]).slice(0, 5);
              return {width: d.scrollWidth, height: d.scrollHeight, lowest: low};
            }"""
        )
        raise AssertionError(f"{where}: the page does not fit {size}: {measured}") from None


@pytest.mark.parametrize("size", [{"width": 812, "height": 375}, {"width": 740, "height": 360}])
def test_the_call_fits_a_phone_held_sideways(browser, live_server_factory, size) -> None:  # type: ignore[no-untyped-def]
    """Waiting and in the call, the page is no taller and no wider than the screen."""
    cast = build_cast()
    room = _open_call_pages(cast)["therapist"][1]
    server = live_server_factory(env={"SECRET_KEY": settings.SECRET_KEY})
    context = _signed_in_context(
        browser, server.url, _session_key(cast, "therapist"), **{**PHONE, "viewport": size}
    )
    page = context.new_page()
    page.goto(server.url + room)
    page.get_by_text("Waiting for Casey Client to join").wait_for()
    # That text is the server's; wait for the page's own call to be waiting too, or its
    # script would put the Waiting Room back after the layout is switched below.
    page.wait_for_function("() => window.__call && window.__call.machine.state === 'waiting'")
    fits = (
        "(s) => document.documentElement.scrollHeight <= s.height && "
        "document.documentElement.scrollWidth <= s.width"
    )
    _wait_to_fit(page, fits, size, "waiting")
    # Alone in the Waiting Room, End for everyone is not offered.
    assert not page.get_by_role("button", name="End session for everyone").is_visible()
    # The call's own layout, as waiting-room.js switches to it when the other person arrives.
    page.evaluate(
        "() => { document.getElementById('call-root').dataset.state = 'call';"
        " document.getElementById('waiting-room').hidden = true; }"
    )
    _wait_to_fit(page, fits, size, "in the call")
    assert page.get_by_role("button", name="End session for everyone").is_visible()
    assert page.get_by_role("button", name="Chat").is_visible()
    context.close()
