"""Helpers for tests of portal links: send one the way staff do, and read it from the email."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from django.core import mail
from django.test import Client as HttpClient
from django.urls import reverse

from teletherapy.clients.models import Client

LINK_RE = re.compile(r"https?://[^\s\"<>]+/portal/(?:invite|reset)/[A-Za-z0-9_-]+/")
PASSWORD = "a long and unusual passphrase 71"


def send_from_profile(
    http: HttpClient, client: Client, capture: Any, *, kind: str = "invite", **data: str
) -> Any:
    """POST the profile's Send invite / Send password reset link button, running on-commit
    work (the email task) as a real request would."""
    name = "clients:send_portal_invite" if kind == "invite" else "clients:send_portal_reset"
    with capture(execute=True):
        return http.post(reverse(name, kwargs={"client_id": client.pk}), data)


def last_link(to: str | None = None) -> str:
    """The path of the link in the newest locmem email (to `to`, when given)."""
    messages = [m for m in mail.outbox if to is None or to in m.to]
    assert messages, "no email was sent"
    match = LINK_RE.search(str(messages[-1].body))
    assert match, messages[-1].body
    return urlsplit(match.group(0)).path


def open_link(http: HttpClient, path: str) -> Any:
    """Open a link the way a browser does: the token URL redirects to a token-free page."""
    response = http.get(path)
    assert response.status_code == 302
    assert "/portal/" in response["Location"] and path.split("/")[-2] not in response["Location"]
    return http.get(response["Location"])


def sign_up(http: HttpClient, client: Client, path: str, *, username: str = "newclient") -> Any:
    """Open an invite, confirm the date of birth, choose username and password."""
    page = open_link(http, path)
    assert "date of birth" in page.content.decode()
    response = http.post(
        reverse("portal:invite"), {"date_of_birth": client.date_of_birth.isoformat()}
    )
    assert response.status_code == 302, response.content.decode()
    return http.post(
        reverse("portal:invite"),
        {"username": username, "password1": PASSWORD, "password2": PASSWORD},
    )
