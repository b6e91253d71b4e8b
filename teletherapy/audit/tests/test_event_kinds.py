"""Each event kind the foundation emits writes exactly one row, with who, where and what."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.core import mail
from django.test import Client as HttpClient
from django.urls import reverse

from teletherapy.audit.models import Action, AuditEvent
from teletherapy.test.personas import PASSWORD, Cast

pytestmark = pytest.mark.django_db
NEW = "amber orchard compass 4"


def _with_password(cast: Cast) -> None:
    cast.therapist.user.set_password(PASSWORD)
    cast.therapist.user.save()


def sign_in(cast: Cast, capture) -> None:  # type: ignore[no-untyped-def]
    _with_password(cast)
    HttpClient().post("/accounts/sign-in/", {"email": "tess@maple.test", "password": PASSWORD})


def sign_in_failed(cast: Cast, capture) -> None:  # type: ignore[no-untyped-def]
    _with_password(cast)
    HttpClient().post("/accounts/sign-in/", {"email": "tess@maple.test", "password": "nope " * 3})


def sign_out(cast: Cast, capture) -> None:  # type: ignore[no-untyped-def]
    cast.client_for("therapist").post("/accounts/sign-out/")


def idle_sign_out(cast: Cast, capture) -> None:  # type: ignore[no-untyped-def]
    with time_machine.travel("2026-05-04 13:00:00+00:00", tick=False) as traveller:
        http = cast.client_for("therapist")
        http.get("/dashboard/")
        traveller.shift(timedelta(minutes=settings.IDLE_TIMEOUT_MINUTES, seconds=1))
        http.get("/dashboard/")
        http.get("/dashboard/")


def _reset_link(capture) -> str:  # type: ignore[no-untyped-def]
    with capture(execute=True):
        HttpClient().post("/accounts/forgot-password/", {"email": "tess@maple.test"})
    return re.search(r"(/accounts/reset/[^\s/]+/)", str(mail.outbox[-1].body)).group(1)  # type: ignore[union-attr]


def password_reset_sent(cast: Cast, capture) -> None:  # type: ignore[no-untyped-def]
    _reset_link(capture)


def password_reset(cast: Cast, capture) -> None:  # type: ignore[no-untyped-def]
    http = HttpClient()
    http.get(_reset_link(capture))
    http.post("/accounts/reset/", {"password1": NEW, "password2": NEW})


def practice_created(cast: Cast, capture) -> None:  # type: ignore[no-untyped-def]
    http = HttpClient()
    with capture(execute=True):
        http.post(
            "/create-practice/",
            {
                "practice_name": "Aspen Care",
                "state": "CO",
                "time_zone": "America/Denver",
                "owner_name": "Ada Aspen",
                "email": "ada@aspen.test",
                "password1": NEW,
                "password2": NEW,
            },
        )
    link = re.search(r"http://[^\s]+(/create-practice/confirm/[^\s/]+/)", str(mail.outbox[-1].body))
    assert link, mail.outbox[-1].body
    http.get(link.group(1))
    http.post("/create-practice/confirm/")


def _invite(cast: Cast, capture) -> str:  # type: ignore[no-untyped-def]
    with capture(execute=True):
        cast.client_for("owner").post(
            "/settings/staff/add/",
            {
                "full_name": "Ivy Invitee",
                "email": "ivy@maple.test",
                "roles": ["biller"],
                "time_zone": "UTC",
            },
        )
    return re.search(r"(/invitation/[^\s/]+/)", str(mail.outbox[-1].body)).group(1)  # type: ignore[union-attr]


def staff_invited(cast: Cast, capture) -> None:  # type: ignore[no-untyped-def]
    _invite(cast, capture)


def staff_invite_accepted(cast: Cast, capture) -> None:  # type: ignore[no-untyped-def]
    http = HttpClient()
    http.get(_invite(cast, capture))
    http.post("/invitation/", {"password1": NEW, "password2": NEW})


def _post(persona: str, name: str, target: Callable[[Cast], object], data=None):  # type: ignore[no-untyped-def]
    def action(cast: Cast, capture) -> None:  # type: ignore[no-untyped-def]
        url = reverse(name, args=[target(cast).pk])  # type: ignore[attr-defined]
        assert cast.client_for(persona).post(url, data or {}).status_code == 302

    return action


def staff_reactivated(cast: Cast, capture) -> None:  # type: ignore[no-untyped-def]
    cast.biller.user.is_active = False
    cast.biller.user.save()
    _post("owner", "practice:staff_reactivate", lambda c: c.biller)(cast, capture)


CASES = [
    (Action.SIGN_IN, sign_in, "therapist"),
    (Action.SIGN_IN_FAILED, sign_in_failed, None),
    (Action.SIGN_OUT, sign_out, "therapist"),
    (Action.IDLE_SIGN_OUT, idle_sign_out, "therapist"),
    (Action.PASSWORD_RESET_SENT, password_reset_sent, None),
    (Action.PASSWORD_RESET, password_reset, "therapist"),
    (Action.PRACTICE_CREATED, practice_created, None),
    (Action.STAFF_INVITED, staff_invited, "owner"),
    (Action.STAFF_INVITE_ACCEPTED, staff_invite_accepted, None),
    (
        Action.STAFF_DEACTIVATED,
        _post("owner", "practice:staff_deactivate", lambda c: c.biller, {"confirmed": "yes"}),
        "owner",
    ),
    (Action.STAFF_REACTIVATED, staff_reactivated, "owner"),
    (
        Action.STAFF_UPDATED,
        _post(
            "owner",
            "practice:staff_details",
            lambda c: c.therapist,
            {"licensed_states": ["NY"], "time_zone": "UTC"},
        ),
        "owner",
    ),
    (
        Action.ROLES_CHANGED,
        _post(
            "manager",
            "practice:staff_roles",
            lambda c: c.biller,
            {"roles": ["biller", "scheduler"]},
        ),
        "manager",
    ),
    (
        Action.TELETHERAPY_ENABLED,
        _post("owner", "practice:staff_teletherapy", lambda c: c.therapist_plain, {"enabled": "1"}),
        "owner",
    ),
    (
        Action.TELETHERAPY_DISABLED,
        _post(
            "owner",
            "practice:staff_teletherapy",
            lambda c: c.therapist,
            {"enabled": "0", "confirmed": "yes", "booked": "keep"},
        ),
        "owner",
    ),
]


@pytest.mark.parametrize(("action", "do", "actor"), CASES, ids=[str(c[0]) for c in CASES])
def test_each_event_kind_writes_exactly_one_row(  # type: ignore[no-untyped-def]
    cast, django_capture_on_commit_callbacks, action, do, actor
) -> None:
    do(cast, django_capture_on_commit_callbacks)
    rows = list(AuditEvent.objects.filter(action=action))
    assert len(rows) == 1, [r.action for r in AuditEvent.objects.all()]
    event = rows[0]
    assert event.practice is not None
    assert event.ip == "127.0.0.1"
    assert event.actor_label
    if actor is not None:
        assert event.actor == cast.user_of(actor)
        assert event.practice == cast.practice
