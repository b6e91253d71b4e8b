"""Safeguards docs/security.md points at that no other module covers: one sign-in per person,
passwords stored only as Argon2 hashes."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction

from teletherapy.accounts.models import User
from teletherapy.audit.models import Action, AuditEvent
from teletherapy.test.personas import PASSWORD

pytestmark = pytest.mark.django_db


def test_every_person_has_their_own_sign_in(cast) -> None:  # type: ignore[no-untyped-def]
    """Usernames are unique (case-insensitively: they are stored lower-cased), so every audit
    row names exactly one person."""
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create_user("TESS@maple.test", "x" * 12, kind=User.Kind.STAFF)
    cast.therapist.user.set_password(PASSWORD)
    cast.therapist.user.save()
    from django.test import Client

    Client().post("/accounts/sign-in/", {"email": "tess@maple.test", "password": PASSWORD})
    assert AuditEvent.objects.get(action=Action.SIGN_IN).actor_id == cast.therapist.user.pk


def test_passwords_are_stored_only_as_argon2_hashes(cast) -> None:  # type: ignore[no-untyped-def]
    user = cast.therapist.user
    user.set_password(PASSWORD)
    user.save()
    user.refresh_from_db()
    assert user.password.startswith("argon2$") and PASSWORD not in user.password
