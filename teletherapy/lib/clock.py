"""The one clock: aware datetimes shown in a viewer's zone with the zone named, wall-clock
times turned into aware datetimes, and the one answer to "which zone does this viewer see".

Every page, email and message formats times through here ({{ value|in_zone:zone }} in
templates, after {% load clock %}). Formats:

    time_text             9:15 AM EST
    date_time_text        Tuesday November 24, 2026, 9:15 AM EST
    short_date_time_text  Tue, Nov 24, 2026, 9:15 AM EST   (the in_zone filter)
    short_date_text       Tue, Nov 24
    day_text              Tuesday November 24
    span_text             9:00 AM–9:50 AM                  (callers add the zone once)
    named(...)            ... (America/New York)           (where no page note names it)
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django import template

Zone = ZoneInfo | str


def zone(name: Zone | None) -> ZoneInfo:
    """The zone called `name`; UTC for a blank or unknown name (never an error on a page)."""
    if isinstance(name, ZoneInfo):
        return name
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def viewer_zone(viewer: Any) -> str:
    """The zone a person sees times in: their own (staff or client record), else their
    practice's, else UTC. `viewer` is a signed-in user, or their staff or client record."""
    record = viewer
    if hasattr(viewer, "is_staff_member"):  # a User: find their staff or client record
        record = None
        if getattr(viewer, "is_authenticated", False):
            if viewer.is_staff_member:
                record = getattr(viewer, "staff", None)
            elif viewer.is_client:
                record = getattr(viewer, "client", None)
    name = getattr(record, "time_zone", "") or ""
    if not name and record is not None:  # the practice only when needed: it may cost a query
        name = getattr(getattr(record, "practice", None), "time_zone", "") or ""
    return zone(name).key


def local(dt: datetime, tz: Zone) -> datetime:
    return dt.astimezone(zone(tz))


def make_local(day: date, at: time, tz: Zone) -> datetime | None:
    """The aware datetime for a wall-clock time, or None when the clocks skip it (spring
    forward). An ambiguous time (fall back) means its first occurrence."""
    tzinfo = zone(tz)
    candidate = datetime.combine(day, at, tzinfo=tzinfo)
    round_trip = candidate.astimezone(UTC).astimezone(tzinfo)
    if (round_trip.date(), round_trip.time()) != (day, at.replace(tzinfo=None)):
        return None
    return candidate


def clock_time(value: datetime | time) -> str:
    """'9:15 AM' (the wall-clock time as it is; no zone)."""
    hour = value.hour % 12 or 12
    return f"{hour}:{value.minute:02d} {'AM' if value.hour < 12 else 'PM'}"


def day_text(day: date) -> str:
    """'Tuesday November 24'."""
    return f"{day:%A %B} {day.day}"


def zone_abbr(dt: datetime, tz: Zone) -> str:
    """'EST' or 'EDT': the zone's name at that moment."""
    return local(dt, tz).tzname() or ""


def time_text(dt: datetime, tz: Zone) -> str:
    """'9:15 AM EST'."""
    value = local(dt, tz)
    return f"{clock_time(value)} {value.tzname()}"


def date_time_text(dt: datetime, tz: Zone) -> str:
    """'Tuesday November 24, 2026, 9:15 AM EST'."""
    value = local(dt, tz)
    return f"{day_text(value)}, {value.year}, {time_text(value, tz)}"


def short_date_text(dt: datetime, tz: Zone) -> str:
    """'Tue, Nov 24'."""
    value = local(dt, tz)
    return f"{value:%a, %b} {value.day}"


def short_date_time_text(dt: datetime | None, tz: Zone) -> str:
    """'Tue, Nov 24, 2026, 9:15 AM EST'; '' for no datetime."""
    if dt is None:
        return ""
    value = local(dt, tz)
    return f"{short_date_text(value, tz)}, {value.year}, {time_text(value, tz)}"


def span_text(start: datetime, end: datetime, tz: Zone) -> str:
    """'9:00 AM–9:50 AM' in the zone."""
    return f"{clock_time(local(start, tz))}–{clock_time(local(end, tz))}"


def zone_label(name: Zone | None) -> str:
    """'America/New York'."""
    return zone(name).key.replace("_", " ")


def named(text: str, tz: Zone) -> str:
    """`text` with the zone's full name: '… 9:15 AM EST (America/New York)'."""
    return f"{text} ({zone_label(tz)})"


# Template filters, as the "clock" library ({% load clock %}; see TEMPLATES in settings).
register = template.Library()


@register.filter(name="in_zone")
def in_zone(value: datetime | None, tz: Zone) -> str:
    """'Tue, Nov 24, 2026, 9:15 AM EST' for an aware datetime shown in zone `tz`."""
    return short_date_time_text(value, tz)


register.filter("zone_label", zone_label)


def duration_text(seconds: int, *, exact: bool = False) -> str:
    """A length of time: '45 s' under a minute, else '23 min', or with exact '23 min 5 s'."""
    minutes, rest = divmod(max(0, int(seconds)), 60)
    if not minutes:
        return f"{rest} s"
    return f"{minutes} min {rest} s" if exact and rest else f"{minutes} min"
