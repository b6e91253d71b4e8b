"""Emails to clients about their Teletherapy Sessions, sent from the task queue."""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.urls import reverse
from django_tasks import task

from teletherapy.clients.models import Client
from teletherapy.lib import clock
from teletherapy.lib.mailer import build_email, send_with_retries
from teletherapy.scheduling.guardians import wards_label
from teletherapy.scheduling.ics import appointment_ics, series_ics
from teletherapy.scheduling.models import Appointment, AppointmentSeries

log = logging.getLogger(__name__)

KINDS = {"booked", "changed", "cancelled", "removed"}


def _recipient(
    clients: list[Client], kind: str, client_id: int | None, practice_id: int
) -> Client | None:
    """The person to email: `client_id` when they are one of the people told `clients`
    (Appointment.told; or, for "removed", when they are no longer, and of the same
    practice), the first for None (tasks queued before appointments had several clients)."""
    if client_id is None:
        return clients[0] if kind != "removed" else None
    if kind == "removed":
        if any(c.pk == client_id for c in clients):
            return None
        return Client.objects.filter(pk=client_id, practice_id=practice_id).first()
    return next((c for c in clients if c.pk == client_id), None)


def _context(
    client: Client, practice_name: str, therapist_name: str, **values: Any
) -> dict[str, Any]:
    # `ward`: the minor(s) a guardian is told for, named to that guardian only.
    tz = clock.zone(clock.viewer_zone(client))
    return {
        "practice_name": practice_name,
        "first_name": client.preferred_name or client.first_name,
        "zone": clock.zone_label(tz),
        "therapist_name": therapist_name,
        "join_minutes": settings.TELETHERAPY_JOIN_MINUTES_BEFORE,
        "portal_url": settings.SITE_URL + reverse("portal:sign_in"),
        "tz": tz,
        **values,
    }


@task()
def send_appointment_email(appointment_id: int, kind: str, client_id: int | None = None) -> bool:
    """Email one client (`client_id`; None: the primary) about a booked, changed or
    cancelled appointment, or about being taken off it ("removed"), with their own .ics in
    their own zone. Takes only ids, so the queue never stores anything but those."""
    if kind not in KINDS:
        raise ValueError(f"unknown appointment email kind {kind!r}")
    appointment = (
        Appointment.objects.select_related("client", "therapist__user", "practice")
        .filter(pk=appointment_id)
        .first()
    )
    if appointment is None:
        return False
    clients = appointment.all_clients()
    client = _recipient(appointment.told(), kind, client_id, appointment.practice_id)
    if client is None or not client.email:
        return False
    context = _context(
        client,
        appointment.practice.name,
        appointment.therapist.name,
        minutes=appointment.duration_minutes,
        is_teletherapy=appointment.is_teletherapy,
        is_joint=len(clients) > 1,
        ward=wards_label(clients, client),
    )
    context["when"] = clock.date_time_text(appointment.start, context.pop("tz"))
    cancel = kind in ("cancelled", "removed")
    ics = appointment_ics(appointment, cancel=cancel, attendee=client)
    message = build_email(
        f"appointment_{kind}",
        to=client.email,
        context=context,
        attachments=[("invite.ics", ics, "text/calendar")],
    )
    sent = send_with_retries(message)
    if not sent:
        log.warning("appointment email %s for appointment %s not delivered", kind, appointment_id)
    return sent


@task()
def send_series_email(series_id: int, kind: str, client_id: int | None = None) -> bool:
    """Email one client of a series (`client_id`; None: the primary) about it being booked,
    changed or cancelled, or about being taken off it, with the series' one .ics (RRULE,
    EXDATEs) for them. Takes only ids."""
    if kind not in KINDS:
        raise ValueError(f"unknown series email kind {kind!r}")
    series = (
        AppointmentSeries.objects.select_related("client", "therapist__user", "practice")
        .filter(pk=series_id)
        .first()
    )
    if series is None:
        return False
    clients = series.all_clients()
    client = _recipient(series.told(), kind, client_id, series.practice_id)
    if client is None or not client.email:
        return False
    upcoming = (
        series.occurrences.filter(status=Appointment.Status.SCHEDULED).order_by("start").first()
    )
    first = upcoming or series.occurrences.order_by("start").first()
    if first is None:
        return False
    held = series.occurrences.filter(status=Appointment.Status.SCHEDULED).count()
    context = _context(
        client,
        series.practice.name,
        series.therapist.name,
        minutes=series.duration_minutes,
        is_teletherapy=series.is_teletherapy,
        is_joint=len(clients) > 1,
        ward=wards_label(clients, client),
    )
    tz = context.pop("tz")
    context["when"] = clock.date_time_text(first.start, tz)
    context["repeats"] = (
        f"{held} appointment{'s' if held != 1 else ''} in this series, the next "
        f"on {clock.date_time_text(first.start, tz)}"
        if held
        else ""
    )
    cancel = kind in ("cancelled", "removed")
    message = build_email(
        f"appointment_{kind}",
        to=client.email,
        context=context,
        attachments=[
            ("invite.ics", series_ics(series, cancel=cancel, attendee=client), "text/calendar")
        ],
    )
    sent = send_with_retries(message)
    if not sent:
        log.warning("series email %s for series %s not delivered", kind, series_id)
    return sent
