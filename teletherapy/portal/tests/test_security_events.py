"""Issue 9, hole 11: failed portal sign-ins and clients' refused session attempts show in the
log of the practice whose account it is, and the requester learns nothing from it."""

from __future__ import annotations

import pytest
from django.test import Client as HttpClient
from django.urls import reverse

from teletherapy.audit.models import Action, AuditEvent

pytestmark = pytest.mark.django_db
PORTAL_SIGN_IN = "/portal/sign-in/"


def _fail(username: str):  # type: ignore[no-untyped-def]
    return HttpClient().post(PORTAL_SIGN_IN, {"username": username, "password": "a wrong guess"})


def test_a_failed_portal_sign_in_shows_in_the_clients_practice_log(cast) -> None:  # type: ignore[no-untyped-def]
    _fail("casey")
    event = AuditEvent.objects.get(action=Action.PORTAL_SIGN_IN_FAILED)
    assert event.practice == cast.practice and event.actor_label == "casey"
    page = cast.client_for("owner").get("/settings/audit/").content.decode()
    assert ">casey</td>" in page
    other = cast.client_for("other_owner").get("/settings/audit/").content.decode()
    assert "casey" not in other


def test_a_known_and_an_unknown_username_get_the_same_answer(cast) -> None:  # type: ignore[no-untyped-def]
    known, unknown = _fail("casey"), _fail("nobody-here")
    assert known.status_code == unknown.status_code == 200
    assert known.context["form"].errors == unknown.context["form"].errors
    stranger = AuditEvent.objects.get(actor_label="nobody-here")
    assert stranger.practice is None


def test_a_clients_refused_session_attempt_shows_in_their_practice_log(cast) -> None:  # type: ignore[no-untyped-def]
    url = reverse("portal_video:check", args=[cast.tele_appointment.pk])
    assert cast.client_for("other_client").get(url).status_code == 404
    event = AuditEvent.objects.get(action=Action.SESSION_REFUSED)
    assert event.practice == cast.other_practice
    assert event.actor == cast.other_client.user
