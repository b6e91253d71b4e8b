"""Who may be in a Teletherapy session: its client and its therapist, in the window only."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404

from teletherapy.scheduling.models import Appointment
from teletherapy.video import services
from teletherapy.video.models import Participation


class CallClosed(PermissionDenied):
    """A participant came outside the launch window (or the appointment is not a call)."""

    def __init__(self, appointment: Appointment, state: str) -> None:
        super().__init__(f"This session is {state}.")
        self.appointment = appointment
        self.state = state


def get_call_for(
    user: Any, appointment_id: int, *, now: datetime | None = None
) -> tuple[Appointment, str]:
    """The appointment and the user's role in its call ('therapist' or 'client').

    Raise Http404 when the appointment is not one the user can see (another practice's,
    another client's), PermissionDenied when they can see it but are not its participant or
    lack Teletherapy, and CallClosed (a PermissionDenied) outside the launch window or when
    the appointment is cancelled or not a Teletherapy one. Pages, the ICE endpoint and the
    signaling consumer (on connect and on every command) all call this.
    """
    if user is None or not user.is_authenticated or not user.is_active:
        raise PermissionDenied("Sign in first.")
    queryset = Appointment.objects.select_related(
        "practice", "client", "therapist__user", "therapist__practice"
    )
    if user.is_staff_member:
        staff = getattr(user, "staff", None)
        if staff is None:
            raise PermissionDenied("Only a practice's staff can use this page.")
        appointment = queryset.filter(pk=appointment_id, practice_id=staff.practice_id).first()
        if appointment is None:
            raise Http404("Not found")
        if appointment.therapist_id != staff.pk:
            raise PermissionDenied("Only the appointment's therapist can join this session.")
        if not staff.has_teletherapy:
            raise PermissionDenied("Teletherapy is not switched on for you.")
        role = Participation.Role.THERAPIST
    elif user.is_client:
        client = getattr(user, "client", None)
        appointment = None
        if client is not None and client.is_active:
            appointment = queryset.filter(pk=appointment_id, client_id=client.pk).first()
        if appointment is None:
            raise Http404("Not found")
        if not appointment.therapist.has_teletherapy:
            raise CallClosed(appointment, "unavailable")
        role = Participation.Role.CLIENT
    else:
        raise PermissionDenied("Sign in first.")
    state = services.window_state(appointment, now)
    if state != "open":
        raise CallClosed(appointment, state)
    return appointment, str(role)
