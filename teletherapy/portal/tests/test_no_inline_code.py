"""The Content-Security-Policy forbids inline script and style: none of these pages has any."""

from __future__ import annotations

import re

from django.test import Client as HttpClient
from django.urls import reverse

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


def test_portal_pages(cast) -> None:
    http = cast.client_for("client")
    for name in ("portal:dashboard", "portal:details", "portal:password"):
        _check(http.get(reverse(name)).content.decode(), name)
    anonymous = HttpClient()
    for name in ("portal:sign_in", "portal:forgot_password", "portal:invite", "portal:reset"):
        _check(anonymous.get(reverse(name)).content.decode(), name)
