"""{% working_hours_summary member as summary %} for the staff Profile's Working hours card."""

from __future__ import annotations

from typing import Any

from django import template

from teletherapy.availability import hours
from teletherapy.availability.access import can_edit_hours
from teletherapy.lib import clock

register = template.Library()


@register.simple_tag(takes_context=True)
def working_hours_summary(context: template.Context, member: Any) -> dict[str, Any]:
    week = hours.week_of(member)
    viewer = getattr(context.get("request"), "staff", None)
    return {
        "days": [
            (name, hours.ranges_text(week.get(d, []))) for d, name in enumerate(hours.WEEKDAYS)
        ],
        "zone_name": clock.zone_label(member.time_zone or member.practice.time_zone),
        "can_edit": viewer is not None and can_edit_hours(viewer, member),
    }
