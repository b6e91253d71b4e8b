"""The calendar invitation attached to a client's appointment emails (RFC 5545 / iTIP)."""

from __future__ import annotations

from copy import copy
from datetime import datetime, timedelta
from email.utils import parseaddr
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone
from icalendar import Calendar, Event, vCalAddress, vRecur, vText

from teletherapy.clients.models import Client
from teletherapy.scheduling.models import Appointment, AppointmentSeries


def appointment_uid(appointment: Appointment) -> str:
    """Stable for the appointment's life, so calendar apps update the event, not add one."""
    host = urlsplit(settings.SITE_URL).hostname or "localhost"
    return f"appointment-{appointment.pk}@{host}"


def series_uid(series: AppointmentSeries) -> str:
    """One UID for the whole series: its calendar entry is updated, never duplicated."""
    host = urlsplit(settings.SITE_URL).hostname or "localhost"
    return f"series-{series.pk}@{host}"


def _calendar(cancel: bool) -> Calendar:
    cal = Calendar()
    cal.add("prodid", "-//Teletherapy//Appointments//EN")
    cal.add("version", "2.0")
    cal.add("method", "CANCEL" if cancel else "REQUEST")
    return cal


def _describe(
    event: Event, appointment: Appointment, *, cancel: bool, attendee: Client | None = None
) -> None:
    """Summary, place, status and people: no clinical details, and one ATTENDEE, the
    client the invitation is for (default the primary): never another client's address."""
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
    person = attendee if attendee is not None else appointment.client
    if person.email:
        address = vCalAddress(f"mailto:{person.email}")
        address.params["cn"] = vText(person.display_name)
        address.params["role"] = vText("REQ-PARTICIPANT")
        event.add("attendee", address)


def appointment_ics(
    appointment: Appointment, *, cancel: bool = False, attendee: Client | None = None
) -> bytes:
    """METHOD:REQUEST for a booking or change, METHOD:CANCEL for a cancellation, for one
    client (`attendee`, default the primary): each client of a couple gets their own.
    Carries no clinical details: only the time, the therapist and how to join."""
    cal = _calendar(cancel)
    event = Event()
    event.add("uid", appointment_uid(appointment))
    event.add("sequence", appointment.ics_sequence)
    event.add("dtstamp", timezone.now())
    event.add("dtstart", appointment.start)
    event.add("dtend", appointment.end)
    _describe(event, appointment, cancel=cancel, attendee=attendee)
    cal.add_component(event)
    return cal.to_ical()


def series_ics(
    series: AppointmentSeries, *, cancel: bool = False, attendee: Client | None = None
) -> bytes:
    """The series as one recurring event: DTSTART in the series' zone (with its VTIMEZONE),
    the RRULE, an EXDATE for each occurrence skipped or cancelled, and an event with a
    RECURRENCE-ID for each occurrence moved or changed on its own. SEQUENCE grows with every
    change, so calendar apps update the one entry."""
    tz = ZoneInfo(series.time_zone)
    occurrences = list(
        series.occurrences.select_related("client", "therapist__user", "practice").order_by(
            "series_start", "pk"
        )
    )
    first = occurrences[0]
    length = timedelta(minutes=series.duration_minutes)
    cal = _calendar(cancel)
    master = Event()
    master.add("uid", series_uid(series))
    master.add("sequence", series.ics_sequence)
    master.add("dtstamp", timezone.now())
    master.add("dtstart", series.first_start.astimezone(tz))
    master.add("dtend", (series.first_start + length).astimezone(tz))
    master.add("rrule", vRecur.from_ical(series.rule))
    exdates = sorted(datetime.fromisoformat(value).astimezone(tz) for value in series.exdates)
    if exdates:
        master.add("exdate", exdates)
    template = copy(first)
    template.is_teletherapy = series.is_teletherapy
    _describe(master, template, cancel=cancel, attendee=attendee)
    cal.add_component(master)
    if not cancel:
        for occurrence in occurrences:
            if occurrence.status == Appointment.Status.CANCELLED or occurrence.series_start is None:
                continue
            same_time = (occurrence.start, occurrence.end) == (
                occurrence.series_start,
                occurrence.series_start + length,
            )
            if same_time and occurrence.is_teletherapy == series.is_teletherapy:
                continue
            override = Event()
            override.add("uid", series_uid(series))
            override.add("sequence", series.ics_sequence)
            override.add("dtstamp", timezone.now())
            override.add("recurrence-id", occurrence.series_start.astimezone(tz))
            override.add("dtstart", occurrence.start.astimezone(tz))
            override.add("dtend", occurrence.end.astimezone(tz))
            _describe(override, occurrence, cancel=False, attendee=attendee)
            cal.add_component(override)
    cal.add_missing_timezones()
    return cal.to_ical()
