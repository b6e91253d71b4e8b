"""In real Chromium, in the private network namespace with the test coturn: during a call both
pages report their getStats() every 10 s, the server keeps the reports, and the appointment's
History shows them in words and as an SVG chart. With the practice's "Hide home network
addresses" on, both sides' selected candidate pair is relay/relay, by getStats and by the
stored reports; off, the call goes directly."""

from __future__ import annotations

import os
import re
import time
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from teletherapy.quality.models import QualitySample
from teletherapy.video.models import VideoSession
from teletherapy.video.tests.conftest import make_tele_appointment
from teletherapy.video.tests.test_call_browser import (
    _passwords,
    sign_in_client,
    sign_in_staff,
    wait_for_media,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.netns,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not os.environ.get("TT_NETNS_ADDR") or not os.environ.get("TURN_URLS"),
        reason="needs the private network namespace and coturn: run under scripts/netns-run "
        "scripts/test-in-netns",
    ),
]
SHOTS = os.environ.get("SCREENSHOT_DIR")
DEADLINE = 90.0  # three report periods and then some, on a loaded machine


def _reports(session: VideoSession, role: str) -> list[QualitySample]:
    return list(QualitySample.objects.filter(session=session, role=role))


def _wait_for_reports(session: VideoSession, count: int) -> dict[str, list[QualitySample]]:
    deadline = time.monotonic() + DEADLINE
    while True:
        got = {role: _reports(session, role) for role in ("client", "therapist")}
        if all(len(rows) >= count for rows in got.values()):
            return got
        if time.monotonic() > deadline:
            raise AssertionError(
                f"reports within {DEADLINE}s: { {r: len(v) for r, v in got.items()} }"
            )
        time.sleep(0.5)


def _shoot(page: Any, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.locator(".call-quality").screenshot(path=f"{SHOTS}/{name}.png")


@pytest.mark.parametrize("hide", [True, False], ids=["relay-only", "direct"])
def test_quality_reports_are_kept_and_shown_on_history(
    cast, browser, live_server_factory, hide
) -> None:
    cast.practice.hide_network_addresses = hide
    cast.practice.save()
    call = make_tele_appointment(cast)
    session = VideoSession.objects.create(appointment=call, client_location="NJ")
    _passwords(cast.therapist.user, cast.client_with_portal.user)
    base = live_server_factory().url
    contexts = [browser.new_context() for _ in range(2)]
    therapist, client = (context.new_page() for context in contexts)
    errors: list[str] = []
    for page in (therapist, client):
        page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        sign_in_client(client, base, "casey")
        client.goto(f"{base}/portal/sessions/{call.pk}/room/")
        expect(client.locator("#waiting-status")).to_have_text("Waiting for Tess Therapist to join")
        sign_in_staff(therapist, base, cast.therapist.user.email)
        therapist.goto(f"{base}/sessions/{call.pk}/")
        therapist.get_by_role("button", name="Start", exact=True).click()
        summaries = {"therapist": wait_for_media(therapist), "client": wait_for_media(client)}
        for who, summary in summaries.items():
            pair = (summary["localCandidateType"], summary["remoteCandidateType"])
            if hide:
                assert pair == ("relay", "relay"), (who, summary)
            else:
                assert "relay" not in pair, (who, summary)

        got = _wait_for_reports(session, 2)
        for role, rows in got.items():
            for row in rows:
                if hide:
                    assert (row.local_type, row.remote_type) == ("relay", "relay"), role
                else:
                    assert "relay" not in (row.local_type, row.remote_type), role
                assert row.state == "connected" and not row.audio_only, role
                assert row.height and row.height > 0 and row.kbps_in > 0, role
                assert row.rtt_ms is not None, role
        # The page says what it sent last; the server kept the same under its own person.
        last = client.evaluate("() => window.__call.quality.last")
        assert last["type"] == "quality" and last["local"] == got["client"][-1].local_type

        history = therapist.context.new_page()
        history.goto(f"{base}/schedule/appointments/{call.pk}/history/")
        words = history.locator("#call-quality-summary").inner_text()
        assert words.startswith("Video ") and "most of the time" in words, words
        assert "no drops" in words, words
        assert ("relayed through TURN" in words) == hide, words
        assert ("direct between the two (peer to peer)" in words) == (not hide), words
        chart = history.get_by_role("img", name="Call quality over time")
        expect(chart).to_be_visible()
        assert chart.evaluate("(svg) => svg.tagName") == "svg"
        assert "typically the client" in (chart.locator("desc").text_content() or "")
        expect(chart).to_have_accessible_description(re.compile("Bitrate each person received"))
        assert history.locator("#call-quality-chart polyline").count() >= 2
        # A 360 px phone: the chart fits the page, nothing scrolls sideways.
        history.set_viewport_size({"width": 360, "height": 740})
        box = chart.bounding_box()
        assert box is not None and box["width"] <= 360 and box["height"] > 40
        assert history.evaluate("() => document.documentElement.scrollWidth") <= 360
        if hide:
            history.set_viewport_size({"width": 1280, "height": 900})
            _shoot(history, "quality-record-1280")
            phone = browser.new_context(
                viewport={"width": 375, "height": 812}, device_scale_factor=2, is_mobile=True
            )
            try:
                sign_in_staff(phone.new_page(), base, cast.therapist.user.email)
                small = phone.pages[0]
                small.goto(f"{base}/schedule/appointments/{call.pk}/history/")
                expect(small.locator("#call-quality-chart")).to_be_visible()
                _shoot(small, "quality-record-375")
            finally:
                phone.close()
        assert errors == []
    finally:
        for context in contexts:
            context.close()
