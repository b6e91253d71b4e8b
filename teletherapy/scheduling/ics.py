"""The calendar invitation attached to a client's appointment emails (RFC 5545 / iTIP)."""

from __future__ import annotations

from email.utils import parseaddr
from urllib.parse import urlsplit

from django.conf import settings
from django.utils import timezone
from icalendar import Calendar, Event, vCalAddress, vText

from teletherapy.scheduling.models import Appointment


def appointment_uid(appointment: Appointment) -> str:
    """Stable for the appointment's life, so calendar apps update the event, not add one."""
    host = urlsplit(settings.SITE_URL).hostname or "localhost"
    return f"appointment-{appointment.pk}@{host}"


def appointment_ics(appointment: Appointment, *, cancel: bool = False) -> bytes:
    """METHOD:REQUEST for a booking or change, METHOD:CANCEL for a cancellation. Carries no
    clinical details: only the time, the therapist and how to join."""
    cal = Calendar()
    cal.add("prodid", "-//Teletherapy//Appointments//EN")
    cal.add("version", "2.0")
    cal.add("method", "CANCEL" if cancel else "REQUEST")
    event = Event()
    event.add("uid", appointment_uid(appointment))
    event.add("sequence", appointment.ics_sequence)
    event.add("dtstamp", timezone.now())
    event.add("dtstart", appointment.start)
    event.add("dtend", appointment.end)
    therapist = appointment.therapist.name
    if appointment.is_teletherapy:
        event.add("summary", f"Teletherapy Session with {therapist}")
        event.add("location", "Client portal (Teletherapy)")
        event.add(
            "description",
            "Sign in to your client portal to join, from "
            f"{settings.TELETHERAPY_JOIN_MINUTES_BEFORE} minutes before the start: "
            f"{settings.SITE_URL}/portal/",
        )
    else:
        event.add("summary", f"Appointment with {therapist}")
        event.add("location", appointment.practice.name)
    event.add("status", "CANCELLED" if cancel else "CONFIRMED")
    organizer = vCalAddress(f"mailto:{parseaddr(settings.DEFAULT_FROM_EMAIL)[1]}")
    organizer.params["cn"] = vText(appointment.practice.name)
    event.add("organizer", organizer)
    if appointment.client.email:
        attendee = vCalAddress(f"mailto:{appointment.client.email}")
        attendee.params["cn"] = vText(appointment.client.display_name)
        attendee.params["role"] = vText("REQ-PARTICIPANT")
        event.add("attendee", attendee)
    cal.add_component(event)
    return cal.to_ical()
