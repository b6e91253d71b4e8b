"""Who may be in a Teletherapy session: its client and its therapist, in the window only."""

from __future__ import annotations

from datetime import datetime
from importlib import import_module
from typing import Any

from django.conf import settings
from django.contrib.auth import HASH_SESSION_KEY, SESSION_KEY
from django.core.exceptions import PermissionDenied
from django.db.models import OuterRef, Subquery
from django.http import Http404
from django.utils.crypto import constant_time_compare

from teletherapy.scheduling.access import get_appointment_for
from teletherapy.scheduling.models import Appointment
from teletherapy.video import services
from teletherapy.video.models import Participation

_RELATED = ("practice", "client", "therapist__user", "video_session")


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

    Raise Http404 when the appointment is not one the user can see: for staff the
    scheduling app's rule (get_appointment_for: another practice's or, for a Therapist,
    another therapist's is a 404), for a client their own appointments only. Raise
    PermissionDenied when they can see it but are not its participant or lack Teletherapy,
    and CallClosed (a PermissionDenied) outside the launch window, when the appointment is
    not a Teletherapy Session (Appointment.is_teletherapy_session) or when the therapist
    ended it for everyone (state 'ended'). Pages, the ICE endpoint
    and the signaling consumer (on connect and on every command) all call this.
    """
    if user is None or not user.is_authenticated or not user.is_active:
        raise PermissionDenied("Sign in first.")
    if user.is_staff_member:
        staff = getattr(user, "staff", None)
        if staff is None:
            raise PermissionDenied("Only a practice's staff can use this page.")
        appointment = get_appointment_for(staff, appointment_id)
    else:
        appointment = _clients_own(user, appointment_id)
    return appointment, authorize_call(user, appointment, now=now)


def _clients_own(user: Any, appointment_id: int) -> Appointment:
    client = getattr(user, "client", None)
    found = (
        Appointment.objects.of_client(client).select_related(*_RELATED).filter(pk=appointment_id)
        if client is not None
        else Appointment.objects.none()
    ).first()
    if found is None:
        raise Http404("Not found")
    return found


def authorize_call(user: Any, appointment: Appointment, *, now: datetime | None = None) -> str:
    """The checks of get_call_for() on an appointment already loaded; returns the role."""
    if user is None or not user.is_authenticated or not user.is_active:
        raise PermissionDenied("Sign in first.")
    if user.is_staff_member:
        staff = getattr(user, "staff", None)
        if staff is None:
            raise PermissionDenied("Only a practice's staff can use this page.")
        if not appointment.is_visible_to(staff):
            raise Http404("Not found")
        if appointment.therapist_id != staff.pk:
            raise PermissionDenied("Only the appointment's therapist can join this session.")
        if not staff.has_teletherapy:
            raise PermissionDenied("Teletherapy is not switched on for you.")
        role = Participation.Role.THERAPIST
    elif user.is_client:
        client = getattr(user, "client", None)
        if client is None or not appointment.may_attend(client):
            raise Http404("Not found")
        role = Participation.Role.CLIENT
    else:
        raise PermissionDenied("Sign in first.")
    state = services.window_state(appointment, now)
    if state != "open":
        raise CallClosed(appointment, state)
    if services.session_closed(appointment):
        raise CallClosed(appointment, "ended")
    return str(role)


def recheck_participation(*, participation_id: int, channel_name: str) -> Participation | None:
    """Access again for one signaling command, in one query: the connection's participation
    if it is still the person's current one (None when a newer connection replaced it), with
    `peer_channel` (the other participant's current channel, or None). Raise like
    get_call_for() when the person may no longer be in the call."""
    # The other participant's current channel comes along in the same query.
    peer = (
        Participation.objects.filter(
            session=OuterRef("session"),
            left_at__isnull=True,
            seen_at__gte=services.presence_cutoff(),
        )
        .exclude(role=OuterRef("role"))
        .order_by("-joined_at", "-id")
        .values("channel_name")[:1]
    )
    row = (
        Participation.objects.annotate(peer_channel=Subquery(peer))
        .select_related(
            "user__staff",
            "user__client",
            "session__appointment__practice",
            "session__appointment__client",
            "session__appointment__therapist__user",
        )
        .filter(pk=participation_id, channel_name=channel_name, left_at__isnull=True)
        .first()
    )
    if row is None:
        return None
    authorize_call(row.user, row.session.appointment)
    return row


def signed_in(session_key: str | None, user: Any) -> bool:
    """Whether the sign-in session a connection was opened with still signs in `user` (as
    loaded now): not signed out, not ended everywhere, not expired, password unchanged."""
    if not session_key or user is None:
        return False
    store = import_module(settings.SESSION_ENGINE).SessionStore(session_key)
    data = store.load()
    if str(data.get(SESSION_KEY, "")) != str(user.pk):
        return False
    return constant_time_compare(data.get(HASH_SESSION_KEY, ""), user.get_session_auth_hash())
