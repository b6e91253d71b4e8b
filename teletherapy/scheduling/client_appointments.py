"""The client's profile (My Clients > client): their upcoming and past appointments, and a
Book button that opens New appointment for them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from django.template.context import Context
from django.urls import reverse
from django.utils import timezone

from teletherapy.lib import clock
from teletherapy.scheduling.access import bookable_clients, schedule_therapists
from teletherapy.scheduling.models import Appointment

SHOWN = 20


def _line(appointment: Appointment, tz: Any) -> dict[str, Any]:
    return {
        "appointment": appointment,
        "when": clock.date_time_text(appointment.start, tz),
        "minutes": appointment.duration_minutes,
    }


def client_appointments_context(context: Context) -> Mapping[str, Any]:
    request = context.get("request")
    staff = getattr(request, "staff", None)
    client = context.get("client")
    if staff is None or client is None or not staff.can_use_schedule:
        return {"client_appointments": None}
    tz = clock.zone(clock.viewer_zone(staff))
    now = timezone.now()
    mine = (
        Appointment.objects.visible_to(staff)
        .with_client(client)
        .select_related("therapist__user", "client")
        .prefetch_related("additional_clients")
        .order_by("start", "pk")
    )
    upcoming = [_line(a, tz) for a in mine.filter(end__gt=now).not_cancelled()[:SHOWN]]
    past = [_line(a, tz) for a in mine.filter(end__lte=now).order_by("-start", "-pk")[:SHOWN]]
    book_url = ""
    if bookable_clients(staff).filter(pk=client.pk).exists():
        allowed = {t.pk for t in schedule_therapists(staff)}
        theirs = [t.pk for t in client.therapists.all() if t.pk in allowed]
        query: dict[str, Any] = {"client": client.pk, "slot": "next"}
        if theirs or allowed:
            query["therapist"] = theirs[0] if theirs else min(allowed)
        book_url = f"{reverse('scheduling:new_appointment')}?{urlencode(query)}"
    return {
        "client_appointments": {
            "upcoming": upcoming,
            "past": past,
            "zone_name": clock.zone_label(tz),
            "book_url": book_url,
        }
    }
