"""The alert socket (/ws/alerts/): one per signed-in person and tab, on every page.

Staff hear when a client they may see checks in to the Telehealth Waiting Room, how long they
have waited, and when they leave; a client in the Waiting Room hears the therapist's words.
Shaped in three parts: socket events, channel-layer handlers, helpers. Access is checked on
connect and again for every event with the scheduling and video access functions (the event
names only an appointment; what the viewer is sent is worked out for them). Sign-out pushes a
check through video's per-person control group (revoke.py); a timer checks again every
ALERT_REFRESH_SECONDS, and then also notices connections whose app process died.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import Http404

from teletherapy.alerts import waiting
from teletherapy.alerts.models import WaitingRoomWord
from teletherapy.alerts.push import user_group
from teletherapy.scheduling.access import get_appointment_for
from teletherapy.video import revoke
from teletherapy.video import services as video
from teletherapy.video.access import get_call_for, signed_in
from teletherapy.video.models import Participation

log = logging.getLogger(__name__)

CLOSE_UNAUTHENTICATED = 4401
CLOSE_FORBIDDEN = 4403


def _fresh(user_id: int) -> Any:
    from teletherapy.accounts.models import User

    return (
        User.objects.filter(pk=user_id, is_active=True)
        .select_related("staff__practice", "staff__user", "client")
        .first()
    )


class AlertConsumer(AsyncWebsocketConsumer):
    user_id: int = 0
    session_key: str | None = None
    kind: str = ""  # "staff" or "client"
    groups_joined: tuple[str, ...] = ()
    _watcher: asyncio.Task[None] | None = None
    closed: bool = False

    # --- Socket events ----------------------------------------------------------------------

    async def connect(self) -> None:
        user = self.scope.get("user")
        # What each appointment last looked like to this viewer, to send only changes.
        self.last: dict[int, dict[str, Any]] = {}
        if user is None or not user.is_authenticated:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        self.user_id = user.pk
        session = self.scope.get("session")
        self.session_key = session.session_key if session is not None else None
        # Join before the check, so a sign-out landing in between still reaches us.
        self.groups_joined = (user_group(user.pk), revoke.user_group(user.pk))
        for group in self.groups_joined:
            await self.channel_layer.group_add(group, self.channel_name)
        kind = await database_sync_to_async(self._kind)()
        if kind is None:
            self.closed = True
            await self.close(code=CLOSE_FORBIDDEN)
            return
        if kind == "signed_out":
            self.closed = True
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        self.kind = kind
        await self.accept()
        hello: dict[str, Any] = {"type": "hello", "kind": kind}
        if kind == "staff":
            hello["chime"] = await database_sync_to_async(self._chime)()
        await self._send(hello)
        await self._refresh()
        self._watcher = asyncio.create_task(self._watch())

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        # Nothing is taken from the page on this socket: words go through a form (POST).
        return

    async def disconnect(self, code: int) -> None:
        self.closed = True
        if self._watcher is not None:
            self._watcher.cancel()
        for group in self.groups_joined:
            try:
                await self.channel_layer.group_discard(group, self.channel_name)
            except Exception:
                log.warning("Could not leave an alert group", exc_info=True)

    # --- Channel-layer handlers -------------------------------------------------------------

    async def alert_changed(self, event: dict[str, Any]) -> None:
        if self.closed or self.kind != "staff":
            return
        appointment_id = int(event["appointment_id"])
        payload = await database_sync_to_async(self._alert_for)(appointment_id)
        if payload is None:
            return
        await self._send_if_changed(appointment_id, payload)

    async def alert_word(self, event: dict[str, Any]) -> None:
        if self.closed or self.kind != "client":
            return
        payload = await database_sync_to_async(self._word_for)(
            int(event["appointment_id"]), int(event["word_id"])
        )
        if payload is not None:
            await self._send(payload)

    async def call_revoke(self, event: dict[str, Any]) -> None:
        """video's control message: sign-out, a role change and the like. Check now."""
        if not self.closed:
            await self._refresh()

    # --- Helpers ----------------------------------------------------------------------------

    async def _send(self, message: dict[str, Any]) -> None:
        await self.send(text_data=json.dumps(message))

    async def _send_if_changed(self, appointment_id: int, payload: dict[str, Any]) -> None:
        seen = {k: v for k, v in payload.items() if k != "now"}
        before = self.last.get(appointment_id)
        if before == seen:
            return
        if before is None and payload["state"] != waiting.WAITING:
            return  # nothing shown for it here: nothing to take back
        self.last[appointment_id] = seen
        if payload["state"] == waiting.NONE:
            self.last.pop(appointment_id, None)
        await self._send(payload)

    async def _watch(self) -> None:
        period = float(settings.ALERT_REFRESH_SECONDS)
        while not self.closed:
            await asyncio.sleep(period)
            try:
                await self._refresh(expire=True)
            except Exception:
                # A database hiccup is not a sign-out; the next round tries again.
                log.warning("Could not refresh an alert socket", exc_info=True)

    async def _refresh(self, *, expire: bool = False) -> None:
        """Access again, then the viewer's waiting clients; close when access is gone."""
        result = await database_sync_to_async(self._snapshot, thread_sensitive=False)(expire=expire)
        if result is None:
            self.closed = True
            await self._send({"type": "error", "code": "signed_out"})
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        for appointment_id, payload in result.items():
            await self._send_if_changed(appointment_id, payload)

    # --- Database work (in a thread) ----------------------------------------------------------

    def _viewer(self) -> Any:
        user = _fresh(self.user_id)
        if user is None or not signed_in(self.session_key, user):
            return None
        return user

    def _kind(self) -> str | None:
        user = self._viewer()
        if user is None:
            return "signed_out"
        if user.is_staff_member and getattr(user, "staff", None) is not None:
            return "staff"
        if user.is_client and getattr(user, "client", None) is not None:
            return "client"
        return None

    def _chime(self) -> bool:
        from teletherapy.alerts.services import chime_on

        user = _fresh(self.user_id)
        return user is not None and chime_on(user)

    def _snapshot(self, *, expire: bool) -> dict[int, dict[str, Any]] | None:
        user = self._viewer()
        if user is None:
            return None
        if self.kind != "staff":
            return {}
        if expire:
            # Connections whose app process died: gone once they stop beating.
            video.expire_stale_presence()
        staff = user.staff
        found = {a.pk: waiting.alert_payload(staff, a) for a in waiting.waiting_for(staff)}
        for appointment_id in set(self.last) - set(found):
            payload = self._alert_for(appointment_id, user=user)
            found[appointment_id] = payload or {
                "type": "alert",
                "appointment_id": appointment_id,
                "state": waiting.NONE,
            }
        return found

    def _alert_for(self, appointment_id: int, *, user: Any = None) -> dict[str, Any] | None:
        """The alert for one appointment as this viewer may see it; None when they may not."""
        user = user or self._viewer()
        if user is None or getattr(user, "staff", None) is None:
            return None
        try:
            appointment = get_appointment_for(user.staff, appointment_id)
        except Http404:
            return None
        return waiting.alert_payload(user.staff, appointment)

    def _word_for(self, appointment_id: int, word_id: int) -> dict[str, Any] | None:
        user = self._viewer()
        if user is None:
            return None
        try:
            appointment, role = get_call_for(user, appointment_id)
        except (Http404, PermissionDenied):
            return None
        if role != Participation.Role.CLIENT:
            return None
        word = (
            WaitingRoomWord.objects.filter(pk=word_id, session__appointment=appointment)
            .for_viewer(getattr(user, "client", None))
            .select_related("session__appointment__therapist__user")
            .first()
        )
        return waiting.word_payload(word, user) if word is not None else None
