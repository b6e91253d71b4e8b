"""Show aware datetimes in a viewer's zone, with the zone named."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo


def local(dt: datetime, tz_name: str) -> datetime:
    return dt.astimezone(ZoneInfo(tz_name or "UTC"))


def time_text(dt: datetime, tz_name: str) -> str:
    """'9:45 AM EST'."""
    value = local(dt, tz_name)
    return f"{value.strftime('%I:%M %p').lstrip('0')} {value.tzname()}"


def date_time_text(dt: datetime, tz_name: str) -> str:
    """'Friday, November 27, 2026, 9:45 AM EST'."""
    value = local(dt, tz_name)
    return f"{value.strftime('%A, %B')} {value.day}, {value.year}, {time_text(dt, tz_name)}"


def short_date_text(dt: datetime, tz_name: str) -> str:
    """'Fri, Nov 27'."""
    value = local(dt, tz_name)
    return f"{value.strftime('%a, %b')} {value.day}"
