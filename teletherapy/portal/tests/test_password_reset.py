"""Client password reset: from the practice's Client Portal Login section and from the
portal's Forgot password page."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core import mail
from django.test import Client as HttpClient
from django.urls import reverse
from django.utils.html import escape

from teletherapy.audit.models import Action, AuditEvent
from teletherapy.clients.models import PortalInvitation
from teletherapy.clients.tests.links import PASSWORD, last_link, open_link, send_from_profile

# As it appears in the page's HTML (the one link-problem page escapes its text).
EXPIRED = escape("This link has expired. Please ask your therapist's office to send a new one.")
T0 = datetime(2026, 6, 1, 12, 0, 0, tzinfo=UTC)
SENT = "If a Client Portal account matches, we have emailed a password reset link"


def _choose_password(http: HttpClient, path: str):
    open_link(http, path)
    return http.post(
        reverse("portal:reset"), {"new_password1": PASSWORD, "new_password2": PASSWORD}
    )


@pytest.mark.parametrize(
    ("after", "accepted"),
    [(timedelta(hours=24), True), (timedelta(hours=24, seconds=1), False)],
    ids=["24:00:00", "24:00:01"],
)
def test_staff_sent_reset_link_works_once_for_24_hours(
    cast, django_capture_on_commit_callbacks, after, accepted
) -> None:
    casey = cast.client_with_portal
    with time_machine.travel(T0, tick=False):
        send_from_profile(
            cast.client_for("therapist"), casey, django_capture_on_commit_callbacks, kind="reset"
        )
    message = mail.outbox[-1]
    assert "reset your Client Portal password" in message.subject
    assert "username: casey" in message.body
    assert "Tue, Jun 2, 2026, 8:00 AM EDT (America/New York)" in message.body
    path = last_link()
    with time_machine.travel(T0 + after, tick=False):
        http = HttpClient()
        response = _choose_password(http, path)
        casey.user.refresh_from_db()
        if accepted:
            assert response["Location"] == reverse("portal:dashboard")
            assert casey.user.check_password(PASSWORD)
            assert AuditEvent.objects.filter(action=Action.PORTAL_RESET_USED).count() == 1
            # Single use.
            assert EXPIRED in open_link(HttpClient(), path).content.decode()
        else:
            assert EXPIRED in response.content.decode()
            assert not casey.user.check_password(PASSWORD)


def test_weak_password_on_reset_keeps_the_link(cast, django_capture_on_commit_callbacks) -> None:
    send_from_profile(
        cast.client_for("owner"),
        cast.client_with_portal,
        django_capture_on_commit_callbacks,
        kind="reset",
    )
    http = HttpClient()
    open_link(http, last_link())
    weak = http.post(reverse("portal:reset"), {"new_password1": "casey", "new_password2": "casey"})
    assert weak.status_code == 200 and "too short" in weak.content.decode()
    assert PortalInvitation.objects.get().used_at is None


def test_reset_needs_an_account_and_invite_needs_none(
    cast, django_capture_on_commit_callbacks
) -> None:
    http = cast.client_for("owner")
    page = send_from_profile(
        http, cast.client_without_portal, django_capture_on_commit_callbacks, kind="reset"
    )
    assert page.status_code == 302
    assert not PortalInvitation.objects.exists()
    send_from_profile(http, cast.client_with_portal, django_capture_on_commit_callbacks)
    assert not PortalInvitation.objects.exists()
    assert mail.outbox == []


def test_forgot_password_gives_the_same_answer_either_way(
    cast, django_capture_on_commit_callbacks
) -> None:
    http = HttpClient()
    url = reverse("portal:forgot_password")
    answers = []
    for identifier in (
        "casey",
        "CASEY.CLIENT@example.com",
        "nobody",
        "nobody@example.com",
        "nora@example.com",
    ):
        with django_capture_on_commit_callbacks(execute=True):
            response = http.post(url, {"identifier": identifier})
        assert response.status_code == 200
        assert SENT in response.content.decode()
        answers.append(response.content.decode().replace(identifier, ""))
    assert len(set(answers)) == 1
    # Only the real account (twice: by username and by email) got a link; the later one voided
    # the earlier. Nora has no account, so nothing was sent to her.
    assert [m.to for m in mail.outbox] == [["casey.client@example.com"]] * 2
    first, second = PortalInvitation.objects.order_by("id")
    assert first.voided_at is not None and second.voided_at is None
    assert second.sent_by is None
    assert _choose_password(HttpClient(), last_link()).status_code == 302


def test_forgot_password_is_rate_limited(cast, django_capture_on_commit_callbacks) -> None:
    http = HttpClient()
    for _ in range(5):
        with django_capture_on_commit_callbacks(execute=True):
            http.post(reverse("portal:forgot_password"), {"identifier": "casey"})
    assert len(mail.outbox) == 3


def test_known_and_unknown_accounts_cost_the_same_work(
    cast, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    """No timing oracle: the request does the same queries and queues one task whoever the
    identifier names; the task then emails only a real account, with the requester's IP."""
    import re

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def work(identifier: str) -> tuple[list[str], int]:
        http = HttpClient()
        http.get(reverse("portal:forgot_password"))
        with (
            CaptureQueriesContext(connection) as queries,
            django_capture_on_commit_callbacks(execute=False) as callbacks,
        ):
            response = http.post(reverse("portal:forgot_password"), {"identifier": identifier})
        assert SENT in response.content.decode()
        shapes = [re.sub(r"'[^']*'|\b\d+\b", "?", q["sql"]) for q in queries.captured_queries]
        return shapes, len(callbacks)

    for identifier in ("casey", "casey.client@example.com"):
        assert work(identifier) == work("nobody-here") == work("no@body.test")
    assert not mail.outbox and not PortalInvitation.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        HttpClient().post(
            reverse("portal:forgot_password"), {"identifier": "casey"}, REMOTE_ADDR="203.0.113.9"
        )
    assert mail.outbox[-1].to == ["casey.client@example.com"]
    sent = AuditEvent.objects.get(action=Action.PORTAL_RESET_SENT)
    assert sent.ip == "203.0.113.9"
