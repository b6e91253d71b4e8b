"""The guardians who may join a minor's appointment, named for staff pages."""

from __future__ import annotations

from django import template

from teletherapy.scheduling.guardians import guardian_labels
from teletherapy.scheduling.models import Appointment

register = template.Library()


@register.simple_tag
def appointment_guardians(appointment: Appointment) -> list[str]:
    """["Gail Guardian (guardian of Mina Minor)", ...] for the page whose view checked access."""
    return guardian_labels(appointment)
