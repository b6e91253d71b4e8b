"""{{ client.mobile_phone|phone }}: a stored E.164 number as people read it."""

from __future__ import annotations

from django import template

from teletherapy.lib.phones import display_phone

register = template.Library()
register.filter("phone", display_phone)
