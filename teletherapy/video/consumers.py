"""Signaling for one Teletherapy call: relays offers, answers and ICE candidates between the
appointment's two participants, and tells each whether the other is there.

Shaped in three parts: socket events, command handlers, channel-layer handlers. A message is
only ever sent to the other participant's current channel, so this works across app processes
on Redis; never to a group, never back to the sender. The one exception is the pending offer,
also given to the other participant's connection waiting ahead (?wait=1, admitted like any
other), which asked for it; that page applies it but answers only when the person presses
Start.

The pending offer: a participant alone keeps at most one offer here ("hold-offer", with an id
of the page's choosing), in this connection's memory. The owner replaces it (the 10-minute
renewal: acknowledged with "offer-held"), and it goes when they leave. When the other
participant arrives it is taken, in one step, in this consumer's message order: if the
arrival claims the id it applied ahead, the claim is granted ("offer-taken": send the answer
you made); any other claim is refused (the applied offer is "withdrawn") and the current
offer, if any, is sent as a plain signal. The owner's page is told which id was taken
("peer-joined" with "offer"), so no one ever answers a stale offer.

Relaying costs no query: the connection keeps its participation and the other participant's
current channel in memory, kept up to date by the channel-layer messages it receives (peer
joined, left, replaced). Access stays exact because every change that can end it pushes a
check to the connections concerned (see revoke.py) through their control groups (a group per
person and per appointment, for those messages only); a timer checks again right after the
launch window closes, and every SIGNALING_ACCESS_RECHECK_SECONDS; presence is refreshed every
SIGNALING_RECHECK_SECONDS, so a connection whose app process died is soon gone. Cleanup runs
however the connection ends.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from channels.consumer import get_handler_name
from channels.db import aclose_old_connections, database_sync_to_async
from channels.exceptions import ChannelFull, StopConsumer
from channels.generic.websocket import AsyncWebsocketConsumer
from channels.layers import get_channel_layer
from channels.utils import await_many_dispatch
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils import timezone

from teletherapy.video import presence, services
from teletherapy.video.access import CallClosed, get_call_for, recheck_participation, signed_in
from teletherapy.video.limits import RefusalTally, TokenBucket
from teletherapy.video.messages import (
    BadMessage,
    HoldOfferMessage,
    Incoming,
    PendingOffer,
    QualityMessage,
    parse,
)
from teletherapy.video.models import Participation, VideoSession
from teletherapy.video.reports import QualityInbox
from teletherapy.video.revoke import appointment_group, user_group

log = logging.getLogger(__name__)

CLOSE_UNAUTHENTICATED = 4401
CLOSE_FORBIDDEN = 4403
CLOSE_NOT_FOUND = 4404
CLOSE_REPLACED = 4409
CLOSE_LOCATION_REQUIRED = 4428
CLOSE_FLOODING = 4429

# Messages handled without the database: skip Channels' per-message connection cleanup (a
# thread hop each). Handlers that do use the database go through database_sync_to_async,
# which cleans up old connections itself.
_NO_DATABASE = frozenset(
    {
        "websocket.receive",
        "call.signal",
        "call.media",
        "call.hold",
        "call.peer_left",
        "call.offer_verdict",
    }
)
# Waits before retrying a send the channel layer refused (Redis briefly away).
_SEND_RETRIES = (0.05, 0.2, 0.5)

REFUSALS = RefusalTally()


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
    closes: datetime | None = None
    on_hold: bool = False


@dataclass
class AccessCheck:
    """The outcome of checking a connection's access again: 'ok', 'replaced' (a newer
    connection of the same person took over), 'ended' (the therapist ended the session for
    everyone), 'signed_out' or 'forbidden'."""

    outcome: str
    peer_channel: str | None = None
    closes: datetime | None = None


def _location_payload(appointment: Any, code: str) -> dict[str, Any] | None:
    view = services.location_view(code, appointment.therapist)
    if view is None:
        return None
    return {"code": view.code, "name": view.name, "licensed": view.licensed}


def _fresh(user: Any) -> Any:
    """The user as the database has them now: roles, Teletherapy and activity can change."""
    from teletherapy.accounts.models import User

    return User.objects.filter(pk=user.pk).select_related("staff", "client").first()


class CallConsumer(AsyncWebsocketConsumer):
    appointment_id: int
    admission: Admission
    waiting: bool = False
    # Alone: the one offer kept for the other participant (see the module's docstring).
    pending: PendingOffer | None = None
    # On join: the id of the other participant's pending offer this page applied ahead.
    claim: int | None = None
    role: str = ""
    participation_id: int | None = None
    session_id: int | None = None
    # The other participant's current channel (None: not there), kept from channel messages.
    peer_channel: str | None = None
    # When the launch window closes; the watcher checks access again right after it.
    closes: datetime | None = None
    # Access is gone (or the connection is flooding): relay nothing more, either way.
    revoked: bool = False
    session_key: str | None = None
    control_groups: tuple[str, ...] = ()
    _watcher: asyncio.Task[None] | None = None
    _cleaned: bool = False
    _throttle_notice: float = 0.0

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        """As Channels' own, except that a channel-layer hiccup (Redis away for a moment, a
        timeout) is retried instead of ending the call, and the cleanup (leaving, presence,
        groups) runs however the connection ends: a crash or a cancelled task too, not only
        a clean disconnect."""
        self.scope = scope
        self.channel_layer = get_channel_layer(self.channel_layer_alias)
        self.channel_name = await self.channel_layer.new_channel()
        self.base_send = send
        self.quality = QualityInbox()
        try:
            await await_many_dispatch([receive, self._layer_receive], self.dispatch)
        except StopConsumer:
            pass
        finally:
            await self._cleanup()

    async def _layer_receive(self) -> Any:
        delay = 0.1
        while True:
            try:
                return await self.channel_layer.receive(self.channel_name)
            except Exception:
                log.warning("Channel layer receive failed; retrying", exc_info=True)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 2.0)

    async def dispatch(self, message: dict[str, Any]) -> None:
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        if message["type"] not in _NO_DATABASE:
            await aclose_old_connections()
        await handler(message)

    # --- Socket events ----------------------------------------------------------------------

    async def connect(self) -> None:
        user = self.scope.get("user")
        self.appointment_id = int(self.scope["url_route"]["kwargs"]["appointment_id"])
        # The other participant's connections waiting ahead that asked for our held offer.
        self.offer_readers: set[str] = set()
        self.bucket = TokenBucket(settings.SIGNALING_RATE_PER_SECOND, settings.SIGNALING_BURST)
        # Drops allowed before a flood is taken as abuse and the connection closed.
        self.drops = TokenBucket(settings.SIGNALING_RATE_PER_SECOND, 5 * settings.SIGNALING_BURST)
        self._rearm = asyncio.Event()
        if user is None or not user.is_authenticated:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        session = self.scope.get("session")
        self.session_key = session.session_key if session is not None else None
        # Join the control groups before the access check, so that a change landing between
        # the check and the accept still reaches this connection.
        await self._join_control_groups(user.pk)
        # ?wait=1: connect ahead (while the person checks their devices) and be present only
        # after a "join" command; the access checks are the same either way.
        self.waiting = b"wait=1" in self.scope.get("query_string", b"").split(b"&")
        if not await self._admit_or_refuse(user, join=not self.waiting):
            return
        await self.accept()
        self._watcher = asyncio.create_task(self._watch())
        presence.beater().add(self)
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
        self.peer_channel = admission.peer_channel
        self.closes = admission.closes
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
        if admission.on_hold:
            welcome["on_hold"] = True
        # The one waiting holds an offer ready: tell them first, it is what the call waits on.
        if admission.peer_channel is not None:
            await self.channel_layer.send(
                admission.peer_channel,
                {
                    "type": "call.peer_joined",
                    "client_location": admission.client_location,
                    "channel": self.channel_name,
                    "offer_claim": self.claim,
                },
            )
        await self._send(welcome)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if self.revoked or (self.participation_id is None and not self.waiting):
            return
        if not self.bucket.take():
            await self._throttled()
            return
        try:
            message = parse(text_data, bytes_data)
        except BadMessage as exc:
            await self._send({"type": "error", "code": exc.code})
            return
        if self.waiting:
            await self._join_command(message)
            return
        if message["type"] == "join":
            await self._send({"type": "error", "code": "already_joined"})
            return
        # No query here: a change of access has been pushed to this connection already.
        await self._handle(message, self.peer_channel)

    async def disconnect(self, code: int) -> None:
        await self._cleanup()

    # --- Command handlers -------------------------------------------------------------------

    async def _join_command(self, message: Incoming) -> None:
        if message["type"] != "join":
            await self._send({"type": "error", "code": "not_joined"})
            return
        self.claim = message.get("offer")
        self.waiting = False
        if not await self._admit_or_refuse(self.scope["user"], join=True):
            return
        await self._announce()

    async def _handle(self, message: Incoming, peer: str | None) -> None:
        kind = message["type"]
        if kind == "ping":
            await self._send({"type": "pong"})
        elif kind == "end":
            await self._end_for_everyone()
        elif kind == "leave":
            await self._leave(ended=True)
            await self._send({"type": "left"})
            await self.close(code=1000)
        elif kind in ("hold", "resume"):
            await self._hold(on=kind == "hold", peer=peer)
        elif kind == "hold-offer":
            await self._hold_offer(message)  # type: ignore[arg-type]
        elif kind == "quality":
            await self._quality_report(message)  # type: ignore[arg-type]
        elif peer is None:
            await self._send({"type": "error", "code": "peer_absent"})
        elif kind == "signal":
            # Serialized once, here: the other side sends the text as it is.
            await self._relay(peer, {"type": "call.signal", "text": json.dumps(message)})
        elif kind == "media":
            await self._relay(
                peer,
                {"type": "call.media", "audio": message["audio"], "video": message["video"]},  # type: ignore[typeddict-item]
            )

    async def _hold_offer(self, message: HoldOfferMessage) -> None:
        """Alone: keep the offer (replacing any before it) and hand it over the moment the
        other person arrives, without a round trip to this browser."""
        if self.peer_channel is not None:
            # They arrived first: the page hears which offer they took from "peer-joined".
            await self._send({"type": "error", "code": "peer_present"})
            return
        self.pending = {"id": message["id"], "description": message["description"]}
        await self._give_offer_ahead(self.offer_readers)
        await self._send({"type": "offer-held", "id": message["id"]})

    async def _end_for_everyone(self) -> None:
        """The therapist only: close the session record and every connection of the call (the
        service pushes the end to them through the appointment's control group)."""
        if self.role != Participation.Role.THERAPIST:
            await self._send({"type": "error", "code": "not_therapist"})
            return
        try:
            await database_sync_to_async(self._end_sync, thread_sensitive=False)()
        except CallClosed as closed:
            if closed.state != "ended":  # ended already (another tab): so it is, here too
                await self._send({"type": "error", "code": "forbidden"})
                return
        except (Http404, PermissionDenied):
            await self._send({"type": "error", "code": "not_therapist"})
            return
        self.participation_id = None  # the end marked everyone gone
        self.revoked = True
        await self._send({"type": "ended"})
        await self.close(code=1000)

    def _end_sync(self) -> None:
        assert self.participation_id is not None
        row = recheck_participation(
            participation_id=self.participation_id, channel_name=self.channel_name
        )
        if row is None:
            raise PermissionDenied("Not the person's current connection.")
        services.end_for_everyone(appointment=row.session.appointment, by=row.user)

    async def _hold(self, *, on: bool, peer: str | None) -> None:
        """The therapist only: hold or resume the client (recorded), then tell both pages."""
        if self.role != Participation.Role.THERAPIST:
            await self._send({"type": "error", "code": "not_therapist"})
            return
        try:
            await database_sync_to_async(services.set_hold, thread_sensitive=False)(
                participation_id=self.participation_id, on=on
            )
        except PermissionDenied:
            await self._send({"type": "error", "code": "not_therapist"})
            return
        if peer is not None:
            await self._relay(peer, {"type": "call.hold", "on": on})
        await self._send({"type": "hold", "on": on})

    async def _quality_report(self, message: QualityMessage) -> None:
        """Keep it for the session's quality record (written in the background); one too soon
        after the last is dropped. Either way the call goes on."""
        if self.participation_id is not None and not self.quality.accept(
            self.participation_id, message
        ):
            await self._send({"type": "error", "code": "quality_too_frequent"})

    async def _throttled(self) -> None:
        """Beyond the rate: drop the message and say so (once a second); close on a flood."""
        now = time.monotonic()
        if not self.drops.take(now):
            log.warning("Closing a signaling connection that kept flooding")
            await self._send({"type": "error", "code": "rate_limited"})
            self.revoked = True
            await self._leave(ended=False)
            await self.close(code=CLOSE_FLOODING)
        elif now - self._throttle_notice >= 1.0:
            self._throttle_notice = now
            await self._send({"type": "error", "code": "rate_limited"})

    # --- Channel-layer handlers -------------------------------------------------------------

    async def call_signal(self, event: dict[str, Any]) -> None:
        if self.revoked or self.participation_id is None:
            return
        if "text" in event:  # relayed: parsed, validated and serialized by the sender
            await self.send(text_data=event["text"])
        else:
            await self._send({"type": "signal", **event["payload"]})

    async def call_media(self, event: dict[str, Any]) -> None:
        if self.revoked or self.participation_id is None:
            return
        await self._send({"type": "peer-media", "audio": event["audio"], "video": event["video"]})

    async def call_hold(self, event: dict[str, Any]) -> None:
        if self.revoked or self.participation_id is None:
            return
        await self._send({"type": "hold", "on": bool(event.get("on"))})

    async def call_revoke(self, event: dict[str, Any]) -> None:
        """Something that can end this connection's access changed: check it now."""
        await self._check_access(beat=False)

    async def call_peer_joined(self, event: dict[str, Any]) -> None:
        if self.revoked:
            return
        if event.get("channel"):
            self.peer_channel = event["channel"]
        message: dict[str, Any] = {"type": "peer-joined"}
        if self.role == Participation.Role.THERAPIST:
            message["client_location"] = event.get("client_location")
        # Take the pending offer, in this consumer's order: a replacement or a withdrawal
        # is either before this (and the claim is stale) or after (and refused).
        pending, self.pending = self.pending, None
        joiner = event.get("channel") or ""
        claim = event.get("offer_claim")
        readers, self.offer_readers = self.offer_readers, set()
        readers.discard(joiner)
        if pending is not None:
            # Another device of theirs.
            await self._give_offer_ahead(readers, withdraw=True, pending=pending)
        if pending is not None and joiner and claim == pending["id"]:
            # Applied ahead and answered on Start: their answer may go out now.
            await self._send_to(joiner, {"type": "call.offer_verdict", "id": claim, "taken": True})
            message["offer"] = claim
        else:
            if joiner and claim is not None:
                await self._send_to(
                    joiner, {"type": "call.offer_verdict", "id": claim, "taken": False}
                )
            if pending is not None and joiner and self.participation_id is not None:
                # Check access again, as for any command, before the offer goes out.
                try:
                    current, _peer = await self._recheck()
                except (Http404, PermissionDenied):
                    current = False
                if current:
                    await self._send_to(
                        joiner,
                        {"type": "call.signal", "payload": {"description": pending["description"]}},
                    )
                    message["offer"] = pending["id"]
        await self._send(message)

    async def call_peer_left(self, event: dict[str, Any]) -> None:
        if self.revoked:
            return
        # Only the peer's current connection leaving means they are gone.
        if event.get("channel") not in (None, self.peer_channel):
            return
        self.peer_channel = None
        await self._drop_pending_offer()
        await self._send({"type": "peer-left", "ended": bool(event.get("ended"))})

    async def call_offer_wanted(self, event: dict[str, Any]) -> None:
        """The other participant connected ahead (?wait=1): give them our held offer now and
        whenever it changes, until they arrive."""
        if self.participation_id is None or event.get("role") in (None, self.role):
            return
        if len(self.offer_readers) < 8:  # a few devices of one person, not a flood
            self.offer_readers.add(event["channel"])
        if self.pending is None or event["channel"] not in self.offer_readers:
            return
        # Check access again, as for any command, before the offer goes out.
        try:
            current, _peer = await self._recheck()
        except (Http404, PermissionDenied):
            current = False
        if current:
            await self._give_offer_ahead({event["channel"]})

    async def call_offer_ahead(self, event: dict[str, Any]) -> None:
        """While waiting ahead: the other participant's pending offer (or None: withdrawn).
        The page may apply it, but answers only once the person presses Start (and its claim
        on the id is granted)."""
        if not self.waiting or event.get("role") in (None, self.role):
            return
        description = event.get("description")
        if description is not None:
            # Access again, as on connect, before the offer reaches this browser.
            try:
                await self._admit(self.scope["user"], join=False)
            except (Http404, PermissionDenied):
                return
        await self._send({"type": "held-offer", "id": event["id"], "description": description})

    async def call_offer_verdict(self, event: dict[str, Any]) -> None:
        """Joined with a claim on the other's pending offer: granted (send the answer made
        to it) or refused (it was replaced or withdrawn: drop it; the current one follows)."""
        if self.revoked or self.participation_id is None or event.get("id") != self.claim:
            return
        self.claim = None
        if event.get("taken"):
            await self._send({"type": "offer-taken", "id": event["id"]})
        else:
            await self._send({"type": "held-offer", "id": event["id"], "description": None})

    async def call_replaced(self, event: dict[str, Any]) -> None:
        self.participation_id = None  # The new connection owns the presence now.
        await self._send({"type": "replaced"})
        await self.close(code=CLOSE_REPLACED)

    # --- Helpers ----------------------------------------------------------------------------

    async def _send(self, message: dict[str, Any]) -> None:
        await self.send(text_data=json.dumps(message))

    async def _refuse(self, user: Any, reason: str, code: int) -> None:
        self.revoked = True  # closing: nothing more is handled on this connection
        # Aggregated: a client retrying in a loop must not write an audit row each time.
        repeated = REFUSALS.admit(getattr(user, "pk", None), self.appointment_id, reason)
        if repeated is not None:
            await database_sync_to_async(services.record_refusal)(
                user=user, appointment_id=self.appointment_id, reason=reason, repeated=repeated
            )
        await self.close(code=code)

    async def _send_to(self, channel: str, event: dict[str, Any]) -> bool:
        """Send on the channel layer; retry a Redis hiccup a few times. A full channel is
        refused at once: waiting here would stop this connection draining its own inbox,
        and under load the two sides of a call then wait on each other (measured: 200 rooms
        relayed 67 messages a second, the rest refused after the waits)."""
        for delay in (0.0, *_SEND_RETRIES):
            if delay:
                await asyncio.sleep(delay)
            try:
                await self.channel_layer.send(channel, event)
                return True
            except ChannelFull as exc:
                failure: Exception = exc
                break
            except Exception as exc:
                failure = exc
        log.warning("Could not send %s: %s", event.get("type"), type(failure).__name__)
        return False

    async def _relay(self, channel: str, event: dict[str, Any]) -> None:
        if not await self._send_to(channel, event):
            # The call goes on; the page can resend (or restart ICE).
            await self._send({"type": "error", "code": "relay_failed"})

    async def _join_control_groups(self, user_id: int) -> None:
        self.control_groups = (user_group(user_id), appointment_group(self.appointment_id))
        for group in self.control_groups:
            try:
                await self.channel_layer.group_add(group, self.channel_name)
            except Exception:
                # The periodic check still covers this connection.
                log.warning("Could not join a control group", exc_info=True)

    async def _cleanup(self) -> None:
        """Leave, withdraw a held offer and the control groups: once, however it ended."""
        if self._cleaned:
            return
        self._cleaned = True
        if self._watcher is not None:
            self._watcher.cancel()
        presence.beater().discard(self)
        steps = [self._drop_pending_offer(), self.quality.close(), self._leave(ended=False)]
        steps += [
            self.channel_layer.group_discard(g, self.channel_name) for g in self.control_groups
        ]
        for step in steps:
            try:
                await step
            except Exception:
                log.warning("Cleanup step failed for a signaling connection", exc_info=True)

    # --- Access, again ----------------------------------------------------------------------

    async def _watch(self) -> None:
        """The safety net behind the pushed checks: check access in full every
        SIGNALING_ACCESS_RECHECK_SECONDS and right after the launch window closes (the full
        check is the costly one: at hundreds of connections a full check every few seconds
        took a large share of the server's core). Presence is refreshed in between by the
        app process's one beater (presence.py), which calls beaten()."""
        period = float(settings.SIGNALING_RECHECK_SECONDS)
        full_period = max(period, float(settings.SIGNALING_ACCESS_RECHECK_SECONDS))
        # Spread the checks of many connections (jitter, not a secret).
        next_full = time.monotonic() + full_period * random.uniform(0.5, 1.0)  # nosec B311
        while True:
            now = time.monotonic()
            wake, close_at = next_full, None
            if self.closes is not None:
                left = max(0.0, (self.closes - timezone.now()).total_seconds())
                close_at = now + left + 0.2
                wake = min(wake, close_at)
            try:
                await asyncio.wait_for(self._rearm.wait(), timeout=max(0.0, wake - now))
                self._rearm.clear()  # the window moved: work the delay out again
                continue
            except TimeoutError:
                pass
            if not await self._check_access(beat=True):
                return
            if time.monotonic() >= next_full:
                next_full = time.monotonic() + full_period

    async def beaten(self, *, current: bool, peer_channel: str | None) -> None:
        """The process's beater refreshed this connection's presence: take the peer's current
        channel, or, when this is no longer a current participation, let the full check say
        why (replaced, ended, access gone)."""
        if self.revoked or self._cleaned or self.participation_id is None:
            return
        if not current:
            await self._check_access(beat=False)
            return
        await self._peer_is(peer_channel)

    async def _peer_is(self, channel: str | None) -> None:
        if self.participation_id is not None and channel != self.peer_channel:
            gone, self.peer_channel = self.peer_channel is not None, channel
            if gone and channel is None:
                # Their app process died without telling us.
                await self._send({"type": "peer-left", "ended": False})

    async def _check_access(self, *, beat: bool) -> bool:
        """Check access now (and, with `beat`, refresh presence too); close the connection
        when it is gone. Return whether it stays."""
        if self.revoked or (self.participation_id is None and not self.waiting):
            return False
        try:
            check = await database_sync_to_async(self._check_sync, thread_sensitive=False)(
                beat=beat
            )
        except Exception:
            # A database hiccup is not a revoke; the next check tries again.
            log.warning("Could not check a signaling connection's access", exc_info=True)
            return True
        if check.outcome == "ok":
            if check.closes != self.closes:
                self.closes = check.closes
                self._rearm.set()
            await self._peer_is(check.peer_channel)
            return True
        if check.outcome == "replaced":
            self.participation_id = None
            await self._send({"type": "replaced"})
            await self.close(code=CLOSE_REPLACED)
            return False
        if check.outcome == "ended":
            # The therapist ended it for everyone; the service marked everyone gone.
            self.revoked = True
            self.participation_id = None
            await self._send({"type": "session-ended"})
            await self.close(code=1000)
            return False
        self.revoked = True
        signed_out = check.outcome == "signed_out"
        await self._send({"type": "error", "code": "signed_out" if signed_out else "forbidden"})
        await self._leave(ended=False)
        await self.close(code=CLOSE_UNAUTHENTICATED if signed_out else CLOSE_FORBIDDEN)
        return False

    def _check_sync(self, *, beat: bool) -> AccessCheck:
        participation_id = self.participation_id
        if participation_id is None:  # waiting ahead
            user = _fresh(self.scope["user"])
            if user is None or not signed_in(self.session_key, user):
                return AccessCheck("signed_out")
            try:
                appointment, _role = get_call_for(user, self.appointment_id)
            except CallClosed as closed:
                return AccessCheck("ended" if closed.state == "ended" else "forbidden")
            except (Http404, PermissionDenied):
                return AccessCheck("forbidden")
            return AccessCheck("ok", closes=services.join_window(appointment).closes)
        if beat:
            services.beat(participation_id=participation_id, channel_name=self.channel_name)
            if self.session_id is not None:
                services.expire_stale_presence(session_id=self.session_id)
        try:
            row = recheck_participation(
                participation_id=participation_id, channel_name=self.channel_name
            )
        except CallClosed as closed:
            return AccessCheck("ended" if closed.state == "ended" else "forbidden")
        except (Http404, PermissionDenied):
            return AccessCheck("forbidden")
        if row is None:
            gone = VideoSession.objects.filter(pk=self.session_id or 0, closed_at__isnull=False)
            if gone.exists():
                return AccessCheck("ended")
            return AccessCheck("replaced")
        if not signed_in(self.session_key, row.user):
            return AccessCheck("signed_out")
        return AccessCheck(
            "ok",
            peer_channel=row.peer_channel,  # type: ignore[attr-defined]
            closes=services.join_window(row.session.appointment).closes,
        )

    async def _give_offer_ahead(
        self, channels: set[str], *, withdraw: bool = False, pending: PendingOffer | None = None
    ) -> None:
        pending = pending or self.pending
        for channel in channels:
            await self.channel_layer.send(
                channel,
                {
                    "type": "call.offer_ahead",
                    "role": self.role,
                    "description": None if withdraw or pending is None else pending["description"],
                    "id": pending["id"] if pending is not None else None,
                },
            )

    async def _drop_pending_offer(self) -> None:
        if self.pending is not None:
            await self._give_offer_ahead(self.offer_readers, withdraw=True)
            self.pending = None

    async def _leave(self, *, ended: bool) -> None:
        participation_id, self.participation_id = self.participation_id, None
        if participation_id is None:
            return
        result = await database_sync_to_async(services.leave_call)(
            participation_id=participation_id, ended=ended
        )
        if result.left and result.peer_channel:
            # With this connection's channel: only the peer's current one leaving means
            # they are gone (a replaced connection's goodbye may come late).
            await self._send_to(
                result.peer_channel,
                {"type": "call.peer_left", "ended": ended, "channel": self.channel_name},
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
            closes=services.join_window(appointment).closes,
            on_hold=session is not None and session.on_hold_since is not None,
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
