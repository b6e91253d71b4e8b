"""`manage.py check --deploy` is clean with production settings."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def test_check_deploy_is_clean_with_production_settings(tmp_path: Path) -> None:
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
        }
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout
    assert "WARNINGS" not in result.stdout + result.stderr
