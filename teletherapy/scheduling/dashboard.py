"""What scheduling shows on the staff Dashboard (the practice app's slot practice.dashboard)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from django.template.context import Context
from django.utils import timezone

from teletherapy.lib import clock
from teletherapy.practice.models import StaffMember
from teletherapy.scheduling.models import Appointment

UPCOMING_DAYS = 7


def upcoming_for(staff: StaffMember) -> list[Appointment]:
    """A therapist's scheduled appointments starting in the next UPCOMING_DAYS days."""
    if not staff.is_therapist:
        return []
    now = timezone.now()
    return list(
        Appointment.objects.visible_to(staff)
        .filter(
            therapist_id=staff.pk,
            status=Appointment.Status.SCHEDULED,
            start__gte=now,
            start__lt=now + timedelta(days=UPCOMING_DAYS),
        )
        .select_related("client")
        .prefetch_related("additional_clients")
    )


def upcoming_context(context: Context) -> Mapping[str, Any]:
    staff = context.get("staff")
    if not isinstance(staff, StaffMember):
        return {"appointments": []}
    return {"appointments": upcoming_for(staff), "zone": clock.viewer_zone(staff)}
