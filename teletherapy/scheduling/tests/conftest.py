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

# Monday November 23, 2026, 9:00 AM in New York (EST, UTC-5).
NOW = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)


@pytest.fixture
def traveller() -> Iterator[Any]:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def fcast(traveller: Any, db: None) -> Cast:
    """The shared cast, built with the clock stopped at NOW."""
    return build_cast()


def ics_of(message: mail.EmailMessage) -> Calendar:
    """The calendar attached to an email, parsed."""
    for attachment in message.attachments:
        name, content, mimetype = attachment
        if mimetype.startswith("text/calendar"):
            return Calendar.from_ical(content)
    raise AssertionError("no .ics attachment")


def event_of(message: mail.EmailMessage):
    return next(iter(ics_of(message).walk("VEVENT")))
