"""A phone in a real browser: the menu folds behind a Menu button (a disclosure that Escape
closes), My Schedule opens on the day with thumb-sized slots, and after a save the focus is on
the confirmation message."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from teletherapy.test.personas import build_cast
from tests.test_accessibility_browser import DESKTOP, PHONE, _session_key, _signed_in_context

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_menu_day_view_and_focus_after_saving(browser, live_server_factory) -> None:  # type: ignore[no-untyped-def]
    cast = build_cast()
    server = live_server_factory(env={"SECRET_KEY": settings.SECRET_KEY})
    key = _session_key(cast, "therapist")
    phone = _signed_in_context(browser, server.url, key, **PHONE)
    page: Any = phone.new_page()
    page.goto(server.url + reverse("practice:dashboard"))

    menu = page.get_by_role("button", name="Menu")
    nav = page.get_by_role("navigation", name="Main menu")
    expect(menu).to_have_attribute("aria-expanded", "false")
    expect(nav).to_be_hidden()
    menu.click()
    expect(menu).to_have_attribute("aria-expanded", "true")
    expect(nav).to_be_visible()
    page.keyboard.press("Escape")
    expect(nav).to_be_hidden()
    expect(menu).to_be_focused()
    menu.press("Enter")
    nav.get_by_role("link", name="My Schedule").click()

    # The Day view, its header on screen, every slot at least 44 px tall.
    page.get_by_role("heading", name="My Schedule").wait_for()
    expect(page.get_by_role("link", name="Day", exact=True)).to_have_attribute(
        "aria-current", "page"
    )
    expect(page.locator("table.schedule thead th.today")).to_be_in_viewport()
    # Past times are not links; tomorrow's Day view has a bookable slot in every row.
    tomorrow = (timezone.now().astimezone(ZoneInfo("America/New_York")) + timedelta(days=1)).date()
    page.goto(f"{server.url}{reverse('scheduling:my_schedule')}?view=day&date={tomorrow}")
    page.get_by_role("heading", name="My Schedule").wait_for()
    heights = page.eval_on_selector_all(
        "a.slot", "slots => slots.map(s => s.getBoundingClientRect().height)"
    )
    assert heights and min(heights) >= 44

    # Saving a client's details: the message is announced and has the focus.
    client = cast.client_with_portal
    page.goto(server.url + reverse("clients:edit", args=[client.pk]))
    page.get_by_label("City").fill("Albany")
    page.get_by_role("button", name="Save").click()
    message = page.get_by_role("status")
    expect(message).to_have_text("The client's details were saved.")
    expect(message).to_be_focused()
    phone.close()

    # On a desktop the menu is simply there, with no Menu button.
    desktop = _signed_in_context(browser, server.url, key, **DESKTOP)
    page = desktop.new_page()
    page.goto(server.url + reverse("practice:dashboard"))
    expect(page.get_by_role("navigation", name="Main menu")).to_be_visible()
    expect(page.get_by_role("button", name="Menu")).to_be_hidden()
    desktop.close()
