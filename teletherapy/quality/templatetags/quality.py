"""Template tags for the call-quality partial on the appointment's History."""

from __future__ import annotations

from django import template

from teletherapy.quality import services

register = template.Library()

register.simple_tag(services.quality_record, name="quality_record")
