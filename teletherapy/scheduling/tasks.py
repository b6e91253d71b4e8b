"""Emails to clients about their Teletherapy Sessions, sent from the task queue."""

from __future__ import annotations

import logging

from django.conf import settings
from django.urls import reverse
from django_tasks import task

from teletherapy.lib import clock
from teletherapy.lib.mailer import build_email, send_with_retries
from teletherapy.scheduling.ics import appointment_ics
from teletherapy.scheduling.models import Appointment

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
