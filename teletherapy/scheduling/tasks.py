"""Emails to clients about their Teletherapy Sessions, sent from the task queue."""

from __future__ import annotations

import logging

from django.conf import settings
from django.urls import reverse
from django_tasks import task

from teletherapy.lib import clock
from teletherapy.lib.mailer import build_email, send_with_retries
from teletherapy.scheduling.ics import appointment_ics, series_ics
from teletherapy.scheduling.models import Appointment, AppointmentSeries

log = logging.getLogger(__name__)

KINDS = {"booked", "changed", "cancelled"}


@task()
def send_appointment_email(appointment_id: int, kind: str) -> bool:
    """Email the client about a booked, changed or cancelled appointment, with an .ics.
    Takes only the id, so the queue never stores anything but that."""
    if kind not in KINDS:
        raise ValueError(f"unknown appointment email kind {kind!r}")
    appointment = (
        Appointment.objects.select_related("client", "therapist__user", "practice")
        .filter(pk=appointment_id)
        .first()
    )
    if appointment is None or not appointment.client.email:
        return False
    client = appointment.client
    tz = clock.zone(clock.viewer_zone(client))
    context = {
        "practice_name": appointment.practice.name,
        "first_name": client.preferred_name or client.first_name,
        "when": clock.date_time_text(appointment.start, tz),
        "minutes": appointment.duration_minutes,
        "zone": clock.zone_label(tz),
        "therapist_name": appointment.therapist.name,
        "is_teletherapy": appointment.is_teletherapy,
        "join_minutes": settings.TELETHERAPY_JOIN_MINUTES_BEFORE,
        "portal_url": settings.SITE_URL + reverse("portal:sign_in"),
    }
    cancel = kind == "cancelled"
    message = build_email(
        f"appointment_{kind}",
        to=client.email,
        context=context,
        attachments=[("invite.ics", appointment_ics(appointment, cancel=cancel), "text/calendar")],
    )
    sent = send_with_retries(message)
    if not sent:
        log.warning("appointment email %s for appointment %s not delivered", kind, appointment_id)
    return sent


@task()
def send_series_email(series_id: int, kind: str) -> bool:
    """Email the client about a booked, changed or cancelled series, with the series' one
    .ics (RRULE, EXDATEs). Takes only the id."""
    if kind not in KINDS:
        raise ValueError(f"unknown series email kind {kind!r}")
    series = (
        AppointmentSeries.objects.select_related("client", "therapist__user", "practice")
        .filter(pk=series_id)
        .first()
    )
    if series is None or not series.client.email:
        return False
    client = series.client
    tz = clock.zone(clock.viewer_zone(client))
    upcoming = (
        series.occurrences.filter(status=Appointment.Status.SCHEDULED).order_by("start").first()
    )
    first = upcoming or series.occurrences.order_by("start").first()
    if first is None:
        return False
    held = series.occurrences.filter(status=Appointment.Status.SCHEDULED).count()
    context = {
        "practice_name": series.practice.name,
        "first_name": client.preferred_name or client.first_name,
        "when": clock.date_time_text(first.start, tz),
        "minutes": series.duration_minutes,
        "zone": clock.zone_label(tz),
        "therapist_name": series.therapist.name,
        "is_teletherapy": series.is_teletherapy,
        "join_minutes": settings.TELETHERAPY_JOIN_MINUTES_BEFORE,
        "portal_url": settings.SITE_URL + reverse("portal:sign_in"),
        "repeats": f"{held} appointment{'s' if held != 1 else ''} in this series, the next "
        f"on {clock.date_time_text(first.start, tz)}"
        if held
        else "",
    }
    cancel = kind == "cancelled"
    message = build_email(
        f"appointment_{kind}",
        to=client.email,
        context=context,
        attachments=[("invite.ics", series_ics(series, cancel=cancel), "text/calendar")],
    )
    sent = send_with_retries(message)
    if not sent:
        log.warning("series email %s for series %s not delivered", kind, series_id)
    return sent
