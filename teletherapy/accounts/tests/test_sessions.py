"""Sessions: sign out of all other sessions, an Owner or Manager ends a colleague's sessions,
an absolute limit of SESSION_ABSOLUTE_HOURS, and a shorter idle limit set by the practice."""

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
DASHBOARD = "/dashboard/"


def _signed_in(user) -> HttpClient:  # type: ignore[no-untyped-def]
    http = HttpClient()
    http.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return http


def test_staff_sign_out_of_all_other_sessions(cast) -> None:  # type: ignore[no-untyped-def]
    here, laptop, phone = (_signed_in(cast.therapist.user) for _ in range(3))
    other_person = _signed_in(cast.owner.user)
    response = here.post(reverse("accounts:sign_out_others"), follow=True)
    assert "Signed out of 2 other sessions." in response.content.decode()
    assert here.get(DASHBOARD).status_code == 200
    assert laptop.get(DASHBOARD).status_code == 302 and phone.get(DASHBOARD).status_code == 302
    assert other_person.get(DASHBOARD).status_code == 200
    event = AuditEvent.objects.get(action=Action.SESSIONS_ENDED)
    assert event.details["sessions"] == 2 and event.actor == cast.therapist.user


def test_clients_sign_out_of_all_other_sessions(cast) -> None:  # type: ignore[no-untyped-def]
    here, there = (_signed_in(cast.client_with_portal.user) for _ in range(2))
    assert "Sign out of all other sessions" in here.get("/portal/password/").content.decode()
    assert here.post(reverse("portal:sign_out_others"))["Location"] == "/portal/password/"
    assert here.get("/portal/").status_code == 200
    assert there.get("/portal/").status_code == 302


@pytest.mark.parametrize("persona", ["owner", "manager"])
def test_an_owner_or_manager_ends_a_colleagues_sessions(cast, persona) -> None:  # type: ignore[no-untyped-def]
    laptop = _signed_in(cast.therapist.user)
    url = reverse("practice:staff_end_sessions", args=[cast.therapist.pk])
    assert cast.client_for("scheduler").post(url).status_code == 403
    assert cast.client_for("other_owner").post(url).status_code == 404
    assert laptop.get(DASHBOARD).status_code == 200
    assert cast.client_for(persona).post(url).status_code == 302
    assert laptop.get(DASHBOARD).status_code == 302
    event = AuditEvent.objects.get(action=Action.SESSIONS_ENDED)
    assert event.actor == getattr(cast, persona).user and event.practice == cast.practice


def test_a_manager_cannot_end_an_owners_sessions(cast) -> None:  # type: ignore[no-untyped-def]
    owner = _signed_in(cast.owner.user)
    url = reverse("practice:staff_end_sessions", args=[cast.owner.pk])
    assert cast.client_for("manager").post(url).status_code == 400
    assert owner.get(DASHBOARD).status_code == 200


@pytest.mark.parametrize(("after", "signed_in"), [(0, True), (1, False)])
def test_the_absolute_session_limit(cast, after, signed_in) -> None:  # type: ignore[no-untyped-def]
    """However active, a sign-in ends SESSION_ABSOLUTE_HOURS after it began."""
    limit = settings.SESSION_ABSOLUTE_HOURS * 3600
    with time_machine.travel(T0, tick=False) as traveller:
        http = _signed_in(cast.therapist.user)
        # Active all day: a request every 20 minutes.
        elapsed = 0
        while elapsed + 1200 < limit:
            elapsed += 1200
            traveller.move_to(T0 + timedelta(seconds=elapsed))
            assert http.get(DASHBOARD).status_code == 200
        traveller.move_to(T0 + timedelta(seconds=limit + after))
        response = http.get(DASHBOARD, follow=True)
    if signed_in:
        assert response.redirect_chain == []
    else:
        assert (
            f"signed out {settings.SESSION_ABSOLUTE_HOURS} hours after" in response.content.decode()
        )
        assert AuditEvent.objects.get(action=Action.IDLE_SIGN_OUT).details == {"limit": "absolute"}


@pytest.mark.parametrize(("persona", "home"), [("therapist", DASHBOARD), ("client", "/portal/")])
def test_the_practice_may_shorten_the_idle_limit(cast, persona, home) -> None:  # type: ignore[no-untyped-def]
    cast.practice.idle_minutes = 10
    cast.practice.save()
    with time_machine.travel(T0, tick=False) as traveller:
        http = cast.client_for(persona)
        assert http.get(home).status_code == 200
        traveller.move_to(T0 + timedelta(minutes=10))
        assert http.get(home).status_code == 200
        traveller.move_to(T0 + timedelta(minutes=20, seconds=1))
        response = http.get(home, follow=True)
    assert "signed out after 10 minutes without activity" in response.content.decode()


def test_the_practice_cannot_lengthen_the_idle_limit(cast) -> None:  # type: ignore[no-untyped-def]
    from teletherapy.practice.policy import idle_limit

    assert idle_limit(None) == settings.IDLE_TIMEOUT_MINUTES
    assert idle_limit(settings.IDLE_TIMEOUT_MINUTES + 60) == settings.IDLE_TIMEOUT_MINUTES
    form = cast.client_for("owner").post(reverse("practice:security"), {"idle_minutes": "600"})
    assert form.status_code == 200 and "Choose a time from the list." in form.content.decode()


def test_changing_my_password_ends_my_other_sessions(cast) -> None:  # type: ignore[no-untyped-def]
    cast.therapist.user.set_password(PASSWORD)
    cast.therapist.user.save()
    here, laptop = _signed_in(cast.therapist.user), _signed_in(cast.therapist.user)
    response = here.post(
        reverse("accounts:change_password"),
        {
            "old_password": PASSWORD,
            "new_password1": "a brand new passphrase 77",
            "new_password2": "a brand new passphrase 77",
        },
    )
    assert response["Location"] == reverse("accounts:my_account")
    assert here.get(DASHBOARD).status_code == 200
    assert laptop.get(DASHBOARD).status_code == 302
    assert AuditEvent.objects.filter(action=Action.PASSWORD_CHANGED).count() == 1


def test_the_portal_password_change_is_audited(cast) -> None:  # type: ignore[no-untyped-def]
    cast.client_with_portal.user.set_password(PASSWORD)
    cast.client_with_portal.user.save()
    http = _signed_in(cast.client_with_portal.user)
    response = http.post(
        "/portal/password/",
        {
            "old_password": PASSWORD,
            "new_password1": "a brand new passphrase 77",
            "new_password2": "a brand new passphrase 77",
        },
    )
    assert response.status_code == 302
    event = AuditEvent.objects.get(action=Action.PASSWORD_CHANGED)
    assert event.practice == cast.practice and event.actor == cast.client_with_portal.user
