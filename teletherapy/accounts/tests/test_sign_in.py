"""Staff sign-in and sign-out, lockout with a cool-off, idle sign-out."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
import time_machine
from django.conf import settings
from django.test import Client as HttpClient
from django.urls import reverse

from teletherapy.audit.models import Action, AuditEvent
from teletherapy.test.personas import PASSWORD

pytestmark = pytest.mark.django_db
T0 = datetime.fromisoformat("2026-05-04 13:00:00+00:00")
SIGN_IN = "/accounts/sign-in/"


@pytest.fixture
def signable(cast):
    """The cast, with real passwords for the few who sign in through the form here."""
    for member in (cast.therapist, cast.therapist_plain):
        member.user.set_password(PASSWORD)
        member.user.save()
    cast.client_with_portal.user.set_password(PASSWORD)
    cast.client_with_portal.user.save()
    return cast


def _sign_in(http: HttpClient, email: str, password: str, next_url: str = ""):
    url = SIGN_IN + (f"?next={next_url}" if next_url else "")
    return http.post(url, {"email": email, "password": password})


def test_sign_in_and_out(signable) -> None:
    http = HttpClient()
    response = _sign_in(http, "Tess@Maple.test", PASSWORD)
    assert response.status_code == 302 and response["Location"] == reverse("practice:dashboard")
    assert http.get(reverse("practice:dashboard")).status_code == 200
    assert AuditEvent.objects.filter(action=Action.SIGN_IN).count() == 1
    event = AuditEvent.objects.get(action=Action.SIGN_IN)
    assert event.actor == signable.therapist.user and event.practice == signable.practice
    assert event.ip == "127.0.0.1"
    response = http.post(reverse("accounts:sign_out"), follow=True)
    assert "You have signed out." in response.content.decode()
    assert http.get(reverse("practice:dashboard")).status_code == 302
    assert AuditEvent.objects.filter(action=Action.SIGN_OUT).count() == 1


def test_next_is_followed_only_within_the_site(signable) -> None:
    ok = _sign_in(HttpClient(), "tess@maple.test", PASSWORD, next_url="/settings/")
    assert ok["Location"] == "/settings/"
    evil = _sign_in(HttpClient(), "tess@maple.test", PASSWORD, next_url="https://evil.example/")
    assert evil["Location"] == reverse("practice:dashboard")


def test_wrong_password_keeps_the_email_and_is_audited(signable) -> None:
    response = _sign_in(HttpClient(), "tess@maple.test", "wrong password here")
    page = response.content.decode()
    assert response.status_code == 200
    assert "match a staff account" in page and 'value="tess@maple.test"' in page
    event = AuditEvent.objects.get(action=Action.SIGN_IN_FAILED)
    assert event.actor_label == "tess@maple.test" and event.practice == signable.practice


def test_client_accounts_cannot_sign_in_as_staff(signable) -> None:
    http = HttpClient()
    response = http.post(SIGN_IN, {"email": "casey@example.com", "password": PASSWORD})
    assert response.status_code == 200
    assert "_auth_user_id" not in http.session


def _lock_out(http: HttpClient) -> None:
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert _sign_in(http, "tess@maple.test", "not the password 1").status_code == 200
    locked = _sign_in(http, "tess@maple.test", "not the password 1")
    assert locked.status_code == 429
    page = locked.content.decode()
    assert "sign-in is paused" in page and 'value="tess@maple.test"' in page


def test_lockout_refuses_even_the_right_password_for_that_account_only(signable) -> None:
    http = HttpClient()
    _lock_out(http)
    still = _sign_in(http, "tess@maple.test", PASSWORD)
    assert still.status_code == 429 and "_auth_user_id" not in http.session
    # Only this account from this address cools off: a stranger cannot lock anyone else out.
    assert _sign_in(HttpClient(), "paul@maple.test", PASSWORD).status_code == 302
    assert (
        _sign_in(HttpClient(REMOTE_ADDR="10.0.0.9"), "tess@maple.test", PASSWORD).status_code == 302
    )


@pytest.mark.parametrize(("after", "status"), [(-1, 429), (1, 302)])
def test_cool_off_ends_after_its_time(signable, after, status) -> None:
    """Counted from the last failed attempt: refused 1 s before the end, accepted 1 s after."""
    with time_machine.travel(T0, tick=False) as traveller:
        http = HttpClient()
        _lock_out(http)
        traveller.move_to(T0 + settings.AXES_COOLOFF_TIME + timedelta(seconds=after))
        assert _sign_in(http, "tess@maple.test", PASSWORD).status_code == status


def test_idle_sign_out_after_the_timeout(cast) -> None:
    timeout = settings.IDLE_TIMEOUT_MINUTES * 60
    with time_machine.travel(T0, tick=False) as traveller:
        http = cast.client_for("owner")
        assert http.get(reverse("practice:dashboard")).status_code == 200
        # Background polling does not count as activity.
        traveller.move_to(T0 + timedelta(seconds=timeout - 60))
        assert http.get(reverse("practice:dashboard"), HTTP_X_BACKGROUND="1").status_code == 200
        traveller.move_to(T0 + timedelta(seconds=timeout))
        assert http.get(reverse("practice:dashboard"), HTTP_X_BACKGROUND="1").status_code == 200
        traveller.move_to(T0 + timedelta(seconds=timeout + 1))
        response = http.get(reverse("practice:dashboard"), follow=True)
    page = response.content.decode()
    assert response.redirect_chain[-1][0].startswith(reverse("accounts:sign_in"))
    assert f"signed out after {settings.IDLE_TIMEOUT_MINUTES} minutes" in page
    assert AuditEvent.objects.filter(action=Action.IDLE_SIGN_OUT).count() == 1


def test_activity_keeps_the_session_alive(cast) -> None:
    timeout = settings.IDLE_TIMEOUT_MINUTES * 60
    with time_machine.travel(T0, tick=False) as traveller:
        http = cast.client_for("owner")
        http.get(reverse("practice:dashboard"))
        traveller.move_to(T0 + timedelta(seconds=timeout - 10))
        assert http.get(reverse("practice:settings")).status_code == 200
        traveller.move_to(T0 + timedelta(seconds=2 * timeout - 20))
        assert http.get(reverse("practice:dashboard")).status_code == 200


def test_pages_carry_the_security_headers(cast) -> None:
    response = HttpClient().get(SIGN_IN)
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert 'name="csrfmiddlewaretoken"' in response.content.decode()


def test_forms_refuse_a_post_without_csrf(signable) -> None:
    http = HttpClient(enforce_csrf_checks=True)
    response = http.post(SIGN_IN, {"email": "tess@maple.test", "password": PASSWORD})
    assert response.status_code == 403


def test_the_locked_page_shows_no_field_errors(signable) -> None:
    http = HttpClient()
    _lock_out(http)
    page = _sign_in(http, "tess@maple.test", PASSWORD).content.decode()
    assert "This field is required" not in page


def test_the_portal_locked_page_keeps_the_username(signable) -> None:
    http = HttpClient()
    statuses = [
        http.post("/portal/sign-in/", {"username": "casey", "password": "wrong " * 3}).status_code
        for _ in range(settings.AXES_FAILURE_LIMIT)
    ]
    assert statuses[-1] == 429
    page = http.post("/portal/sign-in/", {"username": "casey", "password": PASSWORD})
    assert page.status_code == 429
    body = page.content.decode()
    assert "sign-in is paused" in body and 'name="email"' not in body
    # The portal's own form, holding what was typed, for the portal's template to show.
    assert page.context["form"].initial == {"username": "casey"}
    assert "username" in page.context["form"].fields
