"""Send invite from the Client Portal Login section, and the client's sign-up from the link."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core import mail
from django.db import connection
from django.test import Client as HttpClient
from django.urls import reverse
from django.utils.html import escape

from teletherapy.audit.models import Action, AuditEvent
from teletherapy.clients.models import PortalInvitation
from teletherapy.clients.tests.links import (
    PASSWORD,
    last_link,
    open_link,
    send_from_profile,
    sign_up,
)

# As it appears in the page's HTML (the one link-problem page escapes its text).
EXPIRED = escape("This link has expired. Please ask your therapist's office to send a new one.")
T0 = datetime(2026, 3, 2, 15, 0, 0, tzinfo=UTC)


@pytest.fixture
def nora(cast):
    return cast.client_without_portal


def test_invite_email_and_sign_up_land_on_dashboard(
    cast, nora, django_capture_on_commit_callbacks
) -> None:
    staff = cast.client_for("therapist")
    with time_machine.travel(T0, tick=False):
        response = send_from_profile(staff, nora, django_capture_on_commit_callbacks)
    assert response.status_code == 302
    (message,) = mail.outbox
    assert message.to == ["nora@example.com"]
    assert "Maple Counseling" in message.subject
    body = message.body
    assert "Hello Nora," in body
    assert "upcoming appointments" in body
    # 24 hours after 10:00 AM EST on March 2 is 10:00 AM EST on March 3, zone named.
    assert "Tue, Mar 3, 2026, 10:00 AM EST (America/New York)" in body
    html = message.alternatives[0][0]  # type: ignore[attr-defined]
    assert "Create your Client Portal account" in html
    # No clinical details: no therapist, no appointment, no date of birth.
    for secret in ("Tess", "Therapist", "1990", "Teletherapy session at"):
        assert secret not in body

    path = last_link()
    with time_machine.travel(T0 + timedelta(hours=1), tick=False):
        client_http = HttpClient()
        response = sign_up(client_http, nora, path, username="Nora.N")
        assert response.status_code == 302
        assert response["Location"] == reverse("portal:dashboard")
        dashboard = client_http.get(reverse("portal:dashboard"))
    assert dashboard.status_code == 200
    assert "Dashboard" in dashboard.content.decode()
    nora.refresh_from_db()
    assert nora.user is not None and nora.user.username == "nora.n"
    assert nora.user.check_password(PASSWORD)
    link = PortalInvitation.objects.get(client=nora)
    assert link.used_at is not None
    assert AuditEvent.objects.filter(
        action=Action.PORTAL_INVITE_ACCEPTED, object_id=str(nora.pk)
    ).exists()
    assert AuditEvent.objects.filter(
        action=Action.PORTAL_INVITE_SENT, object_id=str(nora.pk)
    ).exists()

    # The practice sees the account in the Client Portal Login section.
    staff = cast.client_for("therapist")  # a fresh sign-in: the clock moved on
    profile = staff.get(reverse("clients:detail", kwargs={"client_id": nora.pk})).content.decode()
    assert "Client Portal Login" in profile
    assert "nora.n" in profile
    assert "Send password reset link" in profile


@pytest.mark.parametrize(
    ("after", "accepted"),
    [
        (timedelta(hours=23, minutes=59, seconds=59), True),
        (timedelta(hours=24), True),
        (timedelta(hours=24, seconds=1), False),
    ],
    ids=["23:59:59", "24:00:00", "24:00:01"],
)
def test_link_valid_for_24_hours(
    cast, nora, django_capture_on_commit_callbacks, after, accepted
) -> None:
    staff = cast.client_for("owner")
    with time_machine.travel(T0, tick=False):
        send_from_profile(staff, nora, django_capture_on_commit_callbacks)
    path = last_link()
    with time_machine.travel(T0 + after, tick=False):
        if accepted:
            response = sign_up(HttpClient(), nora, path)
            assert response.status_code == 302
            assert response["Location"] == reverse("portal:dashboard")
        else:
            page = open_link(HttpClient(), path)
            assert EXPIRED in page.content.decode()
            assert AuditEvent.objects.filter(action=Action.PORTAL_INVITE_EXPIRED).count() == 1
            # The practice's section says so and offers a new invite.
            staff = cast.client_for("owner")
            profile = staff.get(reverse("clients:detail", kwargs={"client_id": nora.pk}))
            text = profile.content.decode()
            assert "Invite expired" in text
            assert "Send new invite" in text
    nora.refresh_from_db()
    assert nora.has_portal_account is accepted


def test_link_is_single_use(cast, nora, django_capture_on_commit_callbacks) -> None:
    send_from_profile(cast.client_for("owner"), nora, django_capture_on_commit_callbacks)
    path = last_link()
    assert sign_up(HttpClient(), nora, path).status_code == 302
    again = open_link(HttpClient(), path)
    assert EXPIRED in again.content.decode()


def test_resend_voids_the_older_link(cast, nora, django_capture_on_commit_callbacks) -> None:
    staff = cast.client_for("scheduler")
    send_from_profile(staff, nora, django_capture_on_commit_callbacks)
    first = last_link()
    send_from_profile(staff, nora, django_capture_on_commit_callbacks)
    second = last_link()
    assert first != second
    assert EXPIRED in open_link(HttpClient(), first).content.decode()
    old, new = PortalInvitation.objects.filter(client=nora).order_by("id")
    assert old.voided_at is not None and "Replaced by a newer link" in old.void_reason
    assert new.voided_at is None
    assert AuditEvent.objects.filter(action=Action.PORTAL_INVITE_VOIDED).count() == 1
    assert sign_up(HttpClient(), nora, second).status_code == 302


def test_wrong_birth_date_keeps_the_form_and_five_tries_void_the_link(
    cast, nora, django_capture_on_commit_callbacks
) -> None:
    staff = cast.client_for("owner")
    send_from_profile(staff, nora, django_capture_on_commit_callbacks)
    http = HttpClient()
    open_link(http, last_link())
    url = reverse("portal:invite")
    for attempt in range(1, 5):
        page = http.post(url, {"date_of_birth": "1991-05-17"})
        text = page.content.decode()
        assert page.status_code == 200
        assert "doesn&#x27;t match our records" in text
        assert 'value="1991-05-17"' in text
        assert PortalInvitation.objects.get(client=nora).dob_failures == attempt
    fifth = http.post(url, {"date_of_birth": "1991-05-17"})
    assert EXPIRED in fifth.content.decode()
    link = PortalInvitation.objects.get(client=nora)
    assert link.voided_at is not None
    assert link.void_reason == "The date of birth was entered wrong 5 times"
    # Even the right date is refused now.
    assert EXPIRED in http.post(url, {"date_of_birth": "1990-05-17"}).content.decode()
    profile = staff.get(reverse("clients:detail", kwargs={"client_id": nora.pk})).content.decode()
    assert "The date of birth was entered wrong 5 times" in profile
    assert "Send new invite" in profile


def test_taken_username_and_weak_password_keep_what_was_typed(
    cast, nora, django_capture_on_commit_callbacks
) -> None:
    send_from_profile(cast.client_for("owner"), nora, django_capture_on_commit_callbacks)
    http = HttpClient()
    open_link(http, last_link())
    url = reverse("portal:invite")
    http.post(url, {"date_of_birth": "1990-05-17"})
    taken = http.post(url, {"username": "casey", "password1": PASSWORD, "password2": PASSWORD})
    assert "That username is taken" in taken.content.decode()
    assert 'value="casey"' in taken.content.decode()
    weak = http.post(url, {"username": "nora2", "password1": "password", "password2": "password"})
    text = weak.content.decode()
    assert "too short" in text or "too common" in text
    assert 'value="nora2"' in text
    nora.refresh_from_db()
    assert nora.user is None
    assert PortalInvitation.objects.get(client=nora).used_at is None


def test_invite_refused_without_email_and_button_disabled(cast, nora) -> None:
    nora.email = ""
    nora.save()
    staff = cast.client_for("owner")
    profile = staff.get(reverse("clients:detail", kwargs={"client_id": nora.pk})).content.decode()
    assert "disabled" in profile
    assert "This client has no email address" in profile
    response = staff.post(
        reverse("clients:send_portal_invite", kwargs={"client_id": nora.pk}), follow=True
    )
    assert "This client has no email address" in response.content.decode()
    assert not PortalInvitation.objects.exists()


def test_next_parameter_returns_to_a_same_site_page_only(
    cast, nora, django_capture_on_commit_callbacks
) -> None:
    staff = cast.client_for("owner")
    back = send_from_profile(
        staff, nora, django_capture_on_commit_callbacks, next="/schedule/?day=2026-03-02"
    )
    assert back["Location"] == "/schedule/?day=2026-03-02"
    away = send_from_profile(
        staff, nora, django_capture_on_commit_callbacks, next="https://evil.example/"
    )
    assert away["Location"].startswith(f"/clients/{nora.pk}/")


def test_failed_delivery_shows_not_delivered(
    cast, nora, settings, django_capture_on_commit_callbacks
) -> None:
    from teletherapy.test.browser import free_port

    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = free_port()  # nothing listens here
    settings.EMAIL_TIMEOUT = 2
    staff = cast.client_for("owner")
    send_from_profile(staff, nora, django_capture_on_commit_callbacks)
    assert PortalInvitation.objects.get(client=nora).delivery_status == "failed"
    profile = staff.get(reverse("clients:detail", kwargs={"client_id": nora.pk})).content.decode()
    assert "not delivered" in profile


def test_raw_token_is_never_stored_or_logged(
    cast, nora, caplog, django_capture_on_commit_callbacks
) -> None:
    from django_tasks.signals import task_enqueued

    enqueued: list[tuple] = []

    def remember(sender, task_result, **kwargs):
        enqueued.append((task_result.args, task_result.kwargs))

    task_enqueued.connect(remember)
    caplog.set_level(logging.DEBUG)
    try:
        staff = cast.client_for("owner")
        send_from_profile(staff, nora, django_capture_on_commit_callbacks)
        send_from_profile(
            cast.client_for("owner"),
            cast.client_with_portal,
            django_capture_on_commit_callbacks,
            kind="reset",
        )
        invite_path = last_link("nora@example.com")
        reset_path = last_link("casey.client@example.com")
        http = HttpClient()
        open_link(http, invite_path)
        http.post(reverse("portal:invite"), {"date_of_birth": "1999-01-01"})
        open_link(HttpClient(), reset_path)
    finally:
        task_enqueued.disconnect(remember)
    tokens = [invite_path.split("/")[-2], reset_path.split("/")[-2]]
    # The task arguments (what the database queue stores) are only the link ids.
    link_ids = set(PortalInvitation.objects.values_list("id", flat=True))
    assert enqueued and all(args[0] in link_ids and not kwargs for args, kwargs in enqueued)
    for token in tokens:
        assert token not in repr(enqueued)
        assert token not in caplog.text
        assert _found_in_database(token) == []


def _found_in_database(needle: str) -> list[str]:
    """Every table.column whose text contains `needle` (sessions decoded too)."""
    from django.contrib.sessions.models import Session

    hits = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            description = connection.introspection.get_table_description(cursor, table)
            for column in description:
                cursor.execute(f'SELECT "{column.name}" FROM "{table}"')  # noqa: S608
                for (value,) in cursor.fetchall():
                    if value is not None and needle in str(value):
                        hits.append(f"{table}.{column.name}")
    for session in Session.objects.all():
        if needle in repr(session.get_decoded()):
            hits.append("session data")
    return hits


def test_token_stored_in_database_queue_args_is_only_the_id(
    cast, nora, settings, django_capture_on_commit_callbacks
) -> None:
    """With the database task backend, the queued row holds the link id; the worker mints
    the token and the queue row never sees it."""
    from django_tasks_db.management.commands.db_worker import Worker
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    send_from_profile(cast.client_for("owner"), nora, django_capture_on_commit_callbacks)
    (row,) = DBTaskResult.objects.all()
    link = PortalInvitation.objects.get(client=nora)
    assert row.args_kwargs == {"args": [link.pk], "kwargs": {}}
    assert mail.outbox == []
    # What `manage.py db_worker` does with the row (its loop closes the test's connection).
    worker = Worker(
        queue_names=["default"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=1,
        worker_id="test",
        excluded_queue_names=[],
    )
    worker.run_task(row)
    token = last_link().split("/")[-2]
    assert _found_in_database(token) == []
    row.refresh_from_db()
    assert row.status == "SUCCESSFUL"


def test_staff_sends_are_capped_per_client_per_hour(
    cast, nora, django_capture_on_commit_callbacks
) -> None:
    staff = cast.client_for("owner")
    for _ in range(10):
        send_from_profile(staff, nora, django_capture_on_commit_callbacks)
    refused = send_from_profile(staff, nora, django_capture_on_commit_callbacks)
    assert refused.status_code == 302
    assert len(mail.outbox) == 10
    assert PortalInvitation.objects.filter(client=nora).count() == 10
    page = staff.get(refused["Location"]).content.decode()
    assert "Too many links were sent to this client in the last hour" in page


def test_teletherapy_unavailable_reason(cast, nora) -> None:
    assert cast.client_with_portal.teletherapy_unavailable_reason == ""
    assert "client portal account" in nora.teletherapy_unavailable_reason
    nora.country, nora.state = "Canada", ""
    assert nora.teletherapy_unavailable_reason == (
        "Teletherapy is for U.S. residents only: this client's address is outside the U.S."
    )
