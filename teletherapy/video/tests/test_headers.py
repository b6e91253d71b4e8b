"""Security headers: a strict CSP, no sniffing, a same-origin referrer, browser features
(camera, microphone, screen sharing) only on the session pages, __Host- cookies in production."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client as HttpClient
from django.urls import reverse

from teletherapy.video.tests.conftest import make_tele_appointment

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[3]
MEDIA = ("camera=(self)", "microphone=(self)", "display-capture=(self)")
NO_MEDIA = ("camera=()", "microphone=()", "display-capture=()")


def _assert_common(response) -> None:  # type: ignore[no-untyped-def]
    csp = response["Content-Security-Policy"]
    assert "base-uri 'none'" in csp and "frame-ancestors 'none'" in csp
    assert "default-src 'self'" in csp and "unsafe-inline" not in csp
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


@pytest.mark.parametrize(
    ("persona", "url"),
    [
        ("anonymous", "/accounts/sign-in/"),
        ("anonymous", "/portal/sign-in/"),
        ("owner", "/clients/"),
        ("therapist", "/schedule/"),
        ("client", "/portal/"),
    ],
)
def test_pages_without_a_call_allow_no_camera_microphone_or_screen(cast, persona, url) -> None:  # type: ignore[no-untyped-def]
    response = cast.client_for(persona).get(url)
    assert response.status_code == 200
    _assert_common(response)
    policy = response["Permissions-Policy"]
    assert all(part in policy for part in NO_MEDIA), policy


@pytest.mark.parametrize(
    ("persona", "name"),
    [
        ("therapist", "video:check"),
        ("therapist", "video:room"),
        ("client", "portal_video:check"),
    ],
)
def test_the_session_pages_allow_camera_microphone_and_screen(cast, persona, name) -> None:  # type: ignore[no-untyped-def]
    call = make_tele_appointment(cast)
    response = cast.client_for(persona).get(reverse(name, kwargs={"appointment_id": call.pk}))
    assert response.status_code == 200
    _assert_common(response)
    policy = response["Permissions-Policy"]
    assert all(part in policy for part in MEDIA), policy


def test_development_cookies_keep_their_plain_names(cast) -> None:  # type: ignore[no-untyped-def]
    http = HttpClient()
    http.get("/accounts/sign-in/")
    assert "csrftoken" in http.cookies


def test_production_cookies_are_host_only() -> None:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"TELETHERAPY_TESTING", "DATABASE_URL", "REDIS_URL", "SQLITE_PATH"}
    }
    env.update(
        {"HTTPS": "1", "ALLOWED_HOSTS": "example.org", "SECRET_KEY": secrets.token_urlsafe(60)}
    )
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.SESSION_COOKIE_NAME, s.CSRF_COOKIE_NAME, s.SESSION_COOKIE_SECURE, "
        "s.CSRF_COOKIE_SECURE, s.SESSION_COOKIE_DOMAIN, s.SESSION_COOKIE_PATH)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**env, "DJANGO_SETTINGS_MODULE": "config.settings"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.stdout.split() == [
        "__Host-sessionid",
        "__Host-csrftoken",
        "True",
        "True",
        "None",
        "/",
    ], result.stderr
