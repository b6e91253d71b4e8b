"""Portal emails through a real SMTP server (aiosmtpd on 127.0.0.1): read the message, follow
its link with the test client, and check the text."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from django.test import Client as HttpClient
from django.urls import reverse

from teletherapy.clients.tests.links import PASSWORD, send_from_profile
from teletherapy.test.browser import text_of


def test_invite_over_smtp(cast, smtp_server, django_capture_on_commit_callbacks) -> None:
    nora = cast.client_without_portal
    send_from_profile(cast.client_for("therapist"), nora, django_capture_on_commit_callbacks)
    message = smtp_server.wait_for(to="nora@example.com")
    assert message["Subject"] == "Maple Counseling: create your Client Portal account"
    text = text_of(message)
    assert text.startswith("Hello Nora,")
    assert "Maple Counseling has invited you" in text
    assert "(America/New York)" in text
    html = message.get_body(preferencelist=("html",)).get_content()
    assert "<a href=" in html
    link = re.search(r"http://\S+/portal/invite/\S+/", text).group(0)  # type: ignore[union-attr]
    http = HttpClient()
    response = http.get(urlsplit(link).path, follow=True)
    assert response.redirect_chain == [(reverse("portal:invite"), 302)]
    assert "confirm your date of birth" in response.content.decode()
    http.post(reverse("portal:invite"), {"date_of_birth": "1990-05-17"})
    done = http.post(
        reverse("portal:invite"),
        {"username": "nora", "password1": PASSWORD, "password2": PASSWORD},
        follow=True,
    )
    assert "Your Client Portal account is ready." in done.content.decode()
    assert "Upcoming appointments" in done.content.decode()


def test_reset_over_smtp(cast, smtp_server, django_capture_on_commit_callbacks) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        HttpClient().post(reverse("portal:forgot_password"), {"identifier": "casey"})
    message = smtp_server.wait_for(to="casey.client@example.com")
    text = text_of(message)
    assert "Hello Casey," in text and "username: casey" in text
    link = re.search(r"http://\S+/portal/reset/\S+/", text).group(0)  # type: ignore[union-attr]
    http = HttpClient()
    page = http.get(urlsplit(link).path, follow=True)
    assert "Choose a new password" in page.content.decode()


def test_text_part_is_not_html_escaped(
    cast, smtp_server, django_capture_on_commit_callbacks
) -> None:
    cast.practice.name = "O'Brien & Daughters Counseling"
    cast.practice.save()
    send_from_profile(
        cast.client_for("owner"), cast.client_without_portal, django_capture_on_commit_callbacks
    )
    message = smtp_server.wait_for(to="nora@example.com")
    assert message["Subject"] == "O'Brien & Daughters Counseling: create your Client Portal account"
    assert "O'Brien & Daughters Counseling has invited you" in text_of(message)
    html = message.get_body(preferencelist=("html",)).get_content()
    assert "O&#x27;Brien &amp; Daughters" in html
