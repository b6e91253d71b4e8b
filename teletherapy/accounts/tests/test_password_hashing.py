"""Passwords are stored with Argon2 in production; the test run's fast hasher stays there."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth.hashers import identify_hasher
from django.test import Client as HttpClient
from django.urls import reverse

from teletherapy.accounts.models import User
from teletherapy.practice.models import Practice, StaffMember

ROOT = Path(__file__).resolve().parents[3]
ARGON2 = "django.contrib.auth.hashers.Argon2PasswordHasher"
PASSWORD = "a long enough passphrase 2026"


def test_production_settings_hash_with_argon2_only(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "TELETHERAPY_TESTING"}
    env.update({"VAR_DIR": str(tmp_path), "DATABASE_URL": "", "REDIS_URL": ""})
    code = (
        "import django; django.setup()\n"
        "from django.conf import settings\n"
        "from django.contrib.auth.hashers import make_password\n"
        "print(settings.PASSWORD_HASHERS)\n"
        "print(make_password('x').split('$')[0])\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**env, "DJANGO_SETTINGS_MODULE": "config.settings"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [str([ARGON2]), "argon2"]


@pytest.mark.django_db
def test_an_argon2_password_is_stored_checked_and_signs_in(settings) -> None:
    settings.PASSWORD_HASHERS = [ARGON2]
    user = User.objects.create_user(
        "argon@maple.test", PASSWORD, email="argon@maple.test", kind=User.Kind.STAFF
    )
    practice = Practice.objects.create(name="Argon", state="NY", time_zone="America/New_York")
    StaffMember.objects.create(user=user, practice=practice, is_therapist=True)
    user.refresh_from_db()
    assert user.password.startswith("argon2$")
    assert identify_hasher(user.password).algorithm == "argon2"
    assert user.check_password(PASSWORD) and not user.check_password(PASSWORD + "x")

    http = HttpClient()
    response = http.post(
        reverse("accounts:sign_in"), {"email": "argon@maple.test", "password": PASSWORD}
    )
    assert response.status_code == 302 and response["Location"] == reverse("practice:dashboard")
    assert http.get(reverse("practice:dashboard")).status_code == 200


def test_the_test_run_hashes_fast() -> None:
    from django.conf import settings

    assert settings.PASSWORD_HASHERS[0].endswith("MD5PasswordHasher")
    assert ARGON2 in settings.PASSWORD_HASHERS
