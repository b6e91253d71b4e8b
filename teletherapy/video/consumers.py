"""Signaling for one Teletherapy call: relays offers, answers and ICE candidates between the
appointment's two participants, and tells each whether the other is there.

Shaped in three parts: socket events, command handlers, channel-layer handlers. A message is
only ever sent to the other participant's current channel (looked up in the database), so
this works across app processes on Redis; never to a group, never back to the sender. The one
exception is the held offer, also given to the other participant's connection waiting ahead
(?wait=1, admitted like any other), which asked for it; that page applies it but answers only
when the person presses Start.
"""

from __future__ import annotations

import json
import logging
import secrets
from dataclasses import dataclass
from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.core.exceptions import PermissionDenied
from django.http import Http404

from teletherapy.video import services
from teletherapy.video.access import get_call_for, recheck_participation
from teletherapy.video.messages import BadMessage, Incoming, SessionDescription, parse
from teletherapy.video.models import Participation, VideoSession

log = logging.getLogger(__name__)

CLOSE_UNAUTHENTICATED = 4401
CLOSE_FORBIDDEN = 4403
CLOSE_NOT_FOUND = 4404
CLOSE_REPLACED = 4409
CLOSE_LOCATION_REQUIRED = 4428


class LocationRequired(PermissionDenied):
    pass


@dataclass
class Admission:
    role: str
    participation_id: int | None
    session_id: int | None
    replaced_channels: list[str]
    peer_channel: str | None
    client_location: dict[str, Any] | None


def _location_payload(appointment: Any, code: str) -> dict[str, Any] | None:
    view = services.location_view(code, appointment.therapist)
    if view is None:
        return None
    return {"code": view.code, "name": view.name, "licensed": view.licensed}


def _offer_in(message: Incoming) -> SessionDescription | None:
    if message["type"] != "signal":
        return None
    description = message.get("description")
    return description if description is not None and description["type"] == "offer" else None


def _fresh(user: Any) -> Any:
    """The user as the database has them now: roles, Teletherapy and activity can change."""
    from teletherapy.accounts.models import User

    return User.objects.filter(pk=user.pk).select_related("staff", "client").first()


class CallConsumer(AsyncWebsocketConsumer):
    appointment_id: int
    admission: Admission
    waiting: bool = False
    held_offer: SessionDescription | None = None
    held_offer_token: str = ""
    # Waiting ahead: the token of the other participant's held offer this browser was given.
    offer_ahead: str | None = None
    role: str = ""
    participation_id: int | None = None
    session_id: int | None = None

    # --- Socket events ----------------------------------------------------------------------

    async def connect(self) -> None:
        user = self.scope.get("user")
        self.appointment_id = int(self.scope["url_route"]["kwargs"]["appointment_id"])
        # The other participant's connections waiting ahead that asked for our held offer.
        self.offer_readers: set[str] = set()
        if user is None or not user.is_authenticated:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        # ?wait=1: connect ahead (while the person checks their devices) and be present only
        # after a "join" command; the access checks are the same either way.
        self.waiting = b"wait=1" in self.scope.get("query_string", b"").split(b"&")
        if not await self._admit_or_refuse(user, join=not self.waiting):
            return
        await self.accept()
        if not self.waiting:
            await self._announce()
        elif self.admission.peer_channel is not None:
            # Ask for the other participant's held offer, so the page can apply it during the
            # device check and answer it at once on Start (nothing is sent back before that).
            await self.channel_layer.send(
                self.admission.peer_channel,
                {"type": "call.offer_wanted", "channel": self.channel_name, "role": self.role},
            )

    async def _admit_or_refuse(self, user: Any, *, join: bool) -> bool:
        try:
            admission = await self._admit(user, join=join)
        except Http404:
            await self._refuse(user, "not_found", CLOSE_NOT_FOUND)
            return False
        except LocationRequired:
            await self._refuse(user, "location_required", CLOSE_LOCATION_REQUIRED)
            return False
        except PermissionDenied:
            await self._refuse(user, "forbidden", CLOSE_FORBIDDEN)
            return False
        self.role = admission.role
        self.admission = admission
        if admission.participation_id is not None:
            self.participation_id = admission.participation_id
            self.session_id = admission.session_id
        return True

    async def _announce(self) -> None:
        """Tell this connection who is there, replace the person's older connections and tell
        the other participant they arrived."""
        admission = self.admission
        for channel in admission.replaced_channels:
            await self.channel_layer.send(channel, {"type": "call.replaced"})
        welcome: dict[str, Any] = {
            "type": "welcome",
            "role": self.role,
            # The client is the polite peer: on an offer collision it yields.
            "polite": self.role == Participation.Role.CLIENT,
            "peer_present": admission.peer_channel is not None,
        }
        if self.role == Participation.Role.THERAPIST:
            welcome["client_location"] = admission.client_location
        # The one waiting holds an offer ready: tell them first, it is what the call waits on.
        if admission.peer_channel is not None:
            await self.channel_layer.send(
                admission.peer_channel,
                {
                    "type": "call.peer_joined",
                    "client_location": admission.client_location,
                    "channel": self.channel_name,
                    "offer_ahead": self.offer_ahead,
                },
            )
        await self._send(welcome)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if self.participation_id is None and not self.waiting:
            return
        try:
            message = parse(text_data, bytes_data)
        except BadMessage as exc:
            await self._send({"type": "error", "code": exc.code})
            return
        if self.waiting:
            await self._join_command(message["type"])
            return
        if message["type"] == "join":
            await self._send({"type": "error", "code": "already_joined"})
            return
        try:
            current, peer = await self._recheck()
        except (Http404, PermissionDenied):
            await self._send({"type": "error", "code": "forbidden"})
            await self._leave(ended=False)
            await self.close(code=CLOSE_FORBIDDEN)
            return
        if not current:
            # This connection was replaced by a newer one of the same person.
            await self._send({"type": "replaced"})
            self.participation_id = None
            await self.close(code=CLOSE_REPLACED)
            return
        await self._handle(message, peer)

    async def disconnect(self, code: int) -> None:
        await self._drop_held_offer()
        await self._leave(ended=False)

    # --- Command handlers -------------------------------------------------------------------

    async def _join_command(self, kind: str) -> None:
        if kind != "join":
            await self._send({"type": "error", "code": "not_joined"})
            return
        self.waiting = False
        if not await self._admit_or_refuse(self.scope["user"], join=True):
            return
        await self._announce()

    async def _handle(self, message: Incoming, peer: str | None) -> None:
        kind = message["type"]
        if kind == "ping":
            await self._send({"type": "pong"})
        elif kind == "end":
            await self._leave(ended=True)
            await self._send({"type": "ended"})
            await self.close(code=1000)
        elif peer is None and (offer := _offer_in(message)) is not None:
            # Alone: keep the offer (in memory, for this connection only) and hand it over
            # the moment the other person arrives, without a round trip to this browser.
            self.held_offer = offer
            self.held_offer_token = secrets.token_urlsafe(12)
            await self._give_offer_ahead(self.offer_readers)
        elif peer is None:
            await self._send({"type": "error", "code": "peer_absent"})
        elif kind == "signal":
            payload = {k: v for k, v in message.items() if k in ("description", "candidate")}
            await self.channel_layer.send(peer, {"type": "call.signal", "payload": payload})
        elif kind == "media":
            await self.channel_layer.send(
                peer,
                {"type": "call.media", "audio": message["audio"], "video": message["video"]},  # type: ignore[typeddict-item]
            )

    # --- Channel-layer handlers -------------------------------------------------------------

    async def call_signal(self, event: dict[str, Any]) -> None:
        await self._send({"type": "signal", **event["payload"]})

    async def call_media(self, event: dict[str, Any]) -> None:
        await self._send({"type": "peer-media", "audio": event["audio"], "video": event["video"]})

    async def call_peer_joined(self, event: dict[str, Any]) -> None:
        message: dict[str, Any] = {"type": "peer-joined"}
        if self.role == Participation.Role.THERAPIST:
            message["client_location"] = event.get("client_location")
        offer, self.held_offer = self.held_offer, None
        readers, self.offer_readers = self.offer_readers, set()
        readers.discard(event.get("channel", ""))
        if offer is not None:
            await self._give_offer_ahead(readers, withdraw=True)  # another device of theirs
        if offer is not None and event.get("offer_ahead") == self.held_offer_token:
            # Handed over while they waited ahead: their answer is already on its way.
            message["offer_sent"] = True
        elif offer is not None and event.get("channel") and self.participation_id is not None:
            # Check access again, as for any command, before the offer goes out.
            try:
                current, _peer = await self._recheck()
            except (Http404, PermissionDenied):
                current = False
            if current:
                await self.channel_layer.send(
                    event["channel"], {"type": "call.signal", "payload": {"description": offer}}
                )
                message["offer_sent"] = True
        await self._send(message)

    async def call_peer_left(self, event: dict[str, Any]) -> None:
        await self._drop_held_offer()
        await self._send({"type": "peer-left", "ended": bool(event.get("ended"))})

    async def call_offer_wanted(self, event: dict[str, Any]) -> None:
        """The other participant connected ahead (?wait=1): give them our held offer now and
        whenever it changes, until they arrive."""
        if self.participation_id is None or event.get("role") in (None, self.role):
            return
        if len(self.offer_readers) < 8:  # a few devices of one person, not a flood
            self.offer_readers.add(event["channel"])
        if self.held_offer is None or event["channel"] not in self.offer_readers:
            return
        # Check access again, as for any command, before the offer goes out.
        try:
            current, _peer = await self._recheck()
        except (Http404, PermissionDenied):
            current = False
        if current:
            await self._give_offer_ahead({event["channel"]})

    async def call_offer_ahead(self, event: dict[str, Any]) -> None:
        """While waiting ahead: the other participant's held offer (or None: withdrawn). The
        page may apply it, but answers only once the person presses Start."""
        if not self.waiting or event.get("role") in (None, self.role):
            return
        description = event.get("description")
        if description is not None:
            # Access again, as on connect, before the offer reaches this browser.
            try:
                await self._admit(self.scope["user"], join=False)
            except (Http404, PermissionDenied):
                return
        self.offer_ahead = event["token"] if description is not None else None
        await self._send({"type": "held-offer", "description": description})

    async def call_replaced(self, event: dict[str, Any]) -> None:
        self.participation_id = None  # The new connection owns the presence now.
        await self._send({"type": "replaced"})
        await self.close(code=CLOSE_REPLACED)

    # --- Helpers ----------------------------------------------------------------------------

    async def _send(self, message: dict[str, Any]) -> None:
        await self.send(text_data=json.dumps(message))

    async def _refuse(self, user: Any, reason: str, code: int) -> None:
        await database_sync_to_async(services.record_refusal)(
            user=user, appointment_id=self.appointment_id, reason=reason
        )
        await self.close(code=code)

    async def _give_offer_ahead(self, channels: set[str], *, withdraw: bool = False) -> None:
        for channel in channels:
            await self.channel_layer.send(
                channel,
                {
                    "type": "call.offer_ahead",
                    "role": self.role,
                    "description": None if withdraw else self.held_offer,
                    "token": self.held_offer_token,
                },
            )

    async def _drop_held_offer(self) -> None:
        if self.held_offer is not None:
            self.held_offer = None
            await self._give_offer_ahead(self.offer_readers, withdraw=True)

    async def _leave(self, *, ended: bool) -> None:
        participation_id, self.participation_id = self.participation_id, None
        if participation_id is None:
            return
        result = await database_sync_to_async(services.leave_call)(
            participation_id=participation_id, ended=ended
        )
        if result.left and result.peer_channel:
            await self.channel_layer.send(
                result.peer_channel, {"type": "call.peer_left", "ended": ended}
            )

    async def _admit(self, user: Any, *, join: bool) -> Admission:
        # Off the shared sync thread, so page loads elsewhere don't hold up a person arriving.
        return await database_sync_to_async(self._admit_sync, thread_sensitive=False)(
            user, join=join
        )

    def _admit_sync(self, user: Any, *, join: bool) -> Admission:
        appointment, role = get_call_for(_fresh(user), self.appointment_id)
        session = VideoSession.objects.filter(appointment=appointment).first()
        location = session.client_location if session else ""
        if role == Participation.Role.CLIENT and not location:
            raise LocationRequired("State where you are before joining.")
        admission = Admission(
            role=role,
            participation_id=None,
            session_id=None,
            replaced_channels=[],
            peer_channel=None,
            client_location=_location_payload(appointment, location),
        )
        if not join and session is not None:
            admission.peer_channel = services.peer_channel(session_id=session.pk, role=role)
        if join:
            result = services.join_call(
                appointment=appointment, user=user, role=role, channel_name=self.channel_name
            )
            admission.participation_id = result.participation.pk
            admission.session_id = result.participation.session_id
            admission.replaced_channels = result.replaced_channels
            admission.peer_channel = result.peer_channel
        return admission

    async def _recheck(self) -> tuple[bool, str | None]:
        # Off the shared sync thread, so page loads elsewhere don't hold up the relay.
        return await database_sync_to_async(self._recheck_sync, thread_sensitive=False)()

    def _recheck_sync(self) -> tuple[bool, str | None]:
        """Access again for this command: (whether this connection is still the person's
        current one, the other participant's channel or None when they are not there)."""
        assert self.participation_id is not None and self.session_id is not None
        row = recheck_participation(
            participation_id=self.participation_id, channel_name=self.channel_name
        )
        if row is None:
            return False, None
        return True, row.peer_channel  # type: ignore[attr-defined]
