"""Show an aware datetime in a named zone, with the zone named: "Fri, Nov 27, 2026, 1:32 PM EST
(America/New York)"."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django import template

register = template.Library()


def format_in_zone(value: datetime | None, zone: str) -> str:
    if value is None:
        return ""
    try:
        tz = ZoneInfo(zone or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        tz, zone = ZoneInfo("UTC"), "UTC"
    local = value.astimezone(tz)
    hour = local.hour % 12 or 12
    meridiem = "AM" if local.hour < 12 else "PM"
    return (
        f"{local:%a, %b} {local.day}, {local.year}, {hour}:{local:%M} {meridiem} "
        f"{local.tzname()} ({zone.replace('_', ' ')})"
    )


@register.filter
def in_zone(value: datetime | None, zone: str) -> str:
    return format_in_zone(value, zone)
