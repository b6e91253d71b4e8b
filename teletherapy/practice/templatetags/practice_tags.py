"""Small filters for practice pages (times: lib/clock.py's "clock" library)."""

from __future__ import annotations

from django import template

from teletherapy.lib.states import state_name

register = template.Library()


@register.filter
def state_names(codes: list[str]) -> str:
    return ", ".join(state_name(code) for code in codes)
