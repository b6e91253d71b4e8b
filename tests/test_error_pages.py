"""The bare error pages (400, 403, 404, 500) are pages like the others: a language, a title,
a main landmark with a heading and a way back, no serious or critical axe violation and no
sideways scroll on a phone. The 500 page renders with no request context at all."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import BadRequest, PermissionDenied
from django.http import Http404
from django.test import RequestFactory
from django.views import defaults

from tests.test_accessibility_browser import AXE, DESKTOP, NARROW, PHONE, _axe

PAGES = {
    400: ("Bad request", lambda request: defaults.bad_request(request, BadRequest())),
    403: ("Not allowed", lambda request: defaults.permission_denied(request, PermissionDenied())),
    404: ("Page not found", lambda request: defaults.page_not_found(request, Http404())),
    500: ("Something went wrong", defaults.server_error),
}


def _render(code: int) -> str:
    title, view = PAGES[code]
    response = view(RequestFactory().get("/somewhere/"))
    assert response.status_code == code
    return response.content.decode()


@pytest.mark.parametrize("code", sorted(PAGES))
def test_each_error_page_has_a_language_a_title_and_a_way_back(code: int) -> None:
    html = _render(code)
    title = PAGES[code][0]
    assert '<html lang="en">' in html
    assert f"<title>{title} · Teletherapy</title>" in html
    assert f'<main id="main" class="error-page">\n    <h1>{title}</h1>' in html
    assert '<a href="/">Go to the start page</a>' in html


def test_an_unknown_address_gets_the_page_not_found(client) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert "<title>Page not found · Teletherapy</title>" in response.content.decode()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_error_pages_pass_axe_and_fit_a_phone(browser, live_server_factory) -> None:  # type: ignore[no-untyped-def]
    assert AXE.exists(), f"{AXE} is missing: run scripts/setup --test (npm ci)"
    base = live_server_factory().url
    found: dict[str, Any] = {}
    for name, options in (("desktop", DESKTOP), ("phone", PHONE)):
        context = browser.new_context(**options)
        context.add_init_script(path=str(AXE))  # the pages' CSP refuses an added script
        page = context.new_page()
        try:
            # The real 404 from the app, then each page written into a page of the same
            # origin, so its stylesheet loads as it would.
            response = page.goto(f"{base}/no-such-page/")
            assert response is not None and response.status == 404
            for code in sorted(PAGES):
                if code != 404:
                    page.set_content(_render(code))
                bad = [v for v in _axe(page) if v["impact"] in ("serious", "critical")]
                if bad:
                    found[f"{code} {name}"] = bad
                if name == "phone":
                    page.set_viewport_size(NARROW)
                    wide = page.evaluate("document.documentElement.scrollWidth")
                    assert wide <= NARROW["width"], (code, wide)
                    page.set_viewport_size(PHONE["viewport"])
        finally:
            context.close()
    assert not found, found
