"""A therapist's Teletherapy switched off with sessions booked (registered with
teletherapy/practice/teletherapy_off.py): list them, then keep them as in-person appointments
or cancel them, each through the usual service (History line, audit row, client emailed)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from teletherapy.lib.clock import date_time_text
from teletherapy.practice import teletherapy_off
from teletherapy.practice.models import StaffMember
from teletherapy.scheduling import services
from teletherapy.scheduling.models import Appointment, AppointmentQuerySet, AppointmentSeries

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
    """Keep each upcoming session as an in-person appointment, or cancel it; return how many.
    All of it or nothing. A client is emailed once per appointment, and once per series (its
    one calendar entry, "cancelled" when nothing of it is left), not once per occurrence."""
    done = 0
    series_ids: set[int] = set()
    with transaction.atomic():
        services._lock_therapist(therapist)
        for appointment in upcoming_sessions(therapist):
            current = services._locked_copy(appointment)
            if choice == teletherapy_off.KEEP:
                changed = services.change_occurrence(
                    current, by=by, is_teletherapy=False, request=request
                )
                kind = changed[1] if changed is not None else ""
            else:
                kind = services.cancel_occurrence(
                    current, by=by, reason=CANCEL_REASON, request=request
                )
            if current.series_id is not None:
                if kind:
                    series_ids.add(current.series_id)
            else:
                services.notify_clients(current, kind)
            done += 1
        for series_id in sorted(series_ids):
            if choice == teletherapy_off.KEEP:
                AppointmentSeries.objects.filter(pk=series_id).update(is_teletherapy=False)
            left = Appointment.objects.filter(
                series_id=series_id, status=Appointment.Status.SCHEDULED
            ).exists()
            services.notify_series_client(series_id, "changed" if left else "cancelled")
    return done


def register() -> None:
    teletherapy_off.register(teletherapy_off.Handler(describe=describe, resolve=resolve))
