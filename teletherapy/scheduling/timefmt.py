"""Wall-clock helpers for the schedule: build aware datetimes from a local day and time, and
format them the way the pages and emails say them ("Tuesday November 24, 9:15 AM EST")."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo


def zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def make_local(day: date, at: time, tz: ZoneInfo) -> datetime | None:
    """The aware datetime for a wall-clock time, or None when the clocks skip it (spring
    forward). An ambiguous time (fall back) means its first occurrence."""
    candidate = datetime.combine(day, at, tzinfo=tz)
    round_trip = candidate.astimezone(UTC).astimezone(tz)
    if (round_trip.date(), round_trip.time()) != (day, at.replace(tzinfo=None)):
        return None
    return candidate


def fmt_time(dt: datetime | time) -> str:
    hour = dt.hour % 12 or 12
    return f"{hour}:{dt.minute:02d} {'AM' if dt.hour < 12 else 'PM'}"


def fmt_day(day: date) -> str:
    return f"{day:%A %B} {day.day}"


def fmt_when(dt: datetime, tz: ZoneInfo) -> str:
    """ "Tuesday November 24, 2026, 9:15 AM EST" in the given zone."""
    local = dt.astimezone(tz)
    return f"{fmt_day(local)}, {local.year}, {fmt_time(local)} {local.tzname()}"


def fmt_span(start: datetime, end: datetime, tz: ZoneInfo) -> str:
    """ "9:00 AM–9:50 AM" in the given zone."""
    return f"{fmt_time(start.astimezone(tz))}–{fmt_time(end.astimezone(tz))}"


def zone_label(name: str) -> str:
    return name.replace("_", " ")
