"""The call-quality record of a call with drops, in Chromium at 1280 px and on a 375 px phone:
the words, the chart with its drops shaded and its text alternative, nothing wider than the
phone. (Reports made by a real call: test_quality_browser.py.)"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from teletherapy.video.tests.test_call_browser import _passwords, sign_in_staff
from tests.test_accessibility_browser import AXE, _axe

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = os.environ.get("SCREENSHOT_DIR")


@pytest.mark.parametrize(
    ("name", "viewport"), [("1280", (1280, 900)), ("375", (375, 812))], ids=["desktop", "phone"]
)
def test_a_record_with_drops(
    cast, open_call, record, browser, live_server_factory, name, viewport
) -> None:
    _passwords(cast.owner.user)
    base = live_server_factory().url
    width, height = viewport
    context = browser.new_context(viewport={"width": width, "height": height})
    context.add_init_script(path=str(AXE))
    page = context.new_page()
    try:
        sign_in_staff(page, base, cast.owner.user.email)
        page.goto(f"{base}/schedule/appointments/{open_call.pk}/history/")
        expect(page.locator("#call-quality-summary")).to_contain_text(
            "1 drop of 12 s on the client's side; relayed through TURN"
        )
        chart = page.get_by_role("img", name="Call quality over time")
        expect(chart).to_have_accessible_description(re.compile(r"Drops shaded at .*\(12 s\)"))
        box = chart.bounding_box()
        assert box is not None and 40 < box["height"] and box["width"] <= width
        assert page.evaluate("() => document.documentElement.scrollWidth") <= width
        serious = [v for v in _axe(page) if v["impact"] in ("serious", "critical")]
        assert serious == [], serious
        # Practice Settings > Calls, as its Owner sees it.
        page.goto(f"{base}/settings/calls/")
        expect(page.get_by_label("Hide home network addresses")).to_be_visible()
        serious = [v for v in _axe(page) if v["impact"] in ("serious", "critical")]
        assert serious == [], serious
        assert page.evaluate("() => document.documentElement.scrollWidth") <= width
        page.goto(f"{base}/schedule/appointments/{open_call.pk}/history/")
        if SHOTS:
            Path(SHOTS).mkdir(parents=True, exist_ok=True)
            page.locator(".call-quality").screenshot(path=f"{SHOTS}/quality-drops-{name}.png")
    finally:
        context.close()
