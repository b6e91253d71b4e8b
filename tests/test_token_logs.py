"""No one-time token reaches a log: the real server (daphne, as scripts/serve runs it) is
driven through a staff invitation, a staff password reset and a portal sign-up, and its
captured output (access log and application log) is searched for each token."""

from __future__ import annotations

import http.cookiejar
import re
import time
import urllib.parse
import urllib.request
from typing import Any

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from teletherapy.lib.redact import REDACTED, redact
from teletherapy.test.browser import LiveServer, text_of
from teletherapy.test.personas import PASSWORD, build_cast

NEW_PASSWORD = "velvet harbor lantern 7"
CSRF_RE = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


class Browser:
    """Just enough of a browser for forms: cookies, CSRF token, redirects."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )
        self.page = ""
        self.url = ""

    def get(self, url: str) -> str:
        return self._open(urllib.request.Request(self._full(url)))

    def post(self, url: str, data: dict[str, Any], *, from_page: str | None = None) -> str:
        """Submit a form on `from_page` (default: `url` itself) to `url`."""
        page = from_page or url
        if not self.url.endswith(page):
            self.get(page)
        form = {"csrfmiddlewaretoken": CSRF_RE.search(self.page).group(1), **data}  # type: ignore[union-attr]
        body = urllib.parse.urlencode(form, doseq=True).encode()
        request = urllib.request.Request(
            self._full(url), data=body, headers={"Referer": self._full(url)}
        )
        return self._open(request)

    def _full(self, url: str) -> str:
        return url if url.startswith("http") else self.base + url

    def _open(self, request: urllib.request.Request) -> str:
        with self.opener.open(request, timeout=30) as response:
            self.url = response.url
            self.page = response.read().decode()
        return self.page


def _link(message: Any, route: str) -> tuple[str, str]:
    match = re.search(rf"(http://\S+{route})([A-Za-z0-9_-]+)/", text_of(message))
    assert match, text_of(message)
    return match.group(0), match.group(2)


def _wait_for_log(server: LiveServer, text: str, timeout: float = 30.0) -> str:
    deadline = time.monotonic() + timeout
    while True:
        log = server.log()
        if text in log or time.monotonic() > deadline:
            return log
        time.sleep(0.1)


@pytest.mark.django_db(transaction=True)
def test_no_token_in_the_server_log(live_server_factory, smtp_server) -> None:  # type: ignore[no-untyped-def]
    cast = build_cast(password=PASSWORD)
    server = live_server_factory(smtp=smtp_server)
    tokens: list[str] = []

    # A staff invitation: the owner adds a scheduler, who sets a password from the link.
    owner = Browser(server.url)
    owner.post("/accounts/sign-in/", {"email": "owner@maple.test", "password": PASSWORD})
    assert owner.url.endswith("/dashboard/")
    owner.post(
        "/settings/staff/add/",
        {
            "full_name": "Nina Newton",
            "email": "nina@maple.test",
            "roles": ["scheduler"],
            "time_zone": "America/Chicago",
        },
    )
    link, token = _link(smtp_server.wait_for(to="nina@maple.test"), "/invitation/")
    tokens.append(token)
    nina = Browser(server.url)
    nina.get(link)
    assert nina.url.endswith("/invitation/") and token not in nina.url
    nina.post("/invitation/", {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert nina.url.endswith("/dashboard/")

    # A staff password reset.
    Browser(server.url).post("/accounts/forgot-password/", {"email": "tess@maple.test"})
    link, token = _link(smtp_server.wait_for(to="tess@maple.test"), "/accounts/reset/")
    tokens.append(token)
    tess = Browser(server.url)
    tess.get(link)
    tess.post("/accounts/reset/", {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert tess.url.endswith("/accounts/sign-in/")

    # A portal sign-up: date of birth, then username and password.
    nora = cast.client_without_portal
    owner.post(f"/clients/{nora.pk}/portal/invite/", {}, from_page=f"/clients/{nora.pk}/")
    link, token = _link(smtp_server.wait_for(to=nora.email), "/portal/invite/")
    tokens.append(token)
    client = Browser(server.url)
    client.get(link)
    client.post("/portal/invite/", {"date_of_birth": nora.date_of_birth.isoformat()})
    client.post(
        "/portal/invite/",
        {"username": "nora", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    assert client.url.endswith("/portal/")

    # Refusals log a warning naming the path: a wrong method, and a POST with no CSRF token.
    for method in ("OPTIONS", "POST"):
        request = urllib.request.Request(f"{server.url}/portal/invite/{token}/", method=method)
        with pytest.raises(urllib.error.HTTPError):
            urllib.request.urlopen(request, data=b"" if method == "POST" else None, timeout=30)

    log = _wait_for_log(server, f'"POST /portal/invite/{REDACTED}/"')
    # The access log was on and saw every link, redacted.
    for route in ("/invitation/", "/accounts/reset/", "/portal/invite/"):
        assert f"GET {route}{REDACTED}/" in log, log
    assert f"Method Not Allowed (OPTIONS): /portal/invite/{REDACTED}/" in log, log
    assert f"): /portal/invite/{REDACTED}/" in log.split("Forbidden", 1)[-1], log
    for token in tokens:
        assert token not in log


def test_every_token_url_is_redacted() -> None:
    """Each URL pattern with a <token> argument is one redact() knows."""
    found: list[str] = []

    def walk(patterns: list[Any], prefix: str) -> None:
        for pattern in patterns:
            route = prefix + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, route)
            elif isinstance(pattern, URLPattern) and "<str:token>" in route:
                found.append("/" + route)

    walk(get_resolver().url_patterns, "")
    assert len(found) >= 4, found
    for route in found:
        path = route.replace("<str:token>", "SeCrEt-tok_en")
        assert (
            redact(f"GET {path} HTTP/1.1")
            == f"GET {route.replace('<str:token>', REDACTED)} HTTP/1.1"
        )
