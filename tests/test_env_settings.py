"""Settings from the environment and from .env: SITE_URL's default, the .env reader."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from teletherapy.lib.env import parse_env_file

ROOT = Path(__file__).resolve().parents[1]


def _settings_in_subprocess(env: dict[str, str], *names: str) -> list[str]:
    """Start Django's settings in a fresh process with `env` and return the named values."""
    base = {
        key: value
        for key, value in os.environ.items()
        if key not in {"SITE_URL", "HOST", "PORT", "ALLOWED_HOSTS", "ENV_FILE"}
    }
    code = (
        "import django, sys; from django.conf import settings; django.setup(); "
        "[print(getattr(settings, n)) for n in sys.argv[1:]]"
    )
    result = subprocess.run(
        [sys.executable, "-c", code, *names],
        cwd=ROOT,
        env={**base, "DJANGO_SETTINGS_MODULE": "config.settings", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()


def test_site_url_defaults_to_the_address_the_app_was_started_on(tmp_path: Path) -> None:
    env = {"ENV_FILE": "", "VAR_DIR": str(tmp_path)}
    assert _settings_in_subprocess({**env, "PORT": "8123"}, "SITE_URL") == ["http://127.0.0.1:8123"]
    assert _settings_in_subprocess(
        {**env, "HOST": "10.0.0.5", "PORT": "9000"}, "SITE_URL", "ALLOWED_HOSTS"
    ) == ["http://10.0.0.5:9000", "['127.0.0.1', 'localhost', '[::1]', '10.0.0.5']"]
    # A wildcard address means this machine; port 80 is not written.
    assert _settings_in_subprocess({**env, "HOST": "0.0.0.0", "PORT": "80"}, "SITE_URL") == [
        "http://127.0.0.1"
    ]
    assert _settings_in_subprocess({**env, "HOST": "::1", "PORT": "8000"}, "SITE_URL") == [
        "http://[::1]:8000"
    ]
    # An explicit SITE_URL wins.
    assert _settings_in_subprocess(
        {**env, "PORT": "8123", "SITE_URL": "https://therapy.example.org/"}, "SITE_URL"
    ) == ["https://therapy.example.org"]


def test_env_file_is_read_when_present_and_the_environment_wins(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text(
        "# a comment\n"
        "PORT=8200                 # the port\n"
        "DEFAULT_FROM_EMAIL=Therapy Practice <care@example.org>\n"
        "SECRET_KEY=\n"
        "IDLE_TIMEOUT_MINUTES=20\n"
        "TELETHERAPY_GRACE_MINUTES='45'\n"
    )
    common = {"ENV_FILE": str(env_file), "VAR_DIR": str(tmp_path / "var")}
    assert _settings_in_subprocess(
        common,
        "SITE_URL",
        "DEFAULT_FROM_EMAIL",
        "IDLE_TIMEOUT_MINUTES",
        "TELETHERAPY_GRACE_MINUTES",
    ) == ["http://127.0.0.1:8200", "Therapy Practice <care@example.org>", "20", "45"]
    # An empty value in the file means the default (a generated key), not an empty key.
    assert len(_settings_in_subprocess(common, "SECRET_KEY")[0]) > 40
    assert _settings_in_subprocess(
        {**common, "IDLE_TIMEOUT_MINUTES": "5"}, "IDLE_TIMEOUT_MINUTES"
    ) == ["5"]
    # No file: the defaults.
    missing = {**common, "ENV_FILE": str(tmp_path / "absent")}
    assert _settings_in_subprocess(missing, "SITE_URL") == ["http://127.0.0.1:8000"]


def test_the_example_file_reads_as_the_documented_defaults(tmp_path: Path) -> None:
    values = parse_env_file((ROOT / ".env.example").read_text())
    assert values["PORT"] == "8000"
    assert values["DEFAULT_FROM_EMAIL"] == "Teletherapy <no-reply@localhost>"
    assert not {"SECRET_KEY", "DATABASE_URL", "SITE_URL", "ENV_FILE"} & set(values)
    # And Django starts from a copy of it.
    copy = tmp_path / ".env"
    copy.write_text((ROOT / ".env.example").read_text())
    assert _settings_in_subprocess(
        {"ENV_FILE": str(copy), "VAR_DIR": str(tmp_path / "var")}, "DEBUG", "SITE_URL"
    ) == ["False", "http://127.0.0.1:8000"]


@pytest.mark.parametrize(
    "line", ["PORT", "1PORT=1", "BAD NAME=1", "QUOTED='never closed"], ids=repr
)
def test_a_bad_env_line_stops_with_its_line_number(line: str) -> None:
    with pytest.raises(ImproperlyConfigured, match="line 2"):
        parse_env_file(f"# ok\n{line}\n")


def test_scripts_see_the_env_file_too(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("PORT=8300\nHOST=127.0.0.2\n")
    base = {k: v for k, v in os.environ.items() if k not in {"HOST", "PORT"}}
    result = subprocess.run(
        [sys.executable, "-m", "teletherapy.lib.env", "HOST", "PORT"],
        cwd=ROOT,
        env={**base, "ENV_FILE": str(env_file)},
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.stdout.splitlines() == ["127.0.0.2", "8300"], result.stderr
