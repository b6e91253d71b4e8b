"""The home page in a real browser: its three ways in, and no Content-Security-Policy errors."""

from __future__ import annotations

import pytest


@pytest.mark.browser
def test_home_page_offers_the_three_ways_in(browser, live_server_factory) -> None:
    server = live_server_factory()
    context = browser.new_context()
    page = context.new_page()
    console_errors: list[str] = []

    def on_console(msg):
        if msg.type == "error":
            console_errors.append(msg.text)

    page.on("console", on_console)
    page.goto(server.url + "/")
    assert page.get_by_role("link", name="Create your practice").is_visible()
    assert page.get_by_role("link", name="Sign in", exact=True).is_visible()
    page.get_by_role("link", name="Client Portal").click()
    page.wait_for_url("**/portal/sign-in/")
    # The stylesheet loaded (served by the app itself) and nothing was blocked by the CSP.
    assert page.evaluate("getComputedStyle(document.body).margin") == "0px"
    assert console_errors == []
    context.close()
