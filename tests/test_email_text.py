"""Plain text is not HTML: subjects and text parts carry names as typed, through real SMTP.

The HTML part of the same email still escapes them.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.test import Client as HttpClient
from django.urls import reverse

from teletherapy.scheduling import services as scheduling
from teletherapy.test.browser import text_of

pytestmark = pytest.mark.django_db

NAME = 'O\'Brien & "Daughters" <Counseling>'
PERSON = 'Siobhan "Shiv" O\'Neil & Co'
ESCAPES = ("&quot;", "&#x27;", "&#39;", "&amp;", "&lt;", "&gt;")


def _check(message) -> None:  # type: ignore[no-untyped-def]
    subject = str(message["Subject"])
    text = text_of(message)
    for escaped in ESCAPES:
        assert escaped not in subject, subject
        assert escaped not in text, text
    assert NAME in subject or NAME in text
    html = message.get_body(preferencelist=("html",)).get_content()
    assert "&amp;" in html and "<Counseling>" not in html


@pytest.fixture
def odd_names(cast):  # type: ignore[no-untyped-def]
    cast.practice.name = NAME
    cast.practice.save()
    for staff in (cast.owner, cast.therapist):
        staff.user.full_name = PERSON
        staff.user.save()
    return cast


def test_staff_invitation(odd_names, smtp_server, django_capture_on_commit_callbacks) -> None:  # type: ignore[no-untyped-def]
    with django_capture_on_commit_callbacks(execute=True):
        response = odd_names.client_for("owner").post(
            reverse("practice:staff_add"),
            {
                "full_name": "Nina Newton",
                "email": "nina@maple.test",
                "roles": ["scheduler"],
                "time_zone": "America/Chicago",
            },
        )
    assert response.status_code == 302
    message = smtp_server.wait_for(to="nina@maple.test")
    _check(message)
    assert f"{PERSON} has added you to {NAME}" in text_of(message)


def test_password_reset(odd_names, smtp_server, django_capture_on_commit_callbacks) -> None:  # type: ignore[no-untyped-def]
    with django_capture_on_commit_callbacks(execute=True):
        HttpClient().post(reverse("accounts:forgot_password"), {"email": "owner@maple.test"})
    message = smtp_server.wait_for(to="owner@maple.test")
    _check(message)
    assert f"your {NAME} staff account" in text_of(message)


def test_appointment_booked(odd_names, smtp_server, django_capture_on_commit_callbacks) -> None:  # type: ignore[no-untyped-def]
    with django_capture_on_commit_callbacks(execute=True):
        scheduling.book_appointment(
            therapist=odd_names.therapist,
            client=odd_names.client_with_portal,
            start=datetime(2031, 11, 25, 15, 0, tzinfo=UTC),
            duration_minutes=50,
            is_teletherapy=True,
            service="90837",
            staff_note="",
            by=odd_names.scheduler,
        )
    message = smtp_server.wait_for(to="casey.client@example.com")
    _check(message)
    assert f"Therapist: {PERSON}" in text_of(message)
