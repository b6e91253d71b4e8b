"""The Content-Security-Policy forbids inline script and style: none of these pages has any."""

from __future__ import annotations

import re

from django.test import Client as HttpClient
from django.urls import reverse

from teletherapy.clients.tests.links import last_link, send_from_profile

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I)
INLINE_HANDLER = re.compile(r"\son[a-z]+\s*=", re.I)
STYLE = re.compile(r"<style\b|\sstyle\s*=", re.I)


def _check(html: str, where: str) -> None:
    assert not INLINE_SCRIPT.search(html), where
    assert not INLINE_HANDLER.search(html), where
    assert not STYLE.search(html), where


def test_staff_client_pages(cast) -> None:
    http = cast.client_for("owner")
    pk = cast.client_without_portal.pk
    for url in (
        reverse("clients:list"),
        reverse("clients:add"),
        reverse("clients:detail", kwargs={"client_id": pk}),
        reverse("clients:edit", kwargs={"client_id": pk}),
    ):
        response = http.get(url)
        assert response.status_code == 200, url
        _check(response.content.decode(), url)


def _page(http: HttpClient, url: str, *, shows: str, status: int = 200) -> str:
    """The page's HTML, once it is the page meant (its status, `shows` on it)."""
    response = http.get(url)
    assert response.status_code == status, (url, response.status_code)
    html = response.content.decode()
    assert shows in html, (url, shows)
    return html


def test_portal_pages(cast, django_capture_on_commit_callbacks) -> None:
    http = cast.client_for("client")
    for name, shows in (
        ("portal:dashboard", "Dashboard"),
        ("portal:details", 'name="email"'),
        ("portal:password", 'type="password"'),
    ):
        _check(_page(http, reverse(name), shows=shows), name)
    anonymous = HttpClient()
    for name, shows in (
        ("portal:sign_in", 'type="password"'),
        ("portal:forgot_password", "<form"),
    ):
        _check(_page(anonymous, reverse(name), shows=shows), name)


def test_portal_link_pages(cast, django_capture_on_commit_callbacks) -> None:
    """The forms behind an invite and a reset link, reached the way a client reaches them."""
    staff = cast.client_for("owner")
    nora = cast.client_without_portal
    send_from_profile(staff, nora, django_capture_on_commit_callbacks)
    invited = HttpClient()
    path = last_link(nora.email)
    assert invited.get(path).status_code == 302
    _check(_page(invited, reverse("portal:invite"), shows='name="date_of_birth"'), "invite")
    response = invited.post(
        reverse("portal:invite"), {"date_of_birth": nora.date_of_birth.isoformat()}
    )
    assert response.status_code == 302, response.content.decode()
    _check(_page(invited, reverse("portal:invite"), shows='name="password1"'), "invite account")

    casey = cast.client_with_portal
    send_from_profile(staff, casey, django_capture_on_commit_callbacks, kind="reset")
    resetting = HttpClient()
    assert resetting.get(last_link(casey.email)).status_code == 302
    _check(_page(resetting, reverse("portal:reset"), shows='name="new_password1"'), "reset")
    # And the page an old or unknown link ends on.
    _check(_page(HttpClient(), reverse("portal:reset"), shows="expired", status=400), "no link")
