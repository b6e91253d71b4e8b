"""Add staff member → emailed invitation → set a password through the link."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.test import Client as HttpClient
from django.urls import reverse

from teletherapy.audit.models import Action, AuditEvent
from teletherapy.lib.tokens import hash_token
from teletherapy.practice.models import StaffInvitation, StaffMember
from teletherapy.test.personas import PASSWORD

pytestmark = pytest.mark.django_db
T0 = datetime.fromisoformat("2026-05-04 13:00:00+00:00")
NEW_PASSWORD = "velvet harbor lantern 7"


def _add_therapist(cast, capture, email: str = "nina@maple.test") -> StaffMember:  # type: ignore[no-untyped-def]
    owner = cast.client_for("owner")
    with capture(execute=True):
        response = owner.post(
            reverse("practice:staff_add"),
            {
                "full_name": "Nina Newton",
                "email": email,
                "roles": ["therapist"],
                "time_zone": "America/Chicago",
                "licensed_states": ["NY", "IL"],
            },
        )
    assert response.status_code == 302, response.content.decode()
    return StaffMember.objects.get(user__username=email)


def _link_from(message) -> str:  # type: ignore[no-untyped-def]
    match = re.search(r"http://[^\s]+/invitation/([^\s/]+)/", message.body)
    assert match, message.body
    return match.group(0).split("127.0.0.1:8000", 1)[-1]


def _accept(path: str, password: str = NEW_PASSWORD) -> tuple[HttpClient, Any]:
    http = HttpClient()
    opened = http.get(path)
    assert opened.status_code == 302
    assert opened["Location"] == reverse("practice:accept_invitation")
    response = http.post(
        reverse("practice:accept_invitation"), {"password1": password, "password2": password}
    )
    return http, response


def test_adding_staff_emails_a_link_and_stores_only_its_hash(  # type: ignore[no-untyped-def]
    cast, django_capture_on_commit_callbacks
) -> None:
    member = _add_therapist(cast, django_capture_on_commit_callbacks)
    assert member.roles == ["therapist"] and member.practice == cast.practice
    assert member.licensed_states == ["IL", "NY"] and member.time_zone == "America/Chicago"
    assert not member.user.has_usable_password()
    [message] = mail.outbox
    assert message.to == ["nina@maple.test"]
    assert "Maple Counseling" in message.subject
    path = _link_from(message)
    raw = path.rstrip("/").rsplit("/", 1)[-1]
    invitation = StaffInvitation.objects.get(staff=member)
    assert invitation.token_hash == hash_token(raw)
    assert raw not in str(list(AuditEvent.objects.values()))
    # The email carries no clinical details: practice, first name, link and how to sign in.
    assert "Nina" in message.body and "Maple Counseling" in message.body
    assert message.alternatives and path in str(message.alternatives[0][0])  # type: ignore[attr-defined]


def test_the_invitee_sets_a_password_and_lands_on_the_dashboard(  # type: ignore[no-untyped-def]
    cast, django_capture_on_commit_callbacks
) -> None:
    member = _add_therapist(cast, django_capture_on_commit_callbacks)
    http, response = _accept(_link_from(mail.outbox[0]))
    assert response.status_code == 302 and response["Location"] == reverse("practice:dashboard")
    assert http.get(reverse("practice:dashboard")).status_code == 200
    member.refresh_from_db()
    assert member.accepted_at is not None
    assert member.user.check_password(NEW_PASSWORD)
    assert AuditEvent.objects.filter(action=Action.STAFF_INVITE_ACCEPTED).count() == 1
    # The session holds no raw token.
    raw = _link_from(mail.outbox[0]).rstrip("/").rsplit("/", 1)[-1]
    assert raw not in str(dict(http.session))


@pytest.mark.parametrize(
    ("after", "accepted"),
    [
        (timedelta(hours=23, minutes=59, seconds=59), True),
        (timedelta(hours=24), True),
        (timedelta(hours=24, seconds=1), False),
    ],
)
def test_invitation_is_valid_for_24_hours(  # type: ignore[no-untyped-def]
    cast, django_capture_on_commit_callbacks, after, accepted
) -> None:
    with time_machine.travel(T0, tick=False) as traveller:
        member = _add_therapist(cast, django_capture_on_commit_callbacks)
        traveller.move_to(T0 + after)
        _http, response = _accept(_link_from(mail.outbox[0]))
    member.refresh_from_db()
    if accepted:
        assert response.status_code == 302
        assert member.user.check_password(NEW_PASSWORD)
    else:
        assert response.status_code == 400
        assert "has expired" in response.content.decode()
        assert not member.user.has_usable_password() and member.accepted_at is None


def test_invitation_works_only_once(cast, django_capture_on_commit_callbacks) -> None:  # type: ignore[no-untyped-def]
    member = _add_therapist(cast, django_capture_on_commit_callbacks)
    path = _link_from(mail.outbox[0])
    _accept(path)
    _http, second = _accept(path, password="another fine password 9")
    assert second.status_code == 400
    assert "already been used" in second.content.decode()
    member.refresh_from_db()
    assert member.user.check_password(NEW_PASSWORD)


def test_weak_password_is_explained_and_the_link_stays_usable(  # type: ignore[no-untyped-def]
    cast, django_capture_on_commit_callbacks
) -> None:
    _add_therapist(cast, django_capture_on_commit_callbacks)
    path = _link_from(mail.outbox[0])
    _http, response = _accept(path, password="password")
    assert response.status_code == 200
    assert "at least 12 characters" in response.content.decode()
    _http, response = _accept(path)
    assert response.status_code == 302


def test_resend_voids_the_old_link(cast, django_capture_on_commit_callbacks) -> None:  # type: ignore[no-untyped-def]
    member = _add_therapist(cast, django_capture_on_commit_callbacks)
    old = _link_from(mail.outbox[0])
    with django_capture_on_commit_callbacks(execute=True):
        response = cast.client_for("manager").post(
            reverse("practice:staff_resend", args=[member.pk])
        )
    assert response.status_code == 302
    new = _link_from(mail.outbox[1])
    assert new != old
    _http, refused = _accept(old)
    assert refused.status_code == 400 and "not valid" in refused.content.decode()
    _http, ok = _accept(new)
    assert ok.status_code == 302


def test_duplicate_email_and_missing_roles_are_explained(cast) -> None:  # type: ignore[no-untyped-def]
    response = cast.client_for("owner").post(
        reverse("practice:staff_add"),
        {"full_name": "Dup Licate", "email": "TESS@maple.test", "time_zone": "UTC"},
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert "already has an account" in errors["email"][0]
    assert "at least one role" in errors["roles"][0]
    assert 'value="Dup Licate"' in response.content.decode()
    assert not mail.outbox


def test_an_address_of_another_practice_gets_the_same_answer(  # type: ignore[no-untyped-def]
    cast, django_capture_on_commit_callbacks
) -> None:
    """No account enumeration: Add staff answers the same for an address with an account in
    another practice (or a client's), and that account's holder is told by email instead."""

    def add(email: str):  # type: ignore[no-untyped-def]
        with django_capture_on_commit_callbacks(execute=True):
            return cast.client_for("owner").post(
                reverse("practice:staff_add"),
                {
                    "full_name": "Pat Person",
                    "email": email,
                    "roles": ["scheduler"],
                    "time_zone": "UTC",
                },
                follow=True,
            )

    free = add("pat@free.test")
    taken = add(cast.other_owner.user.email.upper())
    assert free.redirect_chain == taken.redirect_chain == [(reverse("practice:settings"), 302)]

    def said(response) -> list[str]:  # type: ignore[no-untyped-def]
        return [str(m).replace(str(m).split("(")[-1], "") for m in response.context["messages"]]

    assert said(free) == said(taken)
    note = mail.outbox[-1]
    assert note.to == [cast.other_owner.user.email]
    assert "Maple Counseling tried to add" in note.subject
    assert "/invitation/" not in note.body
    assert not StaffMember.objects.filter(
        practice=cast.practice, user__username=cast.other_owner.user.username
    ).exists()
    assert StaffMember.objects.get(user=cast.other_owner.user).practice == cast.other_practice


def test_a_manager_cannot_invite_an_owner(cast) -> None:  # type: ignore[no-untyped-def]
    response = cast.client_for("manager").post(
        reverse("practice:staff_add"),
        {
            "full_name": "Sneaky",
            "email": "sneaky@maple.test",
            "roles": ["owner"],
            "time_zone": "UTC",
        },
    )
    assert response.status_code == 200
    assert "Only an Owner" in response.context["form"].errors["roles"][0]
    assert not StaffMember.objects.filter(user__username="sneaky@maple.test").exists()


def test_invited_staff_cannot_sign_in_before_accepting(  # type: ignore[no-untyped-def]
    cast, django_capture_on_commit_callbacks
) -> None:
    _add_therapist(cast, django_capture_on_commit_callbacks)
    response = HttpClient().post(
        reverse("accounts:sign_in"), {"email": "nina@maple.test", "password": PASSWORD}
    )
    assert response.status_code == 200
    assert "match a staff account" in response.content.decode()


def test_a_manager_is_not_offered_owner(cast) -> None:  # type: ignore[no-untyped-def]
    manager_page = cast.client_for("manager").get(reverse("practice:staff_add")).content.decode()
    owner_page = cast.client_for("owner").get(reverse("practice:staff_add")).content.decode()
    assert 'value="owner"' not in manager_page
    assert 'value="owner"' in owner_page


def test_resending_is_rate_limited(cast, django_capture_on_commit_callbacks) -> None:  # type: ignore[no-untyped-def]
    from teletherapy.practice.services import INVITATIONS_PER_HOUR

    with time_machine.travel(T0, tick=False) as traveller:
        member = _add_therapist(cast, django_capture_on_commit_callbacks)
        owner = cast.client_for("owner")
        url = reverse("practice:staff_resend", args=[member.pk])
        for _ in range(INVITATIONS_PER_HOUR - 1):
            with django_capture_on_commit_callbacks(execute=True):
                assert owner.post(url).status_code == 302
        with django_capture_on_commit_callbacks(execute=True):
            refused = owner.post(url)
        assert refused.status_code == 400
        assert "Please wait" in refused.content.decode()
        assert len(mail.outbox) == INVITATIONS_PER_HOUR
        traveller.move_to(T0 + timedelta(hours=1, seconds=1))
        owner = cast.client_for("owner")  # the earlier session has gone idle by now
        with django_capture_on_commit_callbacks(execute=True):
            assert owner.post(url)["Location"] == reverse(
                "practice:staff_profile", args=[member.pk]
            )
        assert len(mail.outbox) == INVITATIONS_PER_HOUR + 1


def test_profile_says_when_an_invitation_was_not_delivered(  # type: ignore[no-untyped-def]
    cast, django_capture_on_commit_callbacks, settings
) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", 9  # nothing listens there
    settings.EMAIL_MAX_ATTEMPTS = 1
    member = _add_therapist(cast, django_capture_on_commit_callbacks)
    assert StaffInvitation.objects.get(staff=member).delivery_status == "failed"
    page = cast.client_for("owner").get(reverse("practice:staff_profile", args=[member.pk]))
    assert "not delivered" in page.content.decode()
    assert "Resend invitation" in page.content.decode()
