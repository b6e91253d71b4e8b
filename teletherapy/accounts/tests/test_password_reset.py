"""Forgot password: an emailed link, valid 24 hours, single use, no account enumeration."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
import time_machine
from django.core import mail
from django.test import Client as HttpClient
from django.urls import reverse

from teletherapy.accounts.models import PasswordResetLink
from teletherapy.accounts.services import RESET_LINKS_PER_HOUR
from teletherapy.audit.models import Action, AuditEvent
from teletherapy.lib.tokens import hash_token

pytestmark = pytest.mark.django_db
T0 = datetime.fromisoformat("2026-05-04 13:00:00+00:00")
NEW_PASSWORD = "copper meadow bicycle 5"
FORGOT = "/accounts/forgot-password/"


def _ask(email: str, capture) -> HttpClient:
    http = HttpClient()
    with capture(execute=True):
        response = http.post(FORGOT, {"email": email}, follow=True)
    assert response.status_code == 200
    http.last_page = response.content.decode()  # type: ignore[attr-defined]
    return http


def _link() -> str:
    match = re.search(r"http://[^\s]+(/accounts/reset/[^\s/]+/)", str(mail.outbox[-1].body))
    assert match, mail.outbox[-1].body
    return match.group(1)


def _use(path: str, password: str = NEW_PASSWORD):
    http = HttpClient()
    opened = http.get(path)
    assert opened.status_code == 302 and opened["Location"] == reverse("accounts:reset_password")
    return http, http.post(
        reverse("accounts:reset_password"), {"password1": password, "password2": password}
    )


def test_known_and_unknown_emails_get_the_same_answer(
    cast, django_capture_on_commit_callbacks
) -> None:
    known = _ask("tess@maple.test", django_capture_on_commit_callbacks).last_page  # type: ignore[attr-defined]
    assert len(mail.outbox) == 1
    unknown = _ask("nobody@nowhere.test", django_capture_on_commit_callbacks).last_page  # type: ignore[attr-defined]
    client_account = _ask("casey@example.com", django_capture_on_commit_callbacks).last_page  # type: ignore[attr-defined]
    assert len(mail.outbox) == 1
    strip = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')
    assert strip.sub("", known) == strip.sub("", unknown) == strip.sub("", client_account)
    assert "If that email address belongs to a staff account" in known


def test_reset_sets_the_password_once_and_ends_other_sessions(
    cast, django_capture_on_commit_callbacks
) -> None:
    elsewhere = cast.client_for("therapist")
    assert elsewhere.get(reverse("practice:dashboard")).status_code == 200
    _ask("tess@maple.test", django_capture_on_commit_callbacks)
    path = _link()
    raw = path.rstrip("/").rsplit("/", 1)[-1]
    link = PasswordResetLink.objects.get(user=cast.therapist.user)
    assert link.token_hash == hash_token(raw)
    _http, response = _use(path)
    assert response.status_code == 302 and response["Location"] == reverse("accounts:sign_in")
    cast.therapist.user.refresh_from_db()
    assert cast.therapist.user.check_password(NEW_PASSWORD)
    assert elsewhere.get(reverse("practice:dashboard")).status_code == 302
    signed_in = HttpClient()
    signed_in.post(
        reverse("accounts:sign_in"), {"email": "tess@maple.test", "password": NEW_PASSWORD}
    )
    assert signed_in.get(reverse("practice:dashboard")).status_code == 200
    # Second use of the same link is refused and changes nothing.
    _http, again = _use(path, password="different fine password 3")
    assert again.status_code == 400 and "already been used" in again.content.decode()
    cast.therapist.user.refresh_from_db()
    assert cast.therapist.user.check_password(NEW_PASSWORD)
    assert AuditEvent.objects.filter(action=Action.PASSWORD_RESET_SENT).count() == 1
    assert AuditEvent.objects.filter(action=Action.PASSWORD_RESET).count() == 1
    assert raw not in str(list(AuditEvent.objects.values()))


@pytest.mark.parametrize(
    ("after", "ok"),
    [
        (timedelta(hours=23, minutes=59, seconds=59), True),
        (timedelta(hours=24), True),
        (timedelta(hours=24, seconds=1), False),
    ],
)
def test_link_is_valid_for_24_hours(cast, django_capture_on_commit_callbacks, after, ok) -> None:
    with time_machine.travel(T0, tick=False) as traveller:
        _ask("tess@maple.test", django_capture_on_commit_callbacks)
        traveller.move_to(T0 + after)
        _http, response = _use(_link())
    cast.therapist.user.refresh_from_db()
    assert cast.therapist.user.check_password(NEW_PASSWORD) is ok
    if not ok:
        assert response.status_code == 400 and "has expired" in response.content.decode()


def test_a_newer_link_replaces_the_older(cast, django_capture_on_commit_callbacks) -> None:
    _ask("tess@maple.test", django_capture_on_commit_callbacks)
    first = _link()
    _ask("tess@maple.test", django_capture_on_commit_callbacks)
    _http, refused = _use(first)
    assert refused.status_code == 400
    _http, accepted = _use(_link())
    assert accepted.status_code == 302


def test_weak_password_is_explained_and_kept_out(cast, django_capture_on_commit_callbacks) -> None:
    _ask("tess@maple.test", django_capture_on_commit_callbacks)
    _http, response = _use(_link(), password="tess@maple.test")
    assert response.status_code == 200
    assert "too similar" in response.content.decode() or "too common" in response.content.decode()
    assert not cast.therapist.user.check_password("tess@maple.test")


def test_reset_emails_are_rate_limited(cast, django_capture_on_commit_callbacks) -> None:
    with time_machine.travel(T0, tick=False) as traveller:
        for _ in range(RESET_LINKS_PER_HOUR + 2):
            _ask("tess@maple.test", django_capture_on_commit_callbacks)
        assert len(mail.outbox) == RESET_LINKS_PER_HOUR
        traveller.move_to(T0 + timedelta(hours=1, seconds=1))
        _ask("tess@maple.test", django_capture_on_commit_callbacks)
        assert len(mail.outbox) == RESET_LINKS_PER_HOUR + 1


def test_the_token_never_stays_in_the_url_or_the_session(
    cast, django_capture_on_commit_callbacks
) -> None:
    _ask("tess@maple.test", django_capture_on_commit_callbacks)
    path = _link()
    raw = path.rstrip("/").rsplit("/", 1)[-1]
    http = HttpClient()
    response = http.get(path, follow=True)
    assert raw not in response.redirect_chain[-1][0]
    assert raw not in str(dict(http.session))
    assert response["Cache-Control"].startswith("max-age=0")


def test_known_and_unknown_emails_cost_the_same_work(
    cast, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    """No timing oracle: the request does the same queries and queues one task either way;
    whether an account matches is decided in the task, outside the request."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def work(email: str) -> tuple[list[str], int]:
        http = HttpClient()
        http.get(FORGOT)
        with (
            CaptureQueriesContext(connection) as queries,
            django_capture_on_commit_callbacks(execute=False) as callbacks,
        ):
            response = http.post(FORGOT, {"email": email})
        assert response.status_code == 302
        shapes = [re.sub(r"'[^']*'|\b\d+\b", "?", q["sql"]) for q in queries.captured_queries]
        return shapes, len(callbacks)

    known = work("tess@maple.test")
    unknown = work("nobody@nowhere.test")
    assert known == unknown
    assert known[1] == 1
    assert not mail.outbox and not PasswordResetLink.objects.exists()
