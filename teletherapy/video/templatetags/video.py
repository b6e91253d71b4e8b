"""Template tags for the video partials that other apps' pages show through slots."""

from __future__ import annotations

from django import template

from teletherapy.video import prompts

register = template.Library()

register.simple_tag(prompts.staff_prompts, name="staff_prompts")
register.simple_tag(prompts.client_prompts, name="client_prompts")
register.simple_tag(prompts.call_alert, name="call_alert")
register.simple_tag(prompts.session_record, name="session_record")
