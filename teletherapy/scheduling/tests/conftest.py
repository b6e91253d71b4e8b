"""Fixtures for the scheduling tests: a cast built at a fixed moment, and email helpers."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
import time_machine
from django.core import mail
from icalendar import Calendar

from teletherapy.test.personas import Cast, build_cast
from teletherapy.test.shared import module_data, take

# Monday November 23, 2026, 9:00 AM in New York (EST, UTC-5).
NOW = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)


@pytest.fixture
def traveller() -> Iterator[Any]:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def _build_at_now() -> Cast:
    with time_machine.travel(NOW, tick=False):
        return build_cast()


@pytest.fixture(scope="module")
def _module_fcast(
    request: pytest.FixtureRequest, django_db_setup: None, django_db_blocker: Any
) -> Iterator[None]:
    yield from module_data(request, "fcast", _build_at_now, django_db_blocker)


@pytest.fixture
def fcast(request: pytest.FixtureRequest, _module_fcast: None, traveller: Any, db: None) -> Cast:
    """The shared cast, built with the clock stopped at NOW (once per module, rolled back
    after each test)."""
    return take(request, "fcast", _build_at_now)


def ics_of(message: mail.EmailMessage) -> Calendar:
    """The calendar attached to an email, parsed."""
    for attachment in message.attachments:
        name, content, mimetype = attachment
        if mimetype.startswith("text/calendar"):
            return Calendar.from_ical(content)
    raise AssertionError("no .ics attachment")


def event_of(message: mail.EmailMessage):
    return next(iter(ics_of(message).walk("VEVENT")))
