"""Safeguards docs/security.md points at that no other module covers: one sign-in per person,
passwords stored only as Argon2 hashes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import IntegrityError, transaction

from teletherapy.accounts.models import User
from teletherapy.audit.models import Action, AuditEvent
from teletherapy.test.personas import PASSWORD

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[3]


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


def test_passwords_are_stored_only_as_argon2_hashes() -> None:
    """Outside the test run (which hashes fast), Argon2 is the one hasher."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"TELETHERAPY_TESTING", "DATABASE_URL", "REDIS_URL", "SQLITE_PATH"}
    }
    code = (
        "import django; django.setup(); from django.contrib.auth.hashers import make_password; "
        "from django.conf import settings; print(settings.PASSWORD_HASHERS); "
        f"print(make_password({PASSWORD!r}))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**env, "DJANGO_SETTINGS_MODULE": "config.settings"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    hashers, hashed = result.stdout.splitlines()
    assert hashers == "['django.contrib.auth.hashers.Argon2PasswordHasher']", result.stderr
    assert hashed.startswith("argon2$") and PASSWORD not in hashed
