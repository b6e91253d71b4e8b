"""Teletherapy sessions: the launch window and the session record (who was there, when).

No audio or video passes through or is stored by the server; only presence is recorded.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone

from teletherapy.accounts.models import User
from teletherapy.audit.models import Action
from teletherapy.audit.services import record
from teletherapy.clients.models import Client
from teletherapy.lib.clock import local, short_date_text, time_text
from teletherapy.lib.states import is_us_state, state_name
from teletherapy.practice.models import StaffMember
from teletherapy.scheduling.models import Appointment, AppointmentQuerySet
from teletherapy.video.models import Participation, PersonLocation, SessionEvent, VideoSession
from teletherapy.video.revoke import revoke_access

OUTSIDE_US = "outside"


# --- The launch window ----------------------------------------------------------------------


@dataclass(frozen=True)
class JoinWindow:
    opens: datetime
    closes: datetime

    def contains(self, moment: datetime) -> bool:
        return self.opens <= moment <= self.closes


def join_window(appointment: Appointment) -> JoinWindow:
    """From TELETHERAPY_JOIN_MINUTES_BEFORE before the start to the end plus the grace period."""
    return JoinWindow(
        opens=appointment.start - timedelta(minutes=settings.TELETHERAPY_JOIN_MINUTES_BEFORE),
        closes=appointment.end + timedelta(minutes=settings.TELETHERAPY_GRACE_MINUTES),
    )


def window_state(appointment: Appointment, now: datetime | None = None) -> str:
    """'unavailable' (not a Teletherapy Session: Appointment.is_teletherapy_session),
    'before', 'open' or 'over'."""
    if not appointment.is_teletherapy_session:
        return "unavailable"
    now = now or timezone.now()
    window = join_window(appointment)
    if now < window.opens:
        return "before"
    if now > window.closes:
        return "over"
    return "open"


def join_from_text(appointment: Appointment, tz_name: str, now: datetime | None = None) -> str:
    """'You can join from 9:45 AM EST', with the date when it is not today in that zone."""
    now = now or timezone.now()
    opens = join_window(appointment).opens
    text = f"You can join from {time_text(opens, tz_name)}"
    if local(opens, tz_name).date() != local(now, tz_name).date():
        text += f" on {short_date_text(opens, tz_name)}"
    return text


def _open_now(queryset: AppointmentQuerySet, now: datetime) -> AppointmentQuerySet:
    return queryset.teletherapy_sessions().filter(
        start__lte=now + timedelta(minutes=settings.TELETHERAPY_JOIN_MINUTES_BEFORE),
        end__gte=now - timedelta(minutes=settings.TELETHERAPY_GRACE_MINUTES),
    )


def ready_for_staff(staff: StaffMember, now: datetime | None = None) -> list[Appointment]:
    """The therapist's Teletherapy appointments whose window is open now (with those ended for
    everyone: session_closed())."""
    if not staff.has_teletherapy:
        return []
    queryset = (
        Appointment.objects.visible_to(staff)
        .filter(therapist_id=staff.pk)
        .select_related("client", "video_session")
        # A couple's or a family's prompt names every client.
        .prefetch_related("additional_clients")
    )
    return list(_open_now(queryset, now or timezone.now()).order_by("start"))


def ready_for_client(client: Client, now: datetime | None = None) -> list[Appointment]:
    """The client's Teletherapy Sessions whose window is open now (with those ended for
    everyone: session_closed())."""
    queryset = Appointment.objects.of_client(client).select_related(
        "therapist__user", "video_session"
    )
    return list(_open_now(queryset, now or timezone.now()).order_by("start"))


def upcoming_today_for_client(client: Client, now: datetime | None = None) -> list[Appointment]:
    """Teletherapy appointments in the next 12 hours whose window has not opened yet."""
    now = now or timezone.now()
    return list(
        Appointment.objects.of_client(client)
        .teletherapy_sessions()
        .filter(
            start__gt=now + timedelta(minutes=settings.TELETHERAPY_JOIN_MINUTES_BEFORE),
            start__lte=now + timedelta(hours=12),
        )
        .select_related("therapist__user")
        .order_by("start")
    )


# --- Where the client is --------------------------------------------------------------------


@dataclass(frozen=True)
class LocationView:
    code: str
    name: str
    licensed: bool


def location_view(code: str, therapist: StaffMember) -> LocationView | None:
    """The client's stated location as the therapist sees it, with the license check."""
    if not code:
        return None
    return LocationView(
        code=code, name=state_name(code), licensed=code in (therapist.licensed_states or [])
    )


def set_client_location(
    *, appointment: Appointment, by: Client, location: str, request: HttpRequest | None = None
) -> VideoSession:
    """Store where a client of the appointment says they are right now, and audit it (the
    therapist checks it against their licenses). Each person states their own (a couple may
    be in two states): kept per person (PersonLocation), and as the session's
    client_location when `by` is the primary client (or a guardian speaking for a minor without a login). Only someone who may attend the
    appointment (a client of it, or a minor's guardian: Appointment.may_attend) may say it; only U.S. locations are accepted."""
    if not is_us_state(location):
        raise ValueError("Teletherapy is for U.S. locations only")
    if not appointment.may_attend(by):
        raise PermissionDenied("Only the appointment's clients can say where they are.")
    with transaction.atomic():
        session, _created = VideoSession.objects.select_for_update().get_or_create(
            appointment=appointment
        )
        stated = PersonLocation.objects.filter(session=session, client=by).first()
        before = stated.code if stated else ""
        if _speaks_for_session(appointment, by) and not stated:
            before = session.client_location  # stated before locations were per person
        if before != location or stated is None:
            PersonLocation.objects.update_or_create(
                session=session,
                client=by,
                defaults={"code": location, "stated_at": timezone.now()},
            )
        if _speaks_for_session(appointment, by) and session.client_location != location:
            session.client_location = location
            session.save(update_fields=["client_location"])
        if before != location:
            record(
                Action.SESSION_LOCATION,
                actor=by.user,
                practice=appointment.practice,
                obj=appointment,
                request=request,
                before=before,
                after=location,
            )
    return session


def location_of(*, session: VideoSession | None, client: Client) -> str:
    """Where `client` said they are for this session ('' when they have not said)."""
    if session is None:
        return ""
    stated = PersonLocation.objects.filter(session=session, client=client).first()
    if stated is not None:
        return stated.code
    if _speaks_for_session(session.appointment, client):
        return session.client_location
    return ""


def _speaks_for_session(appointment: Appointment, client: Client) -> bool:
    """Whether `client`'s location is also the session's client_location (what the
    two-person call and the pages with one location show): the primary client's, or a
    guardian's when the minor has no login of their own."""
    return client.pk == appointment.client_id or (
        appointment.client.user_id is None and client.pk != appointment.client_id
    )


def record_refusal(
    *,
    user: User | AnonymousUser | None,
    appointment_id: int,
    reason: str,
    request: HttpRequest | None = None,
    repeated: int = 0,
) -> None:
    """Audit a refused attempt to open a session (page or WebSocket); `repeated` is how many
    more refusals of the same kind this row stands for (the WebSocket aggregates them)."""
    details: dict[str, Any] = {"repeated": repeated} if repeated else {}
    record(
        Action.SESSION_REFUSED,
        actor=user if user is not None and user.is_authenticated else None,
        request=request,
        appointment_id=appointment_id,
        reason=reason,
        **details,
    )


# --- Presence and the session record --------------------------------------------------------


@dataclass
class JoinResult:
    participation: Participation
    replaced_channels: list[str] = field(default_factory=list)
    peer_channel: str | None = None
    started: bool = False


@dataclass
class LeaveResult:
    left: bool
    peer_channel: str | None = None
    ended: bool = False


def other_role(role: str) -> str:
    """The other side of a two-person call."""
    if role == Participation.Role.THERAPIST:
        return Participation.Role.CLIENT
    return Participation.Role.THERAPIST


def presence_cutoff(now: datetime | None = None) -> datetime:
    """Connections not seen since this moment are gone (their app process died)."""
    return (now or timezone.now()) - timedelta(seconds=settings.TELETHERAPY_PRESENCE_SECONDS)


def peer_channel(*, session_id: int, role: str) -> str | None:
    """The current channel of the other participant, or None when they are not connected."""
    row = (
        Participation.objects.filter(
            session_id=session_id,
            role=other_role(role),
            left_at__isnull=True,
            seen_at__gte=presence_cutoff(),
        )
        .order_by("-joined_at", "-id")
        .values_list("channel_name", flat=True)
        .first()
    )
    return row


def join_call(*, appointment: Appointment, user: User, role: str, channel_name: str) -> JoinResult:
    """Mark `user` present on `channel_name`. Their earlier connections are closed (a reload or
    a second device replaces the first; there is never a third participant)."""
    now = timezone.now()
    # Ghosts of app processes that died, anywhere: someone arriving is the moment to notice.
    expire_stale_presence(now=now)
    with transaction.atomic():
        session, _created = VideoSession.objects.select_for_update().get_or_create(
            appointment=appointment
        )
        earlier = list(
            Participation.objects.filter(session=session, user=user, left_at__isnull=True)
        )
        for row in earlier:
            row.left_at = now
            row.save(update_fields=["left_at"])
        participation = Participation.objects.create(
            session=session, user=user, role=role, channel_name=channel_name, joined_at=now
        )
        record(
            Action.SESSION_JOINED,
            actor=user,
            practice=appointment.practice,
            obj=appointment,
            role=role,
            replaced=len(earlier),
        )
        other = peer_channel(session_id=session.pk, role=role)
        result = JoinResult(
            participation=participation,
            replaced_channels=[row.channel_name for row in earlier],
            peer_channel=other,
        )
        if other is not None and session.started_at is None:
            session.started_at = now
            session.save(update_fields=["started_at"])
            result.started = True
            record(
                Action.SESSION_STARTED,
                actor=user,
                practice=appointment.practice,
                obj=appointment,
                client_location=session.client_location,
            )
        elif session.ended_at is not None:
            # Someone came back after everyone had left: the session goes on.
            session.ended_at = None
            session.save(update_fields=["ended_at"])
    return result


def leave_call(*, participation_id: int, ended: bool = False) -> LeaveResult:
    """Mark a connection gone. When nobody is left in a started session, it has ended.
    The consumer tells the other participant once this has returned (committed)."""
    now = timezone.now()
    with transaction.atomic():
        row = (
            Participation.objects.select_for_update()
            .select_related("session__appointment__practice", "user")
            .filter(pk=participation_id, left_at__isnull=True)
            .first()
        )
        if row is None:
            return LeaveResult(left=False)
        row.left_at = now
        row.save(update_fields=["left_at"])
        session = row.session
        appointment = session.appointment
        record(
            Action.SESSION_LEFT,
            actor=row.user,
            practice=appointment.practice,
            obj=appointment,
            role=row.role,
            ended_session=ended,
        )
        _expire_rows(
            Participation.objects.filter(
                session=session, left_at__isnull=True, seen_at__lt=presence_cutoff(now)
            )
        )
        anyone_left = Participation.objects.filter(session=session, left_at__isnull=True).exists()
        result = LeaveResult(
            left=True, peer_channel=peer_channel(session_id=session.pk, role=row.role)
        )
        if session.started_at is not None and not anyone_left:
            session.ended_at = now
            session.save(update_fields=["ended_at"])
            result.ended = True
            record(
                Action.SESSION_ENDED,
                actor=row.user,
                practice=appointment.practice,
                obj=appointment,
                duration_seconds=session.duration_seconds,
            )
    return result


def beat(*, participation_id: int, channel_name: str) -> bool:
    """A connection is still open: refresh its presence. False when it is no longer current."""
    return bool(
        Participation.objects.filter(
            pk=participation_id, channel_name=channel_name, left_at__isnull=True
        ).update(seen_at=timezone.now())
    )


@dataclass(frozen=True)
class Beats:
    """What beat_many found: the connections still current, and each session's present
    channels by role (the newest connection of each)."""

    current: frozenset[int]
    channels: dict[tuple[int, str], str]

    def channel_of(self, session_id: int, role: str) -> str | None:
        return self.channels.get((session_id, role))


def beat_many(connections: dict[int, str]) -> Beats:
    """beat() for every call connection of one app process (participation id: channel), then
    the ghosts expired and the present channels of their sessions read: four queries, however
    many connections."""
    now = timezone.now()
    with transaction.atomic():
        rows = Participation.objects.filter(pk__in=connections, left_at__isnull=True)
        current = {
            pk: session_id
            for pk, channel, session_id in rows.values_list("pk", "channel_name", "session_id")
            if connections[pk] == channel
        }
        Participation.objects.filter(pk__in=current, left_at__isnull=True).update(seen_at=now)
    expire_stale_presence(now=now)
    present = Participation.objects.filter(
        session_id__in=set(current.values()),
        left_at__isnull=True,
        seen_at__gte=presence_cutoff(now),
    ).order_by("joined_at", "id")
    channels: dict[tuple[int, str], str] = {}
    for session_id, role, channel in present.values_list("session_id", "role", "channel_name"):
        channels[(session_id, role)] = channel  # the newest of each role wins, as peer_channel
    return Beats(current=frozenset(current), channels=channels)


def _expire_rows(rows: QuerySet[Participation]) -> list[Participation]:
    """Mark connections that stopped beating as left when they were last seen, audited like
    any leaving; run inside a transaction."""
    expired = list(
        rows.select_for_update().select_related("session__appointment__practice", "user")[:100]
    )
    for row in expired:
        row.left_at = row.seen_at
        row.save(update_fields=["left_at"])
        appointment = row.session.appointment
        record(
            Action.SESSION_LEFT,
            actor=row.user,
            practice=appointment.practice,
            obj=appointment,
            role=row.role,
            ended_session=False,
            expired=True,
        )
    return expired


def expire_stale_presence(*, session_id: int | None = None, now: datetime | None = None) -> int:
    """Record the leaving of connections whose app process died without saying so (no
    heartbeat for TELETHERAPY_PRESENCE_SECONDS), and the end of sessions nobody is left in.
    Return how many connections were expired."""
    rows = Participation.objects.filter(left_at__isnull=True, seen_at__lt=presence_cutoff(now))
    if session_id is not None:
        rows = rows.filter(session_id=session_id)
    if not rows.exists():
        return 0
    with transaction.atomic():
        expired = _expire_rows(rows)
        sessions = {row.session_id: row for row in expired}
        for row in sessions.values():
            session = VideoSession.objects.select_for_update().get(pk=row.session_id)
            present = Participation.objects.filter(session=session, left_at__isnull=True)
            if session.started_at is None or session.ended_at is not None or present.exists():
                continue
            session.ended_at = max(r.seen_at for r in expired if r.session_id == session.pk)
            session.save(update_fields=["ended_at"])
            record(
                Action.SESSION_ENDED,
                actor=row.user,
                practice=session.appointment.practice,
                obj=session.appointment,
                duration_seconds=session.duration_seconds,
            )
    return len(expired)


# --- Hold, and the end for everyone ---------------------------------------------------------


def session_closed(appointment: Appointment) -> bool:
    """Whether the therapist ended this session for everyone (no one can join again). Costs
    no query when the appointment came with its video_session (select_related)."""
    try:
        session = appointment.video_session
    except VideoSession.DoesNotExist:
        return False
    return session.closed_at is not None


def _require_therapist(appointment: Appointment, by: User) -> None:
    staff = getattr(by, "staff", None) if by.is_staff_member else None
    if staff is None or appointment.therapist_id != staff.pk:
        raise PermissionDenied("Only the session's therapist can do this.")


def end_for_everyone(
    *, appointment: Appointment, by: User, request: HttpRequest | None = None
) -> bool:
    """End the session for everyone: close the record, mark everyone present as gone, and
    push the end to every open connection of the call (they close with "session-ended").
    Only the appointment's therapist may. The record is closed exactly once, however many
    ends race (two devices, a page and a form): a conditional UPDATE decides, and only the
    one that closed it writes the audit row and the event. Return whether this call closed
    it (False: it was closed already)."""
    _require_therapist(appointment, by)
    now = timezone.now()
    with transaction.atomic():
        session, _created = VideoSession.objects.get_or_create(appointment=appointment)
        won = VideoSession.objects.filter(pk=session.pk, closed_at__isnull=True).update(
            closed_at=now, closed_by=by, on_hold_since=None
        )
        if not won:
            return False
        session.refresh_from_db()
        present = list(
            Participation.objects.select_for_update()
            .select_related("user")
            .filter(session=session, left_at__isnull=True)
        )
        for row in present:
            row.left_at = now
            row.save(update_fields=["left_at"])
            record(
                Action.SESSION_LEFT,
                actor=row.user,
                practice=appointment.practice,
                obj=appointment,
                role=row.role,
                ended_session=True,
            )
        if session.started_at is not None and (present or session.ended_at is None):
            session.ended_at = now
            session.save(update_fields=["ended_at"])
        SessionEvent.objects.create(session=session, kind=SessionEvent.Kind.END, by=by, at=now)
        record(
            Action.SESSION_ENDED,
            actor=by,
            practice=appointment.practice,
            obj=appointment,
            request=request,
            for_everyone=True,
            duration_seconds=session.duration_seconds,
        )
        # Every connection of the call checks its access again: the end closes them.
        revoke_access(appointment_ids=[appointment.pk])
    return True


def set_hold(*, participation_id: int, on: bool) -> bool:
    """The therapist puts the client on hold (back in the Waiting Room, media paused both
    ways) or brings them back; recorded in the session record (who, when) and audited. Only
    the therapist's current connection may; refused (PermissionDenied) for anyone else.
    Return whether it changed anything (a second hold while on hold does not)."""
    now = timezone.now()
    with transaction.atomic():
        row = (
            Participation.objects.select_related("session__appointment__practice", "user")
            .filter(pk=participation_id, left_at__isnull=True)
            .first()
        )
        if row is None or row.role != Participation.Role.THERAPIST:
            raise PermissionDenied("Only the session's therapist can put the client on hold.")
        session = row.session
        appointment = session.appointment
        _require_therapist(appointment, row.user)
        changed = VideoSession.objects.filter(
            pk=session.pk, closed_at__isnull=True, on_hold_since__isnull=on
        ).update(on_hold_since=now if on else None)
        if not changed:
            return False
        SessionEvent.objects.create(
            session=session,
            kind=SessionEvent.Kind.HOLD if on else SessionEvent.Kind.RESUME,
            by=row.user,
            at=now,
        )
        record(
            Action.SESSION_HELD if on else Action.SESSION_RESUMED,
            actor=row.user,
            practice=appointment.practice,
            obj=appointment,
        )
    return True


# --- One person of a couple's or a family's call --------------------------------------------


def _therapist_row(participation_id: int) -> Participation:
    row = (
        Participation.objects.select_related("session__appointment__practice", "user")
        .filter(pk=participation_id, left_at__isnull=True)
        .first()
    )
    if row is None or row.role != Participation.Role.THERAPIST:
        raise PermissionDenied("Only the session's therapist can do this.")
    _require_therapist(row.session.appointment, row.user)
    return row


def _attendee(appointment: Appointment, client_id: int) -> Client:
    client = next((c for c in appointment.attendees() if c.pk == client_id), None)
    if client is None:
        raise PermissionDenied("They are not in this session.")
    return client


def held_clients(*, session_id: int) -> set[int]:
    """The clients of a group call the therapist has put on hold (their latest hold or
    resume event about them is a hold)."""
    latest: dict[int, str] = {}
    for about, kind in (
        SessionEvent.objects.filter(
            session_id=session_id,
            about__isnull=False,
            kind__in=[SessionEvent.Kind.HOLD, SessionEvent.Kind.RESUME],
        )
        .order_by("at", "id")
        .values_list("about_id", "kind")
    ):
        latest[about] = kind
    return {about for about, kind in latest.items() if kind == SessionEvent.Kind.HOLD}


def was_removed(*, session_id: int, client_id: int) -> bool:
    return SessionEvent.objects.filter(
        session_id=session_id, about_id=client_id, kind=SessionEvent.Kind.REMOVE
    ).exists()


def set_person_hold(*, participation_id: int, client_id: int, on: bool) -> bool:
    """The therapist puts one client of a group call on hold (back in the Waiting Room, no
    media to or from them: a couple's individual check-in, a parent stepping out) or brings
    them back, without stopping the call for the others. Recorded (who, about whom, when)
    and audited. Return whether it changed anything."""
    with transaction.atomic():
        row = _therapist_row(participation_id)
        session = VideoSession.objects.select_for_update().get(pk=row.session_id)
        appointment = session.appointment
        client = _attendee(appointment, client_id)
        if (
            session.closed_at is not None
            or (client.pk in held_clients(session_id=session.pk)) == on
        ):
            return False
        SessionEvent.objects.create(
            session=session,
            kind=SessionEvent.Kind.HOLD if on else SessionEvent.Kind.RESUME,
            by=row.user,
            about=client,
        )
        record(
            Action.SESSION_HELD if on else Action.SESSION_RESUMED,
            actor=row.user,
            practice=appointment.practice,
            obj=appointment,
            client_id=client.pk,
        )
    return True


def remove_person(*, participation_id: int, client_id: int) -> list[str]:
    """The therapist removes one client from a group call: their connections are marked
    gone and they cannot join this session again; the others go on. Recorded and audited.
    Return the channels of the connections to close."""
    now = timezone.now()
    with transaction.atomic():
        row = _therapist_row(participation_id)
        session = VideoSession.objects.select_for_update().get(pk=row.session_id)
        appointment = session.appointment
        client = _attendee(appointment, client_id)
        present = list(
            Participation.objects.select_for_update().filter(
                session=session, user_id=client.user_id or 0, left_at__isnull=True
            )
        )
        for gone in present:
            gone.left_at = now
            gone.save(update_fields=["left_at"])
        SessionEvent.objects.create(
            session=session, kind=SessionEvent.Kind.REMOVE, by=row.user, about=client, at=now
        )
        record(
            Action.SESSION_LEFT,
            actor=row.user,
            practice=appointment.practice,
            obj=appointment,
            role=Participation.Role.CLIENT,
            removed_client_id=client.pk,
        )
    return [gone.channel_name for gone in present]


def note_together(*, participation_id: int, client_id: int) -> bool:
    """The therapist notes that others joined together with this client on their one
    device (the session record shows it). Once per person; return whether it was new."""
    with transaction.atomic():
        row = _therapist_row(participation_id)
        session = row.session
        appointment = session.appointment
        client = _attendee(appointment, client_id)
        if SessionEvent.objects.filter(
            session=session, kind=SessionEvent.Kind.TOGETHER, about=client
        ).exists():
            return False
        SessionEvent.objects.create(
            session=session, kind=SessionEvent.Kind.TOGETHER, by=row.user, about=client
        )
        record(
            Action.SESSION_JOINED,
            actor=row.user,
            practice=appointment.practice,
            obj=appointment,
            role=Participation.Role.CLIENT,
            together_on_one_device=client.pk,
        )
    return True
