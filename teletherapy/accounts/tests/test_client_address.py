"""Issue 9, hole 1: a made-up X-Forwarded-For neither escapes the lockout nor reaches the
audit log; the account locks however many addresses the guesses come from."""

from __future__ import annotations

import re
import shlex
import urllib.error
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import Client as HttpClient

from teletherapy.audit.models import Action, AuditEvent
from teletherapy.lib.net import address_from
from teletherapy.test.personas import PASSWORD

ROOT = Path(__file__).resolve().parents[3]
SIGN_IN = "/accounts/sign-in/"
PORTAL_SIGN_IN = "/portal/sign-in/"


def serve_flags(script: str) -> str:
    """The daphne options a start script (scripts/serve, scripts/serve-production) passes."""
    text = (ROOT / "scripts" / script).read_text().replace("\\\n", " ")
    for line in text.splitlines():
        if "teletherapy.lib.server" not in line and "daphne" not in line.split("#")[0]:
            continue
        words = line.split("#")[0].split()
        if not words or not ("teletherapy.lib.server" in words or words[0].endswith("daphne")):
            continue
        flags: list[str] = []
        for word, following in zip(words, [*words[1:], ""], strict=True):
            if word.startswith("--"):
                flags.append(word)
                if following.isdigit():
                    flags.append(following)
        return shlex.join(flags)
    raise AssertionError(f"no daphne command in scripts/{script}")


@pytest.mark.parametrize(
    ("trusted", "peer", "header", "expected"),
    [
        # No proxies configured: the header is the client's own words, ignored.
        ([], "198.51.100.4", "203.0.113.9", "198.51.100.4"),
        # One proxy: the address it appended, never the left-most the client wrote.
        (["10.0.0.2"], "10.0.0.2", "1.2.3.4, 203.0.113.9", "203.0.113.9"),
        (["10.0.0.2"], "10.0.0.2", "203.0.113.9", "203.0.113.9"),
        # A peer that is not a proxy cannot speak for anyone else.
        (["10.0.0.2"], "198.51.100.4", "203.0.113.9", "198.51.100.4"),
        # Two proxies (a network): skip both, stop at the first address that is not one.
        (["10.0.0.0/8"], "10.0.0.2", "1.2.3.4, 203.0.113.9, 10.0.0.7", "203.0.113.9"),
        # Garbage from beyond the proxy: trust ends at the proxy itself.
        (["10.0.0.2"], "10.0.0.2", "not-an-address", "10.0.0.2"),
        (["::1"], "::1", "2001:db8::5", "2001:db8::5"),
    ],
)
def test_the_client_address_believes_only_trusted_proxies(
    settings, trusted, peer, header, expected
) -> None:  # type: ignore[no-untyped-def]
    settings.TRUSTED_PROXIES = trusted
    assert address_from(peer, header) == expected


def _sign_in(http: HttpClient, email: str, password: str, **extra: Any):  # type: ignore[no-untyped-def]
    return http.post(SIGN_IN, {"email": email, "password": password}, **extra)


@pytest.fixture
def tess(cast):  # type: ignore[no-untyped-def]
    cast.therapist.user.set_password(PASSWORD)
    cast.therapist.user.save()
    cast.client_with_portal.user.set_password(PASSWORD)
    cast.client_with_portal.user.save()
    return cast


@pytest.mark.django_db
def test_forty_guesses_each_with_a_new_forwarded_for_lock_the_account(tess) -> None:  # type: ignore[no-untyped-def]
    http = HttpClient()
    statuses = [
        _sign_in(
            http, "tess@maple.test", "wrong guess", HTTP_X_FORWARDED_FOR=f"203.0.113.{i}"
        ).status_code
        for i in range(40)
    ]
    assert statuses[: settings.AXES_FAILURE_LIMIT - 1] == [200] * (settings.AXES_FAILURE_LIMIT - 1)
    assert set(statuses[settings.AXES_FAILURE_LIMIT :]) == {429}
    right = _sign_in(http, "tess@maple.test", PASSWORD, HTTP_X_FORWARDED_FOR="203.0.113.200")
    assert right.status_code == 429 and "_auth_user_id" not in http.session
    ips = set(AuditEvent.objects.filter(action=Action.SIGN_IN_FAILED).values_list("ip", flat=True))
    assert ips == {"127.0.0.1"}


@pytest.mark.django_db
def test_guesses_from_many_real_addresses_lock_the_account_too(tess) -> None:  # type: ignore[no-untyped-def]
    """Below the per-address limit from each address, the account still locks as a whole."""
    limit = settings.ACCOUNT_FAILURE_LIMIT
    for i in range(limit):
        peer = HttpClient(REMOTE_ADDR=f"198.51.100.{i}")
        assert _sign_in(peer, "tess@maple.test", "wrong guess").status_code in {200, 429}
    late = HttpClient(REMOTE_ADDR="192.0.2.77")
    locked = _sign_in(late, "tess@maple.test", PASSWORD)
    assert locked.status_code == 429 and "_auth_user_id" not in late.session
    page = locked.content.decode()
    assert "sign-in is paused" in page
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    assert f"try again in {minutes} minutes" in page and " UTC)" in page
    # Another account is not affected.
    assert _sign_in(late, "owner@maple.test", "wrong guess").status_code == 200


@pytest.mark.django_db
def test_the_portal_locks_an_account_guessed_from_many_addresses(tess) -> None:  # type: ignore[no-untyped-def]
    for i in range(settings.ACCOUNT_FAILURE_LIMIT):
        HttpClient(REMOTE_ADDR=f"198.51.100.{i}").post(
            PORTAL_SIGN_IN, {"username": "casey", "password": "wrong guess"}
        )
    late = HttpClient(REMOTE_ADDR="192.0.2.77")
    page = late.post(PORTAL_SIGN_IN, {"username": "casey", "password": PASSWORD})
    assert page.status_code == 429 and "_auth_user_id" not in late.session
    assert "try again in" in page.content.decode()


@pytest.mark.django_db
def test_behind_a_trusted_proxy_the_address_it_appended_is_recorded(tess, settings) -> None:  # type: ignore[no-untyped-def]
    settings.TRUSTED_PROXIES = ["127.0.0.1"]
    http = HttpClient()
    _sign_in(http, "tess@maple.test", PASSWORD, HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.50")
    assert AuditEvent.objects.get(action=Action.SIGN_IN).ip == "203.0.113.50"


def _post(opener: urllib.request.OpenerDirector, url: str, data: dict[str, str], xff: str) -> int:
    page = opener.open(url).read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert token is not None
    body = urllib.parse.urlencode({**data, "csrfmiddlewaretoken": token.group(1)}).encode()
    request = urllib.request.Request(url, data=body, headers={"X-Forwarded-For": xff})
    try:
        return opener.open(request).status
    except urllib.error.HTTPError as exc:
        return exc.code


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("script", ["serve", "serve-production"])
def test_the_real_server_ignores_a_forged_forwarded_for(live_server_factory, tess, script) -> None:  # type: ignore[no-untyped-def]
    """Started the way the start scripts start it: 40 guesses, each 'from' a new address."""
    server = live_server_factory(env={"TT_SERVER_FLAGS": serve_flags(script)})
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
    statuses = [
        _post(
            opener,
            server.url + SIGN_IN,
            {"email": "tess@maple.test", "password": "wrong guess"},
            f"203.0.113.{i}",
        )
        for i in range(40)
    ]
    assert statuses[-1] == 429, statuses
    ips = set(AuditEvent.objects.filter(action=Action.SIGN_IN_FAILED).values_list("ip", flat=True))
    assert ips == {"127.0.0.1"}
