"""Sign-in and sign-out are services: they start or end the session and write the audit row;
no view or middleware writes those rows itself."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.contrib.auth.models import AnonymousUser
from django.contrib.sessions.middleware import SessionMiddleware
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.test import RequestFactory

from teletherapy.accounts import services
from teletherapy.accounts.models import UserSession
from teletherapy.audit.models import Action, AuditEvent

pytestmark = pytest.mark.django_db
SIGN_IN_ACTIONS = ("SIGN_IN", "SIGN_IN_FAILED", "SIGN_OUT", "IDLE_SIGN_OUT", "PORTAL_SIGN_IN")


def _request(path: str = "/accounts/sign-in/") -> HttpRequest:
    request = RequestFactory().post(path)
    SessionMiddleware(lambda r: HttpResponse()).process_request(request)
    request.user = AnonymousUser()
    return request


def test_staff_sign_in_starts_a_session_and_audits_it_in_their_practice(cast) -> None:  # type: ignore[no-untyped-def]
    request = _request()
    services.sign_in(request=request, user=cast.therapist.user)
    assert request.user == cast.therapist.user
    assert UserSession.objects.filter(user=cast.therapist.user).exists()
    row = AuditEvent.objects.get(action=Action.SIGN_IN)
    assert row.actor == cast.therapist.user and row.practice == cast.practice


def test_client_sign_in_is_a_portal_sign_in_on_their_record(cast) -> None:  # type: ignore[no-untyped-def]
    client = cast.client_with_portal
    services.sign_in(
        request=_request("/portal/sign-in/"), user=client.user, practice=client.practice, obj=client
    )
    row = AuditEvent.objects.get(action=Action.PORTAL_SIGN_IN)
    assert row.practice == cast.practice and row.object_id == str(client.pk)


def test_a_switched_off_account_is_refused_and_nothing_is_written(cast) -> None:  # type: ignore[no-untyped-def]
    user = cast.therapist.user
    user.is_active = False
    user.save()
    request = _request()
    with pytest.raises(PermissionDenied):
        services.sign_in(request=request, user=user)
    assert not request.user.is_authenticated
    assert not AuditEvent.objects.filter(action=Action.SIGN_IN).exists()


def test_sign_out_and_idle_sign_out_end_the_session_with_their_row(cast) -> None:  # type: ignore[no-untyped-def]
    for idle, action in ((False, Action.SIGN_OUT), (True, Action.IDLE_SIGN_OUT)):
        request = _request()
        services.sign_in(request=request, user=cast.manager.user)
        services.sign_out(request=request, idle=idle)
        assert not request.user.is_authenticated
        row = AuditEvent.objects.filter(action=action).get()
        assert row.actor == cast.manager.user and row.practice == cast.practice
    assert not UserSession.objects.filter(user=cast.manager.user).exists()


def test_failures_go_to_the_known_persons_practice_only(cast) -> None:  # type: ignore[no-untyped-def]
    services.record_failed_sign_in(request=_request(), identifier=cast.owner.user.username)
    services.record_failed_sign_in(request=_request(), identifier="stranger@example.test")
    services.record_failed_sign_in(
        request=_request("/portal/sign-in/"), identifier="someone", portal=True
    )
    known, stranger = AuditEvent.objects.filter(action=Action.SIGN_IN_FAILED).order_by("id")
    assert known.practice == cast.practice and known.object_id == str(cast.owner.user.pk)
    assert stranger.practice is None and stranger.actor_label == "stranger@example.test"
    assert AuditEvent.objects.get(action=Action.PORTAL_SIGN_IN_FAILED).actor_label == "someone"


def test_only_the_accounts_services_write_sign_in_and_sign_out_rows() -> None:
    root = Path(__file__).resolve().parents[2]
    pattern = re.compile(r"Action\.(" + "|".join(SIGN_IN_ACTIONS) + r")\b")
    writers = sorted(
        str(path.relative_to(root))
        for path in root.glob("*/**/*.py")
        if "tests" not in path.relative_to(root).parts and pattern.search(path.read_text())
    )
    assert writers == ["accounts/services.py"]
