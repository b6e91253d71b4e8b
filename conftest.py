"""Shared fixtures. The test environment itself is set in teletherapy/test/pytest_env.py."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from teletherapy.test.browser import browser, live_server_factory, smtp_server  # noqa: F401
from teletherapy.test.firefox import firefox  # noqa: F401
from teletherapy.test.personas import Cast, build_cast
from teletherapy.test.shared import (  # noqa: F401
    _no_shared_data_under_transactional_tests,
    module_data,
    take,
)


@pytest.fixture(scope="module")
def _module_cast(
    request: pytest.FixtureRequest, django_db_setup: None, django_db_blocker: Any
) -> Iterator[None]:
    yield from module_data(request, "cast", build_cast, django_db_blocker)


@pytest.fixture
def cast(request: pytest.FixtureRequest, _module_cast: None, db: None) -> Cast:
    """The persona cast (teletherapy/test/personas.py), built once per test module and rolled
    back after each test; a transactional test gets its own, committed."""
    return take(request, "cast", build_cast)


@pytest.fixture(autouse=True)
def _locmem_email(settings: Any) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """The permission matrix's figures, when any of its cells ran."""
    from teletherapy.test.matrix import TALLY

    if TALLY.http or TALLY.socket:
        terminalreporter.write_line(TALLY.summary())
        for line in TALLY.mismatches[:20]:
            terminalreporter.write_line(f"  mismatch: {line}")
