"""Show times in the viewer's zone, with the zone named."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from django import template
from django.utils.dateformat import format as format_date

from teletherapy.lib.states import state_name

register = template.Library()


@register.filter
def in_zone(value: datetime | None, zone: str) -> str:
    """'Thu, Nov 26, 2026, 2:00 PM EST' for an aware datetime shown in `zone`."""
    if value is None:
        return ""
    local = value.astimezone(ZoneInfo(zone or "UTC"))
    return format_date(local, "D, M j, Y, g:i A T")


@register.filter
def zone_label(zone: str) -> str:
    return (zone or "UTC").replace("_", " ")


@register.filter
def state_names(codes: list[str]) -> str:
    return ", ".join(state_name(code) for code in codes)
