"""Loaded with `-p` (see pyproject.toml) so the environment is set before Django reads settings.

It also chooses the SQLite test database: in memory when no selected test needs another
connection or process to see committed data, else a file of this pytest process's own (two
runs in one checkout do not clash). TT_TEST_DB=memory or TT_TEST_DB=file runs only the tests
that fit that database; scripts/test-in-netns runs the suite as those two halves.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

os.environ.setdefault("TELETHERAPY_TESTING", "1")
os.environ.setdefault("TASKS_BACKEND", "immediate")
# A developer's .env is for running the app, not for the tests (tests name their own file).
os.environ.setdefault("ENV_FILE", "")
os.environ.setdefault("VAR_DIR", str(Path(__file__).resolve().parents[2] / "var" / "test"))

_DB_DIR = tempfile.mkdtemp(prefix="teletherapy-test-db-")
os.environ["SQLITE_TEST_PATH"] = str(Path(_DB_DIR) / "test-db.sqlite3")

# Tests that use these need the database in a file: another process or thread reads it.
_FILE_FIXTURES = {"transactional_db", "live_server", "live_server_factory"}
_FILE_MARKERS = ("browser", "file_db")


def needs_file_db(item: pytest.Item) -> bool:
    """Whether the test needs committed data that other connections or processes can read."""
    if any(item.get_closest_marker(name) for name in _FILE_MARKERS):
        return True
    if _FILE_FIXTURES & set(getattr(item, "fixturenames", ())):
        return True
    marker = item.get_closest_marker("django_db")
    return bool(
        marker and (marker.kwargs.get("transaction") or marker.kwargs.get("reset_sequences"))
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "file_db: needs the SQLite test database in a file (another process or concurrent "
        "threads read it); browser and transactional tests get it without the marker",
    )


def _shared_data_last(items: list[pytest.Item]) -> list[pytest.Item]:
    """Within each run of one module's tests, those without shared data (the cast) first:
    that data lives in a transaction open from its first user to the module's end."""
    from teletherapy.test.shared import SHARED_FIXTURES

    def rank(item: pytest.Item) -> int:
        names = set(getattr(item, "fixturenames", ()))
        for index, name in enumerate(SHARED_FIXTURES):
            if name in names:
                return index + 1
        return 0

    ordered: list[pytest.Item] = []
    start = 0
    while start < len(items):
        end = start
        module = getattr(items[start], "module", None)
        while end < len(items) and getattr(items[end], "module", None) is module:
            end += 1
        ordered.extend(sorted(items[start:end], key=rank))  # stable
        start = end
    return ordered


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    wanted = os.environ.get("TT_TEST_DB", "")
    if wanted not in {"", "memory", "file"}:
        raise pytest.UsageError(f"TT_TEST_DB must be memory or file; got {wanted!r}")
    if wanted:
        keep = [item for item in items if needs_file_db(item) == (wanted == "file")]
        kept = set(keep)
        dropped = [item for item in items if item not in kept]
        if dropped:
            config.hook.pytest_deselected(items=dropped)
        items[:] = keep
    items[:] = _shared_data_last(items)

    from django.db import connections

    settings_dict = connections["default"].settings_dict
    if settings_dict["ENGINE"] == "django.db.backends.sqlite3" and not any(
        needs_file_db(item) for item in items
    ):
        settings_dict["TEST"]["NAME"] = ":memory:"


def pytest_unconfigure(config: pytest.Config) -> None:
    shutil.rmtree(_DB_DIR, ignore_errors=True)
