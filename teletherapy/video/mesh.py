"""Signaling for a couple's or a family's call: a full mesh of up to five people (the
therapist and up to four attendees, Appointment.attendees), one peer connection per pair.

The same consumer as the two-person call (consumers.CallConsumer: access checks, control
groups, the watcher, rate limits, cleanup), with its own roster instead of the one peer:

- Each person has one current participation (services.join_call: a reload or a second device
  replaces the older one, which is closed). Every connection keeps the call's roster (the
  other people's current participation id, channel, name and role) in memory: read once on
  joining, then kept up to date by "mesh.joined"/"mesh.left" sent to each member's channel
  (never a group), and checked against the database by the watcher's periodic access check.
- A signal carries `to` (a participation id). It is relayed to that one member's channel,
  with `from` set by the server; a signal to anyone this page may not see is refused.
- What a page is told ("welcome" with its `people`, then "joined" and "left") is the roster
  as that person may see it (`visible`): the therapist sees everyone; a client sees the
  therapist, and the other clients only while the therapist is in the call (people in the
  Waiting Room do not see each other). Only the therapist is told each client's location.
- `polite` is given for every pair (polite_towards): both sides work it out the same way.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from channels.db import database_sync_to_async
from django.core.exceptions import PermissionDenied

from teletherapy.video import services
from teletherapy.video.access import get_call_for
from teletherapy.video.consumers import (
    CLOSE_FORBIDDEN,
    Admission,
    CallConsumer,
    LocationRequired,
    _fresh,
    _location_payload,
)
from teletherapy.video.messages import BadMessage, Incoming, parse
from teletherapy.video.models import Participation, VideoSession

THERAPIST = Participation.Role.THERAPIST
CLIENT = Participation.Role.CLIENT
MAX_PEOPLE = 5


@dataclass(frozen=True)
class Member:
    """Someone in the call as the other connections know them."""

    id: int  # their current participation
    user_id: int
    channel: str
    role: str
    name: str
    location: dict[str, Any] | None = None  # for the therapist's eyes only
    client_id: int | None = None


def polite_towards(me: Member, other: Member) -> bool:
    """Whether `me` is the polite side of the pair (me, other) in perfect negotiation: the
    therapist is never polite; between two clients, the one whose participation is newer
    (who joined later) is. Both sides know both members, so they always agree."""
    if me.role == THERAPIST:
        return False
    if other.role == THERAPIST:
        return True
    return me.id > other.id


def visible(me: Member, roster: dict[int, Member]) -> dict[int, Member]:
    """The members `me` may see and connect to (see the module's docstring)."""
    if me.role == THERAPIST:
        return dict(roster)
    therapist_here = any(m.role == THERAPIST for m in roster.values())
    return {k: m for k, m in roster.items() if m.role == THERAPIST or therapist_here}


def roster_of(session_id: int, *, exclude: int | None = None) -> dict[int, Member]:
    """The people present in the session now: each person's newest live participation."""
    rows = (
        Participation.objects.filter(
            session_id=session_id,
            left_at__isnull=True,
            seen_at__gte=services.presence_cutoff(),
        )
        .select_related("user__client", "user__staff", "session__appointment__therapist__user")
        .order_by("joined_at", "id")
    )
    people: dict[int, Member] = {}
    for row in rows:
        people[row.user_id] = member_of(row)  # a later row of the same person wins
    return {m.id: m for m in people.values() if m.id != exclude}


def member_of(row: Participation) -> Member:
    appointment = row.session.appointment
    if row.role == THERAPIST:
        staff = getattr(row.user, "staff", None)
        name = staff.name if staff is not None else row.user.full_name
        return Member(row.pk, row.user_id, row.channel_name, row.role, name)
    client = getattr(row.user, "client", None)
    name = client.display_name if client is not None else row.user.full_name
    code = services.location_of(session=row.session, client=client) if client else ""
    return Member(
        row.pk,
        row.user_id,
        row.channel_name,
        row.role,
        name,
        _location_payload(appointment, code),
        client.pk if client is not None else None,
    )


def describe(me: Member, other: Member) -> dict[str, Any]:
    """`other` as `me`'s page is told of them."""
    person: dict[str, Any] = {
        "id": other.id,
        "name": other.name,
        "role": other.role,
        "polite": polite_towards(me, other),
    }
    if me.role == THERAPIST and other.role == CLIENT:
        person["location"] = other.location
    return person


# The therapist's commands about one person: {"type": ..., "id": participation id}.
PERSON_COMMANDS = frozenset({"hold-person", "resume-person", "remove-person", "together"})


def parse_mesh(text: str | None, raw: bytes | None = None) -> tuple[Incoming, int | None]:
    """A mesh page's message: as the two-person call's (messages.parse) plus, on a signal,
    `to` (the participation id it is for)."""
    if text is None or raw is not None:
        return parse(text, raw), None
    try:
        data = json.loads(text) if len(text) < 70_000 else None
    except Exception:
        data = None
    to = None
    if isinstance(data, dict) and data.get("type") in PERSON_COMMANDS:
        pid = data.get("id")
        if set(data) != {"type", "id"} or not isinstance(pid, int) or isinstance(pid, bool):
            raise BadMessage("invalid_person")
        return {"type": data["type"]}, pid
    if isinstance(data, dict) and data.get("type") == "signal" and "to" in data:
        to = data.pop("to")
        if not isinstance(to, int) or isinstance(to, bool) or to <= 0:
            raise BadMessage("invalid_signal")
        text = json.dumps(data)
    return parse(text), to


class MeshConsumer(CallConsumer):
    roster: dict[int, Member]
    told: dict[int, Member]
    me: Member | None = None
    # The clients on hold (client ids), from the session record, then from "mesh.held".
    held: set[int]

    # The two-person call's single peer has no meaning here; the roster replaces it.
    @property
    def peer_channel(self) -> str | None:
        return None

    @peer_channel.setter
    def peer_channel(self, value: str | None) -> None:
        pass

    async def connect(self) -> None:
        self.roster = {}
        self.told = {}
        self.held = set()
        await super().connect()

    # --- Joining ------------------------------------------------------------------------

    def _admit_sync(self, user: Any, *, join: bool) -> Admission:
        appointment, role = get_call_for(_fresh(user), self.appointment_id)
        session = VideoSession.objects.filter(appointment=appointment).first()
        client = getattr(user, "client", None)
        if role == CLIENT and (
            client is None or not services.location_of(session=session, client=client)
        ):
            raise LocationRequired("State where you are before joining.")
        admission = Admission(
            role=role,
            participation_id=None,
            session_id=None,
            replaced_channels=[],
            peer_channel=None,
            client_location=None,
            closes=services.join_window(appointment).closes,
        )
        if not join:
            return admission
        if session is not None and client is not None:
            if services.was_removed(session_id=session.pk, client_id=client.pk):
                raise PermissionDenied("The therapist removed them from this session.")
        if session is not None:
            here = {m.user_id for m in roster_of(session.pk).values()}
            if len(here) >= MAX_PEOPLE and user.pk not in here:
                raise PermissionDenied("The call is full.")
        result = services.join_call(
            appointment=appointment, user=user, role=role, channel_name=self.channel_name
        )
        admission.participation_id = result.participation.pk
        admission.session_id = result.participation.session_id
        admission.replaced_channels = result.replaced_channels
        row = (
            Participation.objects.select_related(
                "user__client", "user__staff", "session__appointment__therapist__user"
            )
            .filter(pk=result.participation.pk)
            .get()
        )
        self.me = member_of(row)
        self.roster = roster_of(row.session_id, exclude=row.pk)
        self.held = services.held_clients(session_id=row.session_id)
        return admission

    async def _announce(self) -> None:
        """Replace this person's older connections, tell everyone there that they arrived,
        and welcome this page with the people it may see."""
        assert self.me is not None
        for channel in self.admission.replaced_channels:
            await self.channel_layer.send(channel, {"type": "call.replaced"})
        for member in list(self.roster.values()):
            await self._send_to(member.channel, {"type": "mesh.joined", **_wire(self.me)})
        self.told = visible(self.me, self.roster)
        await self._send(
            {
                "type": "welcome",
                "mesh": True,
                "role": self.role,
                "id": self.me.id,
                "people": [describe(self.me, m) for m in self.told.values()],
                "on_hold": self.me.client_id in self.held,
                "held": [pid for pid, m in self.told.items() if m.client_id in self.held],
            }
        )

    async def _sync_page(self) -> None:
        """Tell the page who it may now see, from the roster: "left" and "joined"."""
        if self.me is None or self.participation_id is None:
            return
        now = visible(self.me, self.roster)
        for pid in [p for p in self.told if p not in now]:
            del self.told[pid]
            await self._send({"type": "left", "id": pid, "ended": False})
        for pid, member in now.items():
            if pid not in self.told:
                self.told[pid] = member
                await self._send({"type": "joined", "person": describe(self.me, member)})

    # --- Commands -----------------------------------------------------------------------

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if self.revoked or self.participation_id is None:
            return
        if not self.bucket.take():
            await self._throttled()
            return
        try:
            message, to = parse_mesh(text_data, bytes_data)
        except BadMessage as exc:
            await self._send({"type": "error", "code": exc.code})
            return
        kind = message["type"]
        if kind == "signal":
            await self._signal(message, to)
        elif kind == "media":
            for member in self.told.values():
                await self._send_to(
                    member.channel,
                    {
                        "type": "call.media",
                        "audio": message["audio"],  # type: ignore[typeddict-item]
                        "video": message["video"],  # type: ignore[typeddict-item]
                        "from": self.participation_id,
                    },
                )
        elif kind in PERSON_COMMANDS:
            await self._person_command(kind, to or 0)
        elif kind in ("hold", "resume", "hold-offer", "join"):
            await self._send({"type": "error", "code": "not_in_group_call"})
        else:
            await self._handle(message, None)

    async def _signal(self, message: Incoming, to: int | None) -> None:
        member = self.told.get(to or 0)
        if member is None:
            await self._send({"type": "error", "code": "peer_absent"})
            return
        text = json.dumps({**message, "from": self.participation_id})
        await self._relay(
            member.channel, {"type": "call.signal", "text": text, "from": self.participation_id}
        )

    async def _person_command(self, kind: str, pid: int) -> None:
        """The therapist holds, brings back or removes one client, or notes that others
        are with them on their device; the call goes on for everyone else."""
        member = self.told.get(pid)
        if self.role != THERAPIST or self.participation_id is None:
            await self._send({"type": "error", "code": "not_therapist"})
            return
        if member is None or member.client_id is None:
            await self._send({"type": "error", "code": "peer_absent"})
            return
        mine, client_id = self.participation_id, member.client_id
        try:
            if kind == "remove-person":
                channels = await database_sync_to_async(
                    services.remove_person, thread_sensitive=False
                )(participation_id=mine, client_id=client_id)
                for channel in channels:
                    await self._send_to(channel, {"type": "call.removed"})
                for other in list(self.roster.values()):
                    if other.id != pid:
                        await self._send_to(
                            other.channel, {"type": "mesh.left", "id": pid, "ended": True}
                        )
                await self.mesh_left({"id": pid, "ended": True})
            elif kind == "together":
                await database_sync_to_async(services.note_together, thread_sensitive=False)(
                    participation_id=mine, client_id=client_id
                )
                await self._send({"type": "noted", "id": pid})
            else:
                on = kind == "hold-person"
                await database_sync_to_async(services.set_person_hold, thread_sensitive=False)(
                    participation_id=mine, client_id=client_id, on=on
                )
                event = {"type": "mesh.held", "id": pid, "client_id": client_id, "on": on}
                for other in list(self.roster.values()):
                    await self._send_to(other.channel, event)
                await self.mesh_held(event)
        except PermissionDenied:
            await self._send({"type": "error", "code": "not_therapist"})

    async def _leave(self, *, ended: bool) -> None:
        participation_id, self.participation_id = self.participation_id, None
        if participation_id is None:
            return
        result = await database_sync_to_async(services.leave_call)(
            participation_id=participation_id, ended=ended
        )
        if not result.left:
            return
        for member in list(self.roster.values()):
            await self._send_to(
                member.channel, {"type": "mesh.left", "id": participation_id, "ended": ended}
            )

    async def _check_access(self, *, beat: bool) -> bool:
        """As the two-person call's, and then the roster against the database (someone whose
        app process died is gone from it without saying so)."""
        if not await super()._check_access(beat=beat):
            return False
        if beat:
            await self._refresh_roster()
        return True

    async def beaten(self, *, current: bool, peer_channel: str | None) -> None:
        """As the two-person call's, and the roster refreshed after each beat."""
        await super().beaten(current=current, peer_channel=peer_channel)
        if current and not self.revoked:
            await self._refresh_roster()

    async def _refresh_roster(self) -> None:
        if self.session_id is None or self.participation_id is None:
            return
        try:
            self.roster = await database_sync_to_async(roster_of, thread_sensitive=False)(
                self.session_id, exclude=self.participation_id
            )
        except Exception:
            return
        await self._sync_page()

    # --- Channel-layer handlers ---------------------------------------------------------

    async def mesh_joined(self, event: dict[str, Any]) -> None:
        if self.revoked or self.participation_id is None or event["id"] == self.participation_id:
            return
        member = Member(
            id=event["id"],
            user_id=event["user_id"],
            channel=event["channel"],
            role=event["role"],
            name=event["name"],
            location=event.get("location"),
            client_id=event.get("client_id"),
        )
        # Their older connection (a reload, another device) is replaced by this one.
        for pid in [p for p, m in self.roster.items() if m.user_id == member.user_id]:
            del self.roster[pid]
        self.roster[member.id] = member
        await self._sync_page()

    async def mesh_left(self, event: dict[str, Any]) -> None:
        if self.revoked or self.participation_id is None:
            return
        pid = event["id"]
        self.roster.pop(pid, None)
        if pid in self.told and event.get("ended"):
            del self.told[pid]
            await self._send({"type": "left", "id": pid, "ended": True})
        await self._sync_page()

    async def mesh_held(self, event: dict[str, Any]) -> None:
        if self.revoked or self.participation_id is None:
            return
        if event["on"]:
            self.held.add(event["client_id"])
        else:
            self.held.discard(event["client_id"])
        if event["id"] == self.participation_id:
            await self._send({"type": "hold", "on": bool(event["on"])})
        elif event["id"] in self.told:
            await self._send({"type": "held", "id": event["id"], "on": bool(event["on"])})

    async def call_removed(self, event: dict[str, Any]) -> None:
        self.participation_id = None  # marked gone by the service
        self.revoked = True
        await self._send({"type": "removed"})
        await self.close(code=CLOSE_FORBIDDEN)

    async def call_signal(self, event: dict[str, Any]) -> None:
        # Only from someone in the call (their connection checked that they may see this
        # person; this one may not have heard of them yet: the page keeps it until it has).
        sender = event.get("from")
        if sender not in self.told and sender not in self.roster:
            return
        await super().call_signal(event)

    async def call_media(self, event: dict[str, Any]) -> None:
        if self.revoked or self.participation_id is None or event.get("from") not in self.told:
            return
        await self._send(
            {
                "type": "peer-media",
                "from": event["from"],
                "audio": event["audio"],
                "video": event["video"],
            }
        )

    async def call_peer_left(self, event: dict[str, Any]) -> None:
        return  # the two-person call's; the roster says who left here

    async def call_peer_joined(self, event: dict[str, Any]) -> None:
        return


def _wire(member: Member) -> dict[str, Any]:
    return {
        "id": member.id,
        "user_id": member.user_id,
        "channel": member.channel,
        "role": member.role,
        "name": member.name,
        "location": member.location,
        "client_id": member.client_id,
    }
