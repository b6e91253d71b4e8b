"""The signaling consumer against crafted frames, floods, dead app processes and foreign
origins (issue 9, holes 6, 7 and 9), through the real ASGI stack."""

from __future__ import annotations

import asyncio
import json
import time
from datetime import timedelta
from typing import Any

import pytest
from channels.db import database_sync_to_async
from django.utils import timezone

from config.asgi import application
from teletherapy.audit.models import Action, AuditEvent
from teletherapy.test.sockets import WebsocketCommunicator
from teletherapy.video.models import Participation, VideoSession
from teletherapy.video.tests.test_consumer import (
    CANDIDATE,
    OFFER,
    ORIGIN,
    _cookie_for,
    _pair,
    joined,
    own_loop,
    socket,
)

pytestmark = pytest.mark.django_db(transaction=True)

ANSWER = {"type": "answer", "sdp": "v=0\r\no=- 3 2 IN IP4 127.0.0.1\r\n"}


async def _drain(ws: WebsocketCommunicator, timeout: float = 0.5) -> list[dict[str, Any]]:
    """Everything the socket is sent until it is quiet for `timeout` (close events too)."""
    out: list[dict[str, Any]] = []
    # receive_nothing, not a timeout on receive_output: that would cancel the application.
    while not await ws.receive_nothing(timeout=timeout):
        message = await ws.receive_output()
        out.append(json.loads(message["text"]) if "text" in message else message)
        if message.get("type") == "websocket.close":
            break
    return out


def _rows() -> list[tuple[str, bool]]:
    return [
        (row.role, row.left_at is None) for row in Participation.objects.order_by("joined_at", "id")
    ]


# --- Hole 6: a crafted frame, and leaving recorded whatever ends the connection ------------


@own_loop
async def test_a_nesting_bomb_is_answered_and_the_call_goes_on(cast, located) -> None:  # type: ignore[no-untyped-def]
    client, therapist = await _pair(cast, located)
    bomb = "[" * 3000
    assert len(bomb.encode()) < 64 * 1024
    await therapist.send_to(text_data=bomb)
    assert await therapist.receive_json_from() == {"type": "error", "code": "malformed"}
    await therapist.send_to(text_data='{"type": "signal", "candidate": ' + "{" * 3000)
    assert await therapist.receive_json_from() == {"type": "error", "code": "malformed"}
    assert await client.receive_nothing()
    await therapist.send_json_to({"type": "signal", "description": OFFER})
    assert await client.receive_json_from() == {"type": "signal", "description": OFFER}
    await therapist.disconnect()
    assert await client.receive_json_from() == {"type": "peer-left", "ended": False}
    assert await database_sync_to_async(_rows)() == [("client", True), ("therapist", False)]
    await client.disconnect()


@own_loop
async def test_leaving_is_recorded_when_the_connection_dies_without_a_disconnect(
    cast, located
) -> None:  # type: ignore[no-untyped-def]
    client, therapist = await _pair(cast, located)
    # The server task handling the therapist's socket is cancelled (a crash, a shutdown):
    # no websocket.disconnect ever reaches the consumer.
    therapist.future.cancel()
    assert await client.receive_json_from() == {"type": "peer-left", "ended": False}
    assert await database_sync_to_async(_rows)() == [("client", True), ("therapist", False)]
    await client.disconnect()

    def _ended() -> bool:
        return VideoSession.objects.get(appointment=located).ended_at is not None

    assert await database_sync_to_async(_ended)()


def _ghost(appointment: Any, user: Any, role: str, *, seen_seconds_ago: float) -> Participation:
    """The row left behind by a connection whose app process was killed."""
    session, _created = VideoSession.objects.get_or_create(appointment=appointment)
    if session.started_at is None:
        session.started_at = timezone.now() - timedelta(minutes=3)
        session.save()
    now = timezone.now()
    return Participation.objects.create(
        session=session,
        user=user,
        role=role,
        channel_name="specific.deadprocess!gone",
        joined_at=now - timedelta(minutes=3),
        seen_at=now - timedelta(seconds=seen_seconds_ago),
    )


@own_loop
async def test_the_connection_of_a_killed_app_process_is_no_ghost(cast, located) -> None:  # type: ignore[no-untyped-def]
    ghost = await database_sync_to_async(_ghost)(
        located, cast.therapist.user, "therapist", seen_seconds_ago=600
    )
    client, welcome = await joined(cast.client_with_portal.user, located.pk)
    assert welcome["peer_present"] is False
    await client.send_json_to({"type": "signal", "candidate": CANDIDATE})
    assert await client.receive_json_from() == {"type": "error", "code": "peer_absent"}

    def _recorded() -> tuple[Any, list[dict[str, Any]]]:
        ghost.refresh_from_db()
        left = AuditEvent.objects.filter(action=Action.SESSION_LEFT).values_list(
            "details", flat=True
        )
        return ghost.left_at, list(left)

    left_at, details = await database_sync_to_async(_recorded)()
    assert left_at == ghost.seen_at  # gone when last seen
    assert [d.get("expired") for d in details] == [True]
    await client.disconnect()


@own_loop
async def test_a_peer_whose_app_process_dies_mid_call_is_shown_gone(
    cast, located, settings
) -> None:  # type: ignore[no-untyped-def]
    settings.SIGNALING_RECHECK_SECONDS = 0.3
    settings.TELETHERAPY_PRESENCE_SECONDS = 5
    ghost = await database_sync_to_async(_ghost)(
        located, cast.therapist.user, "therapist", seen_seconds_ago=0
    )
    client, welcome = await joined(cast.client_with_portal.user, located.pk)
    assert welcome["peer_present"] is True
    # Its process is gone: no more heartbeats from the therapist's connection.
    await database_sync_to_async(
        lambda: Participation.objects.filter(pk=ghost.pk).update(
            seen_at=timezone.now() - timedelta(seconds=6)
        )
    )()
    assert await client.receive_json_from() == {"type": "peer-left", "ended": False}
    await client.send_json_to({"type": "signal", "candidate": CANDIDATE})
    assert await client.receive_json_from() == {"type": "error", "code": "peer_absent"}
    await client.disconnect()

    def _session() -> tuple[bool, list[str]]:
        session = VideoSession.objects.get(appointment=located)
        actions = AuditEvent.objects.filter(object_id=str(located.pk)).order_by("at", "id")
        return session.ended_at is not None, list(actions.values_list("action", flat=True))

    ended, actions = await database_sync_to_async(_session)()
    assert ended
    assert actions[-3:] == [Action.SESSION_LEFT, Action.SESSION_LEFT, Action.SESSION_ENDED]


@own_loop
async def test_an_open_connection_keeps_its_presence_fresh(cast, located, settings) -> None:  # type: ignore[no-untyped-def]
    settings.SIGNALING_RECHECK_SECONDS = 0.2
    client, _welcome = await joined(cast.client_with_portal.user, located.pk)
    old = timezone.now() - timedelta(seconds=30)
    await database_sync_to_async(lambda: Participation.objects.update(seen_at=old))()
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        seen = await database_sync_to_async(lambda: Participation.objects.get().seen_at)()
        if seen > old + timedelta(seconds=20):
            break
        await asyncio.sleep(0.05)
    else:
        pytest.fail("the connection's presence was not refreshed")
    await client.disconnect()


# --- Hole 7: rate limit, and refusals aggregated --------------------------------------------


@own_loop
async def test_a_flood_is_throttled_then_closed_and_the_call_can_go_on(cast, located) -> None:  # type: ignore[no-untyped-def]
    client, therapist = await _pair(cast, located)
    frame = json.dumps({"type": "signal", "candidate": CANDIDATE})
    started = time.monotonic()
    for _ in range(1500):
        await therapist.send_to(text_data=frame)
    own = await _drain(therapist, timeout=2)
    elapsed = time.monotonic() - started
    assert {"type": "error", "code": "rate_limited"} in own
    assert own[-1] == {"type": "websocket.close", "code": 4429}
    relayed = [m for m in await _drain(client, timeout=1) if m.get("type") == "signal"]
    # The burst, and the rate for as long as the flood lasted; nowhere near all of it.
    assert 200 <= len(relayed) <= 200 + 50 * elapsed + 10, (len(relayed), elapsed)
    # The legitimate pair: the therapist back on a new connection, offer and answer at once.
    therapist, welcome = await joined(cast.therapist.user, located.pk)
    assert welcome["peer_present"] is True
    started = time.monotonic()
    await therapist.send_json_to({"type": "signal", "description": OFFER})
    assert await client.receive_json_from() == {"type": "peer-joined"}
    assert await client.receive_json_from() == {"type": "signal", "description": OFFER}
    await client.send_json_to({"type": "signal", "description": ANSWER})
    assert await therapist.receive_json_from() == {"type": "signal", "description": ANSWER}
    assert time.monotonic() - started < 2
    await therapist.disconnect()
    await client.disconnect()


@own_loop
async def test_a_burst_within_the_limit_is_all_relayed(cast, located) -> None:  # type: ignore[no-untyped-def]
    client, therapist = await _pair(cast, located)
    for index in range(150):  # an ICE burst
        candidate = {**CANDIDATE, "candidate": f"candidate:{index} 1 udp 1 10.0.0.1 5000 typ host"}
        await therapist.send_json_to({"type": "signal", "candidate": candidate})
    relayed = await _drain(client, timeout=1)
    assert len(relayed) == 150 and all(m["type"] == "signal" for m in relayed)
    assert await therapist.receive_nothing()
    await therapist.disconnect()
    await client.disconnect()


@own_loop
async def test_refused_attempts_do_not_write_a_row_each(cast, located) -> None:  # type: ignore[no-untyped-def]
    cookie = await database_sync_to_async(_cookie_for)(cast.therapist_plain.user)
    for _ in range(30):
        ws = WebsocketCommunicator(
            application,
            f"/ws/sessions/{located.pk}/",
            headers=[
                ORIGIN,
                (b"cookie", f"sessionid={cookie}".encode()),
            ],
        )
        assert await ws.connect() == (False, 4404)  # another therapist's appointment
    rows = await database_sync_to_async(
        lambda: list(
            AuditEvent.objects.filter(action=Action.SESSION_REFUSED).values_list(
                "details", flat=True
            )
        )
    )()
    assert len(rows) == 1 and rows[0]["reason"] == "not_found"


# --- Hole 9: exactly the site's origins ------------------------------------------------------


@pytest.mark.parametrize(
    "origin",
    [
        "http://127.0.0.1:9999",
        "https://127.0.0.1",
        "http://localhost:1",
        "http://127.0.0.1",
        "https://127.0.0.1:8000",
        "http://127.0.0.1:8000.evil.example",
        "null",
        "",
    ],
)
@own_loop
async def test_only_the_sites_exact_origin_may_connect(cast, located, origin) -> None:  # type: ignore[no-untyped-def]
    cookie = await database_sync_to_async(_cookie_for)(cast.therapist.user)
    headers = [(b"cookie", f"sessionid={cookie}".encode())]
    if origin:
        headers.append((b"origin", origin.encode()))
    ws = WebsocketCommunicator(application, f"/ws/sessions/{located.pk}/", headers=headers)
    connected, _code = await ws.connect()
    assert not connected, origin


@own_loop
async def test_configured_extra_origins_may_connect(cast, located, settings) -> None:  # type: ignore[no-untyped-def]
    settings.SITE_URL = "https://therapy.example.org"
    settings.EXTRA_ORIGINS = ["https://calls.example.org:8443"]
    cookie = await database_sync_to_async(_cookie_for)(cast.therapist.user)
    for origin, allowed in [
        ("https://therapy.example.org", True),
        ("https://therapy.example.org:443", True),
        ("https://calls.example.org:8443", True),
        ("https://calls.example.org", False),
        ("http://therapy.example.org", False),
        ("http://127.0.0.1:8000", False),
    ]:
        ws = WebsocketCommunicator(
            application,
            f"/ws/sessions/{located.pk}/",
            headers=[(b"origin", origin.encode()), (b"cookie", f"sessionid={cookie}".encode())],
        )
        connected, _code = await ws.connect()
        assert connected is allowed, origin
        if connected:
            await ws.receive_json_from()
            await ws.disconnect()


@own_loop
async def test_the_sites_origin_connects(cast, located) -> None:  # type: ignore[no-untyped-def]
    ws = await socket(cast.therapist.user, located.pk)
    connected, _code = await ws.connect()
    assert connected
    await ws.disconnect()


# --- The channel layer: a full channel does not end the call ---------------------------------


@own_loop
async def test_a_full_channel_is_told_to_the_page_and_the_call_goes_on(
    cast, located, settings
) -> None:  # type: ignore[no-untyped-def]
    settings.CHANNEL_LAYERS = {
        "default": {"BACKEND": "channels.layers.InMemoryChannelLayer", "CONFIG": {"capacity": 3}}
    }
    # The therapist's connection is on a process that stopped reading (its inbox fills up).
    await database_sync_to_async(_ghost)(
        located, cast.therapist.user, "therapist", seen_seconds_ago=0
    )
    client, welcome = await joined(cast.client_with_portal.user, located.pk)
    assert welcome["peer_present"] is True
    for _ in range(4):  # more than the capacity
        await client.send_json_to({"type": "signal", "candidate": CANDIDATE})
    # Still open, still answering; told what could not be delivered.
    await client.send_json_to({"type": "ping"})
    told = await _drain(client, timeout=2)
    assert told[-1] == {"type": "pong"}
    assert {"type": "error", "code": "relay_failed"} in told
    await client.disconnect()
