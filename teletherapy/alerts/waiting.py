"""Who is in the Telehealth Waiting Room: the state of one appointment's check-in as the
alert shows it, for one viewer. Read-only; pages, the alert socket and its pushes all use it.

A client is "waiting" while they are present (video's Participation: not left, still beating)
and the therapist is not; "in_session" once both are; "left" when they were there and are
gone without the call having them both. Each state is worked out for a viewer who may see the
appointment (scheduling's get_appointment_for / visible_to decide that, never this module).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Exists, OuterRef
from django.urls import reverse
from django.utils import timezone

from teletherapy.alerts.models import WaitingRoomWord
from teletherapy.lib.clock import time_text, viewer_zone
from teletherapy.practice.models import StaffMember
from teletherapy.scheduling.models import Appointment
from teletherapy.video import services as video
from teletherapy.video.models import Participation, VideoSession

WAITING = "waiting"
IN_SESSION = "in_session"
LEFT = "left"
NONE = "none"
# A reload replaces the connection at once; gaps shorter than this are one stay.
_SAME_STAY = timedelta(seconds=30)


@dataclass(frozen=True)
class CheckIn:
    state: str
    checked_in: datetime | None = None  # the client's first arrival in this session
    waiting_since: datetime | None = None  # the start of their current stay
    left_at: datetime | None = None


def _present(now: datetime) -> Any:
    return Participation.objects.filter(
        left_at__isnull=True, seen_at__gte=video.presence_cutoff(now)
    )


def check_in(appointment: Appointment, now: datetime | None = None) -> CheckIn:
    """The check-in state of one appointment (NONE when it is not an open call)."""
    now = now or timezone.now()
    if video.window_state(appointment, now) != "open":
        return CheckIn(NONE)
    session = VideoSession.objects.filter(appointment=appointment).first()
    if session is None:
        return CheckIn(NONE)
    rows = list(session.participations.order_by("joined_at", "id"))
    cutoff = video.presence_cutoff(now)
    clients = [r for r in rows if r.role == Participation.Role.CLIENT]
    if not clients:
        return CheckIn(NONE)

    def here(row: Participation) -> bool:
        return row.left_at is None and row.seen_at >= cutoff

    client_here = any(here(r) for r in clients)
    therapist_here = any(here(r) for r in rows if r.role == Participation.Role.THERAPIST)
    checked_in = clients[0].joined_at
    if client_here and therapist_here:
        return CheckIn(IN_SESSION, checked_in=checked_in)
    if client_here:
        since = clients[-1].joined_at
        for earlier in reversed(clients[:-1]):
            if earlier.left_at is None or earlier.left_at >= since - _SAME_STAY:
                since = min(since, earlier.joined_at)
            else:
                break
        return CheckIn(WAITING, checked_in=checked_in, waiting_since=since)
    if therapist_here:
        return CheckIn(NONE, checked_in=checked_in)
    left = max((r.left_at or r.seen_at) for r in clients)
    return CheckIn(LEFT, checked_in=checked_in, left_at=left)


def waiting_for(staff: StaffMember, now: datetime | None = None) -> list[Appointment]:
    """The open calls the staff member may see whose client waits alone, oldest first."""
    now = now or timezone.now()
    present = _present(now)
    return list(
        Appointment.objects.visible_to(staff)
        .teletherapy_sessions()
        .filter(
            start__lte=now + timedelta(minutes=settings.TELETHERAPY_JOIN_MINUTES_BEFORE),
            end__gte=now - timedelta(minutes=settings.TELETHERAPY_GRACE_MINUTES),
        )
        .filter(
            Exists(
                present.filter(session__appointment=OuterRef("pk"), role=Participation.Role.CLIENT)
            )
        )
        .exclude(
            Exists(
                present.filter(
                    session__appointment=OuterRef("pk"), role=Participation.Role.THERAPIST
                )
            )
        )
        .select_related("client", "therapist__user", "practice")
        .order_by("start", "pk")
    )


def waiting_clients(appointment: Appointment, now: datetime | None = None) -> list[Any]:
    """The clients in the Waiting Room now (present in the call), in the order they
    arrived: a couple or a family each on their own device. For staff only."""
    now = now or timezone.now()
    rows = (
        _present(now)
        .filter(session__appointment=appointment, role=Participation.Role.CLIENT)
        .select_related("user__client")
        .order_by("joined_at", "id")
    )
    people: dict[int, Any] = {}
    for row in rows:
        client = getattr(row.user, "client", None)
        if client is not None:
            people.setdefault(client.pk, client)
    return list(people.values())


def waiting_people(appointment: Appointment, now: datetime | None = None) -> list[str]:
    """The names of waiting_clients()."""
    return [c.display_name for c in waiting_clients(appointment, now)]


def names_text(names: list[str]) -> str:
    """'Casey Client', 'Casey Client and Pat Partner', 'A, B and C'."""
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def _ms(moment: datetime | None) -> int | None:
    return int(moment.timestamp() * 1000) if moment is not None else None


def latest_word(appointment: Appointment, client: Any = None) -> WaitingRoomWord | None:
    """The latest word of the session; for a client, the latest they may read."""
    return (
        WaitingRoomWord.objects.filter(session__appointment=appointment)
        .for_viewer(client)
        .order_by("-sent_at", "-id")
        .first()
    )


def alert_payload(
    staff: StaffMember, appointment: Appointment, now: datetime | None = None
) -> dict[str, Any]:
    """What the alert socket sends one viewer about one appointment they may see."""
    now = now or timezone.now()
    state = check_in(appointment, now)
    tz_name = viewer_zone(staff)
    own = appointment.therapist_id == staff.pk and staff.has_teletherapy
    clients = waiting_clients(appointment, now) if state.state == WAITING else []
    waiting = [c.display_name for c in clients]
    payload: dict[str, Any] = {
        "type": "alert",
        "appointment_id": appointment.pk,
        "state": state.state,
        # Who is waiting: "Casey Client and Pat Partner" (a couple, each on their own device).
        "client_name": names_text(waiting) if waiting else appointment.client.display_name,
        "several": len(waiting) > 1,
        # Whom a word can go to, one by one (or everyone): only when several wait.
        "people": [{"id": c.pk, "name": c.display_name} for c in clients]
        if len(clients) > 1 and own
        else [],
        "therapist_name": appointment.therapist.name,
        "own": own,
        "now": _ms(now),
        "waiting_since": _ms(state.waiting_since),
        "checked_in": time_text(state.checked_in, tz_name) if state.checked_in else "",
        "appointment_url": reverse(
            "scheduling:appointment", kwargs={"appointment_id": appointment.pk}
        ),
        "start_url": reverse("video:check", kwargs={"appointment_id": appointment.pk})
        if own
        else "",
        "word_url": reverse("alerts:word", kwargs={"appointment_id": appointment.pk})
        if own
        else "",
    }
    word = latest_word(appointment) if state.state == WAITING else None
    payload["word"] = (
        {"text": word.text, "at": time_text(word.sent_at, tz_name)} if word is not None else None
    )
    return payload


def word_payload(word: WaitingRoomWord, viewer: Any) -> dict[str, Any]:
    """A word as the waiting client's page shows it."""
    appointment = word.session.appointment
    return {
        "type": "word",
        "appointment_id": appointment.pk,
        "text": word.text,
        "from": appointment.therapist.name,
        "at": time_text(word.sent_at, viewer_zone(viewer)),
    }
