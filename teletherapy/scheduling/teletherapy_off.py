"""A therapist's Teletherapy switched off with sessions booked (registered with
teletherapy/practice/teletherapy_off.py): list them, then keep them as in-person appointments
or cancel them, each through the usual service (History line, audit row, client emailed)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils import timezone

from teletherapy.lib.clock import date_time_text
from teletherapy.practice import teletherapy_off
from teletherapy.practice.models import StaffMember
from teletherapy.scheduling.models import Appointment, AppointmentQuerySet
from teletherapy.scheduling.services import cancel_appointment, change_appointment

CANCEL_REASON = "Teletherapy was switched off for the therapist"


def upcoming_sessions(therapist: StaffMember, now: datetime | None = None) -> AppointmentQuerySet:
    """The therapist's Teletherapy Sessions not over yet and still scheduled, soonest first."""
    return (
        Appointment.objects.filter(
            therapist=therapist,
            is_teletherapy=True,
            status=Appointment.Status.SCHEDULED,
            end__gt=now or timezone.now(),
        )
        .select_related("client", "therapist__user", "practice")
        .order_by("start", "pk")
    )


def describe(therapist: StaffMember, tz_name: str) -> list[str]:
    return [
        f"{date_time_text(a.start, tz_name)} · {a.client.full_name}"
        for a in upcoming_sessions(therapist)
    ]


def resolve(*, therapist: StaffMember, by: StaffMember, choice: str, request: Any = None) -> int:
    """Keep each upcoming session as an in-person appointment, or cancel it; return how many."""
    done = 0
    for appointment in upcoming_sessions(therapist):
        if choice == teletherapy_off.KEEP:
            change_appointment(
                appointment=appointment, by=by, is_teletherapy=False, request=request
            )
        else:
            cancel_appointment(
                appointment=appointment, by=by, reason=CANCEL_REASON, request=request
            )
        done += 1
    return done


def register() -> None:
    teletherapy_off.register(teletherapy_off.Handler(describe=describe, resolve=resolve))
