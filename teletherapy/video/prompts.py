"""What the video app shows on other apps' pages: the "session is ready" prompts, the alert
box on an appointment and the session record on its History. The template tags in
templatetags/video.py and the prompt polling views both call these."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils import timezone

from teletherapy.clients.models import Client
from teletherapy.lib import clock
from teletherapy.lib.clock import date_time_text, time_text, viewer_zone
from teletherapy.practice.models import StaffMember
from teletherapy.scheduling.guardians import attendee_label, wards_in
from teletherapy.scheduling.models import Appointment
from teletherapy.video import services
from teletherapy.video.models import VideoSession


def _ended_text(appointment: Appointment, name: str, tz_name: str, owner: str = "Your") -> str:
    """'Your Teletherapy session with Casey Demo at 2:00 PM EST has ended (23 min).'"""
    text = (
        f"{owner} Teletherapy session with {name} at "
        f"{time_text(appointment.start, tz_name)} has ended"
    )
    duration = appointment.video_session.duration_seconds
    return f"{text} ({clock.duration_text(duration)})." if duration is not None else f"{text}."


def _prompt(
    appointment: Appointment,
    name: str,
    tz_name: str,
    url: str,
    button: str,
    owner: str = "Your",
) -> dict[str, Any]:
    """`owner`: "Your", or "Mina Minor's" on a guardian's portal (scheduling.guardians)."""
    if services.session_closed(appointment):
        return {
            "appointment": appointment,
            "text": _ended_text(appointment, name, tz_name, owner),
            "url": "",
            "button": "",
            "ended": True,
        }
    return {
        "appointment": appointment,
        "text": (
            f"{owner} Teletherapy session with {name} at "
            f"{time_text(appointment.start, tz_name)} is ready"
        ),
        "url": url,
        "button": button,
    }


def staff_prompts(staff: StaffMember | None) -> list[dict[str, Any]]:
    """'Your Teletherapy session with <client> at <time> is ready' with Start, for each call
    whose window is open now."""
    if staff is None:
        return []
    return [
        _prompt(
            appointment,
            appointment.client.display_name,
            viewer_zone(staff),
            reverse("video:check", kwargs={"appointment_id": appointment.pk}),
            "Start",
        )
        for appointment in services.ready_for_staff(staff)
    ]


def client_prompts(client: Client | None) -> list[dict[str, Any]]:
    """The same for the client, with Join session; then today's calls not open yet."""
    if client is None:
        return []
    ready = services.ready_for_client(client)
    later = services.upcoming_today_for_client(client)
    wards = wards_in([*ready, *later], client)

    def owner(appointment: Appointment) -> str:
        ward = wards.get(appointment.pk)
        return f"{ward.display_name}'s" if ward is not None else "Your"

    prompts = [
        _prompt(
            appointment,
            appointment.therapist.name,
            viewer_zone(client),
            reverse("portal_video:check", kwargs={"appointment_id": appointment.pk}),
            "Join session",
            owner(appointment),
        )
        for appointment in ready
    ]
    for appointment in later:
        prompts.append(
            {
                "appointment": appointment,
                "text": (
                    f"{owner(appointment)} Teletherapy session with "
                    f"{appointment.therapist.name} is at "
                    f"{time_text(appointment.start, viewer_zone(client))}. "
                    f"{services.join_from_text(appointment, viewer_zone(client))}."
                ),
                "url": "",
                "button": "",
            }
        )
    return prompts


def call_alert(appointment: Appointment, user: Any) -> dict[str, Any] | None:
    """The alert box on an appointment: ready (with Start for its therapist) or when it opens."""
    if appointment is None or not appointment.is_teletherapy_session:
        return None
    tz_name = viewer_zone(user)
    state = services.window_state(appointment)
    if state in ("open", "over") and services.session_closed(appointment):
        return {
            "state": "ended",
            "text": _ended_text(appointment, appointment.client.display_name, tz_name).replace(
                "Your Teletherapy session", "The Teletherapy session"
            ),
            "url": "",
        }
    staff = getattr(user, "staff", None) if getattr(user, "is_staff_member", False) else None
    can_start = staff is not None and appointment.therapist_id == staff.pk and staff.has_teletherapy
    if state == "open":
        return {
            "state": state,
            "text": (
                f"Your Teletherapy session with {appointment.client.display_name} at "
                f"{time_text(appointment.start, tz_name)} is ready"
                if can_start
                else f"This Teletherapy session is open to join until "
                f"{time_text(services.join_window(appointment).closes, tz_name)}."
            ),
            "url": reverse("video:check", kwargs={"appointment_id": appointment.pk})
            if can_start
            else "",
        }
    if state == "before":
        return {"state": state, "text": services.join_from_text(appointment, tz_name), "url": ""}
    return {"state": state, "text": "The time to join this Teletherapy session is over.", "url": ""}


def session_record(appointment: Appointment, user: Any) -> dict[str, Any] | None:
    """The session record for the appointment's History, times in the viewer's zone."""
    session = (
        VideoSession.objects.filter(appointment=appointment)
        .prefetch_related(
            "participations__user", "events__by", "events__about", "locations__client"
        )
        .first()
    )
    if session is None:
        return None
    tz_name = viewer_zone(user)
    location = services.location_view(session.client_location, appointment.therapist)
    duration = session.duration_seconds
    return {
        "started": date_time_text(session.started_at, tz_name) if session.started_at else "",
        "ended": date_time_text(session.ended_at, tz_name) if session.ended_at else "",
        "duration": clock.duration_text(duration, exact=True) if duration is not None else "",
        "location": location,
        # A couple's or a family's session: where each person said they were, and when.
        "locations": [
            {
                "who": stated.client.display_name,
                "place": services.location_view(stated.code, appointment.therapist),
                "at": date_time_text(stated.stated_at, tz_name),
            }
            for stated in session.locations.all()
        ]
        if len(session.locations.all()) > 1
        else [],
        "events": [
            {
                "what": event.get_kind_display()
                + (f": {event.about.display_name}" if event.about is not None else ""),
                "who": str(event.by),
                "at": date_time_text(event.at, tz_name),
            }
            for event in session.events.all()
        ],
        "ended_for_everyone": session.closed_at is not None,
        "rows": [
            {
                "who": _participant(appointment, row.user),
                "role": row.get_role_display(),
                "joined": date_time_text(row.joined_at, tz_name),
                "left": date_time_text(row.left_at, tz_name) if row.left_at else "",
            }
            for row in session.participations.all()
        ],
        "now": timezone.now(),
    }


def _participant(appointment: Appointment, user: Any) -> str:
    """A row's person as the therapist sees them: a guardian as "Gail Guardian (guardian of
    Mina Minor)"."""
    client = getattr(user, "client", None) if getattr(user, "is_client", False) else None
    return attendee_label(appointment, client) if client is not None else str(user)
