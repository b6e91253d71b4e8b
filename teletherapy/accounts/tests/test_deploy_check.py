"""`manage.py check --deploy` is clean with production settings, and warns when email still
goes to the console (the embedded default) with HTTPS=1."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def _check_deploy(tmp_path: Path, **extra: str) -> subprocess.CompletedProcess[str]:
    env = {
        key: value
        for key, value in os.environ.items()
        # Drop what the test run sets for itself (the browser fixture allows async-unsafe ORM).
        if key
        not in {
            "TELETHERAPY_TESTING",
            "TASKS_BACKEND",
            "DATABASE_URL",
            "REDIS_URL",
            "DJANGO_ALLOW_ASYNC_UNSAFE",
            "SQLITE_PATH",
        }
    }
    env.update(
        {
            "HTTPS": "1",
            "DEBUG": "0",
            "ALLOWED_HOSTS": "example.org",
            "SECRET_KEY": secrets.token_urlsafe(60),
            "VAR_DIR": str(tmp_path),
            "EMAIL_URL": "smtp://mail.example.org:587?tls=1",
            "SITE_URL": "https://example.org",
            **extra,
        }
    )
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_is_clean_with_production_settings(tmp_path: Path) -> None:
    result = _check_deploy(tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout
    assert "WARNINGS" not in result.stdout + result.stderr


def test_check_deploy_warns_when_email_goes_to_the_console(tmp_path: Path) -> None:
    # The embedded default prints whole emails, links and all, into the server's log.
    result = _check_deploy(tmp_path, EMAIL_URL="")
    assert result.returncode != 0
    assert "teletherapy.W001" in result.stdout + result.stderr
    assert "Set EMAIL_URL" in result.stdout + result.stderr


def test_check_deploy_warns_when_links_would_point_at_the_app_process(tmp_path: Path) -> None:
    # SITE_URL's default is the address the process listens on: wrong behind nginx.
    result = _check_deploy(tmp_path, SITE_URL="", PORT="8001")
    assert result.returncode != 0
    assert "ops.W001" in result.stdout + result.stderr
    assert "http://127.0.0.1:8001" in result.stdout + result.stderr
