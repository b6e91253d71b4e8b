"""The signaling consumer, through the real ASGI stack (origin check, session cookie, routing)."""

from __future__ import annotations

import asyncio
import functools
import json
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from channels.db import database_sync_to_async
from django.conf import settings as django_settings
from django.test import Client as HttpClient

from config.asgi import application
from teletherapy.audit.models import Action, AuditEvent
from teletherapy.test.sockets import WebsocketCommunicator
from teletherapy.video.models import Participation, VideoSession

pytestmark = pytest.mark.django_db(transaction=True)


def own_loop(test: Callable[..., Coroutine[Any, Any, None]]) -> Callable[..., None]:
    """Run an async test on its own event loop in its own thread: the browser tests' sync
    Playwright keeps a loop running in the main thread for the whole session."""

    @functools.wraps(test)
    def run(*args: Any, **kwargs: Any) -> None:
        with ThreadPoolExecutor(max_workers=1) as pool:
            pool.submit(asyncio.run, test(*args, **kwargs)).result()

    return run


# The page's origin: exactly the site's (SITE_URL), scheme and port included.
ORIGIN = (b"origin", django_settings.SITE_URL.encode())

OFFER = {"type": "offer", "sdp": "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\n"}
FRESH = {"type": "offer", "sdp": "v=0\r\no=- 2 2 IN IP4 127.0.0.1\r\n"}
ANSWER = {"type": "answer", "sdp": "v=0\r\no=- 3 2 IN IP4 127.0.0.1\r\n"}
CANDIDATE = {
    "candidate": "candidate:1 1 udp 2122260223 10.77.0.1 50000 typ host",
    "sdpMid": "0",
    "sdpMLineIndex": 0,
    "usernameFragment": "abcd",
}


def _cookie_for(user: Any) -> str:
    http = HttpClient()
    http.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return http.cookies["sessionid"].value


async def socket(user: Any, appointment_id: int) -> WebsocketCommunicator:
    headers = [ORIGIN]
    if user is not None:
        cookie = await database_sync_to_async(_cookie_for)(user)
        headers.append((b"cookie", f"sessionid={cookie}".encode()))
    return WebsocketCommunicator(application, f"/ws/sessions/{appointment_id}/", headers=headers)


async def joined(user: Any, appointment_id: int) -> tuple[WebsocketCommunicator, dict[str, Any]]:
    ws = await socket(user, appointment_id)
    connected, _code = await ws.connect()
    assert connected
    return ws, await ws.receive_json_from()


async def _pair(cast: Any, call: Any) -> tuple[WebsocketCommunicator, WebsocketCommunicator]:
    client, welcome = await joined(cast.client_with_portal.user, call.pk)
    assert welcome == {"type": "welcome", "role": "client", "polite": True, "peer_present": False}
    therapist, welcome = await joined(cast.therapist.user, call.pk)
    assert welcome == {
        "type": "welcome",
        "role": "therapist",
        "polite": False,
        "peer_present": True,
        "client_location": {"code": "NJ", "name": "New Jersey", "licensed": True},
    }
    assert await client.receive_json_from() == {"type": "peer-joined"}
    return client, therapist


@own_loop
async def test_signals_go_to_the_other_participant_only(cast, located) -> None:
    client, therapist = await _pair(cast, located)
    await therapist.send_json_to({"type": "signal", "description": OFFER})
    assert await client.receive_json_from() == {"type": "signal", "description": OFFER}
    assert await therapist.receive_nothing()
    await client.send_json_to({"type": "signal", "candidate": CANDIDATE})
    assert await therapist.receive_json_from() == {"type": "signal", "candidate": CANDIDATE}
    assert await client.receive_nothing()
    await client.send_json_to({"type": "media", "audio": False, "video": True})
    assert await therapist.receive_json_from() == {
        "type": "peer-media",
        "audio": False,
        "video": True,
    }
    await client.disconnect()
    assert await therapist.receive_json_from() == {"type": "peer-left", "ended": False}
    await therapist.disconnect()


@own_loop
async def test_bad_messages_are_answered_and_the_session_goes_on(cast, located) -> None:
    client, therapist = await _pair(cast, located)
    bad: list[tuple[str, str]] = [
        ("{not json", "malformed"),
        ("[1, 2]", "malformed"),
        (json.dumps({"type": "signal", "description": {"sdp": "x" * 70_000}}), "too_large"),
        (json.dumps({"type": "shout", "text": "hi"}), "unknown_type"),
        (json.dumps({"type": "signal"}), "invalid_signal"),
        (
            json.dumps({"type": "signal", "description": {"type": "hello", "sdp": ""}}),
            "invalid_description",
        ),
        (json.dumps({"type": "signal", "candidate": {"candidate": 5}}), "invalid_candidate"),
        (json.dumps({"type": "media", "audio": "yes", "video": True}), "invalid_media"),
    ]
    for text, code in bad:
        await therapist.send_to(text_data=text)
        assert await therapist.receive_json_from() == {"type": "error", "code": code}, text
    await therapist.send_to(bytes_data=b"\x00\x01")
    assert await therapist.receive_json_from() == {"type": "error", "code": "text_only"}
    assert await client.receive_nothing()
    await therapist.send_json_to({"type": "signal", "description": OFFER})
    assert await client.receive_json_from() == {"type": "signal", "description": OFFER}
    await client.disconnect()
    await therapist.disconnect()


@own_loop
async def test_an_offer_made_alone_is_handed_over_on_arrival(cast, located) -> None:
    client, _welcome = await joined(cast.client_with_portal.user, located.pk)
    await client.send_json_to({"type": "signal", "candidate": CANDIDATE})
    assert await client.receive_json_from() == {"type": "error", "code": "peer_absent"}
    # A signal needs the other person there; an offer to hold does not.
    await client.send_json_to({"type": "signal", "description": OFFER})
    assert await client.receive_json_from() == {"type": "error", "code": "peer_absent"}
    await client.send_json_to({"type": "hold-offer", "id": 1, "description": OFFER})
    assert await client.receive_json_from() == {"type": "offer-held", "id": 1}
    therapist, welcome = await joined(cast.therapist.user, located.pk)
    assert welcome["peer_present"] is True
    assert await therapist.receive_json_from() == {"type": "signal", "description": OFFER}
    assert await client.receive_json_from() == {"type": "peer-joined", "offer": 1}
    # Present now: nothing more is held.
    await client.send_json_to({"type": "hold-offer", "id": 2, "description": OFFER})
    assert await client.receive_json_from() == {"type": "error", "code": "peer_present"}
    assert await therapist.receive_nothing()
    # Handed over once: a second arrival gets no stale offer.
    await therapist.disconnect()
    assert await client.receive_json_from() == {"type": "peer-left", "ended": False}
    again, _welcome = await joined(cast.therapist.user, located.pk)
    assert await client.receive_json_from() == {"type": "peer-joined"}
    assert await again.receive_nothing()
    await again.disconnect()
    await client.disconnect()


@pytest.mark.parametrize(
    ("who", "code"),
    [
        ("anonymous", 4401),
        ("other_client", 4404),
        ("therapist_plain", 4404),
        ("owner", 4403),
        ("other_owner", 4404),
        ("other_therapist", 4404),
    ],
)
@own_loop
async def test_third_parties_are_refused_and_receive_nothing(cast, located, who, code) -> None:
    client, therapist = await _pair(cast, located)
    user = cast.other_therapist.user if who == "other_therapist" else cast.user_of(who)
    intruder = await socket(user, located.pk)
    connected, close_code = await intruder.connect()
    assert (connected, close_code) == (False, code)
    assert await intruder.receive_nothing()
    # The two participants hear nothing about the attempt either.
    assert await client.receive_nothing()
    assert await therapist.receive_nothing()
    open_rows = await database_sync_to_async(
        lambda: Participation.objects.filter(left_at__isnull=True).count()
    )()
    assert open_rows == 2
    await client.disconnect()
    await therapist.disconnect()


@own_loop
async def test_refused_outside_the_window_without_teletherapy_or_location(cast, open_call) -> None:
    # The cast's own appointment is tomorrow: closed.
    for user in (cast.therapist.user, cast.client_with_portal.user):
        ws = await socket(user, cast.tele_appointment.pk)
        assert await ws.connect() == (False, 4403)
    # The client must say where they are first.
    ws = await socket(cast.client_with_portal.user, open_call.pk)
    assert await ws.connect() == (False, 4428)

    def _switch_off() -> None:
        cast.therapist.teletherapy_enabled = False
        cast.therapist.save()

    await database_sync_to_async(_switch_off)()
    ws = await socket(cast.therapist.user, open_call.pk)
    assert await ws.connect() == (False, 4403)
    refusals = await database_sync_to_async(
        lambda: AuditEvent.objects.filter(action=Action.SESSION_REFUSED).count()
    )()
    assert refusals == 4


@own_loop
async def test_an_expired_sign_in_is_refused(cast, located) -> None:
    cookie = await database_sync_to_async(_cookie_for)(cast.therapist.user)
    from django.contrib.sessions.models import Session

    await database_sync_to_async(lambda: Session.objects.all().delete())()
    ws = WebsocketCommunicator(
        application,
        f"/ws/sessions/{located.pk}/",
        headers=[ORIGIN, (b"cookie", f"sessionid={cookie}".encode())],
    )
    assert await ws.connect() == (False, 4401)


@own_loop
async def test_a_foreign_origin_is_refused(cast, located) -> None:
    cookie = await database_sync_to_async(_cookie_for)(cast.therapist.user)
    ws = WebsocketCommunicator(
        application,
        f"/ws/sessions/{located.pk}/",
        headers=[(b"origin", b"https://evil.example"), (b"cookie", f"sessionid={cookie}".encode())],
    )
    connected, _code = await ws.connect()
    assert not connected


@own_loop
async def test_access_is_checked_again_when_it_changes(cast, located) -> None:
    client, therapist = await _pair(cast, located)

    def _switch_off() -> None:
        cast.therapist.teletherapy_enabled = False
        cast.therapist.save()

    await database_sync_to_async(_switch_off)()
    # Both lose access: the client's call needs a therapist with Teletherapy.
    for ws in (therapist, client):
        assert await ws.receive_json_from() == {"type": "error", "code": "forbidden"}
        assert await ws.receive_output() == {"type": "websocket.close", "code": 4403}


@own_loop
async def test_reconnecting_replaces_the_earlier_connection(cast, located) -> None:
    client, therapist = await _pair(cast, located)
    second, welcome = await joined(cast.client_with_portal.user, located.pk)
    assert welcome["peer_present"] is True
    assert await client.receive_json_from() == {"type": "replaced"}
    closed = await client.receive_output()
    assert closed == {"type": "websocket.close", "code": 4409}
    assert (await therapist.receive_json_from())["type"] == "peer-joined"
    # Signals now reach the new connection only.
    await therapist.send_json_to({"type": "signal", "description": OFFER})
    assert await second.receive_json_from() == {"type": "signal", "description": OFFER}
    rows = await database_sync_to_async(
        lambda: list(
            Participation.objects.filter(left_at__isnull=True).values_list("role", flat=True)
        )
    )()
    assert sorted(rows) == ["client", "therapist"]
    await second.disconnect()
    await therapist.disconnect()


@own_loop
async def test_the_session_record(cast, located) -> None:
    client, therapist = await _pair(cast, located)
    await therapist.send_json_to({"type": "end"})
    assert await therapist.receive_json_from() == {"type": "ended"}
    assert await client.receive_json_from(timeout=5) == {"type": "session-ended"}
    await client.disconnect()
    await therapist.disconnect()

    def _record() -> tuple[VideoSession, list[str]]:
        session = VideoSession.objects.get(appointment=located)
        actions = list(
            AuditEvent.objects.filter(object_id=str(located.pk))
            .order_by("at", "id")
            .values_list("action", flat=True)
        )
        return session, actions

    session, actions = await database_sync_to_async(_record)()
    assert session.started_at is not None and session.ended_at is not None
    assert session.ended_at >= session.started_at
    assert session.client_location == "NJ"
    assert actions == [
        Action.SESSION_JOINED,
        Action.SESSION_JOINED,
        Action.SESSION_STARTED,
        Action.SESSION_LEFT,
        Action.SESSION_LEFT,
        Action.SESSION_ENDED,
    ]


@own_loop
async def test_connecting_ahead_is_not_being_there(cast, located) -> None:
    client, _welcome = await joined(cast.client_with_portal.user, located.pk)
    cookie = await database_sync_to_async(_cookie_for)(cast.therapist.user)
    ahead = WebsocketCommunicator(
        application,
        f"/ws/sessions/{located.pk}/?wait=1",
        headers=[ORIGIN, (b"cookie", f"sessionid={cookie}".encode())],
    )
    connected, _code = await ahead.connect()
    assert connected
    assert await ahead.receive_nothing()
    assert await client.receive_nothing()  # nobody has arrived yet
    await ahead.send_json_to({"type": "signal", "description": OFFER})
    assert await ahead.receive_json_from() == {"type": "error", "code": "not_joined"}
    assert await client.receive_nothing()
    await ahead.send_json_to({"type": "join"})
    welcome = await ahead.receive_json_from()
    assert welcome["type"] == "welcome" and welcome["peer_present"] is True
    assert await client.receive_json_from() == {"type": "peer-joined"}
    await ahead.send_json_to({"type": "join"})
    assert await ahead.receive_json_from() == {"type": "error", "code": "already_joined"}
    await ahead.send_json_to({"type": "signal", "description": OFFER})
    assert await client.receive_json_from() == {"type": "signal", "description": OFFER}
    await client.disconnect()
    await ahead.disconnect()


async def _ahead(user: Any, appointment_id: int) -> WebsocketCommunicator:
    cookie = await database_sync_to_async(_cookie_for)(user)
    ws = WebsocketCommunicator(
        application,
        f"/ws/sessions/{appointment_id}/?wait=1",
        headers=[ORIGIN, (b"cookie", f"sessionid={cookie}".encode())],
    )
    connected, _code = await ws.connect()
    assert connected
    return ws


@own_loop
async def test_a_held_offer_is_given_ahead_to_the_other_participant_only(cast, located) -> None:
    client, _welcome = await joined(cast.client_with_portal.user, located.pk)
    await client.send_json_to({"type": "hold-offer", "id": 1, "description": OFFER})
    assert await client.receive_json_from() == {"type": "offer-held", "id": 1}
    # The client's other device, connecting ahead, is not given the client's own offer.
    own = await _ahead(cast.client_with_portal.user, located.pk)
    assert await own.receive_nothing()
    # Others are refused before anything is sent to them.
    for user in (cast.therapist_plain.user, cast.other_therapist.user, cast.other_client.user):
        cookie = await database_sync_to_async(_cookie_for)(user)
        intruder = WebsocketCommunicator(
            application,
            f"/ws/sessions/{located.pk}/?wait=1",
            headers=[ORIGIN, (b"cookie", f"sessionid={cookie}".encode())],
        )
        assert (await intruder.connect())[0] is False
        assert await intruder.receive_nothing()
    # The therapist, checking their devices, is given it; the client hears nothing of it.
    ahead = await _ahead(cast.therapist.user, located.pk)
    assert await ahead.receive_json_from() == {"type": "held-offer", "id": 1, "description": OFFER}
    assert await client.receive_nothing()
    # A fresh offer replaces it.
    await client.send_json_to({"type": "hold-offer", "id": 2, "description": FRESH})
    assert await ahead.receive_json_from() == {"type": "held-offer", "id": 2, "description": FRESH}
    assert await client.receive_json_from() == {"type": "offer-held", "id": 2}
    # On Start: join claiming offer 2; granted, so the answer goes; not sent a second time.
    await ahead.send_json_to({"type": "join", "offer": 2})
    replies = [await ahead.receive_json_from(), await ahead.receive_json_from()]
    assert {"type": "offer-taken", "id": 2} in replies
    welcome = next(r for r in replies if r["type"] == "welcome")
    assert welcome["peer_present"] is True
    assert await client.receive_json_from() == {"type": "peer-joined", "offer": 2}
    await ahead.send_json_to({"type": "signal", "description": ANSWER})
    assert await client.receive_json_from() == {"type": "signal", "description": ANSWER}
    assert await ahead.receive_nothing()
    assert await own.receive_nothing()
    await own.disconnect()
    await ahead.disconnect()
    await client.disconnect()


@own_loop
async def test_a_held_offer_given_ahead_is_withdrawn_when_the_holder_goes(cast, located) -> None:
    client, _welcome = await joined(cast.client_with_portal.user, located.pk)
    ahead = await _ahead(cast.therapist.user, located.pk)
    assert await ahead.receive_nothing()  # no offer held yet
    await client.send_json_to({"type": "hold-offer", "id": 1, "description": OFFER})
    assert await ahead.receive_json_from() == {"type": "held-offer", "id": 1, "description": OFFER}
    await client.disconnect()
    assert await ahead.receive_json_from() == {"type": "held-offer", "id": 1, "description": None}
    # The client back on a new connection with a new offer: it goes out on arrival as usual.
    again, _welcome = await joined(cast.client_with_portal.user, located.pk)
    await again.send_json_to({"type": "hold-offer", "id": 1, "description": OFFER})
    assert await again.receive_json_from() == {"type": "offer-held", "id": 1}
    assert await ahead.receive_nothing()
    await ahead.send_json_to({"type": "join"})
    assert (await ahead.receive_json_from())["peer_present"] is True
    assert await ahead.receive_json_from() == {"type": "signal", "description": OFFER}
    assert await again.receive_json_from() == {"type": "peer-joined", "offer": 1}
    await again.disconnect()
    await ahead.disconnect()


@own_loop
async def test_a_held_offer_is_not_given_ahead_once_access_is_gone(cast, located) -> None:
    client, _welcome = await joined(cast.client_with_portal.user, located.pk)
    ahead = await _ahead(cast.therapist.user, located.pk)

    def _switch_off() -> None:
        cast.therapist.teletherapy_enabled = False
        cast.therapist.save()

    await database_sync_to_async(_switch_off)()
    await client.send_json_to({"type": "hold-offer", "id": 1, "description": OFFER})
    # Closed as soon as access went, and never given the offer.
    assert await ahead.receive_json_from() == {"type": "error", "code": "forbidden"}
    assert await ahead.receive_output() == {"type": "websocket.close", "code": 4403}
    await client.disconnect()


@own_loop
async def test_connecting_ahead_is_refused_to_others_too(cast, located) -> None:
    cookie = await database_sync_to_async(_cookie_for)(cast.therapist_plain.user)
    ws = WebsocketCommunicator(
        application,
        f"/ws/sessions/{located.pk}/?wait=1",
        headers=[ORIGIN, (b"cookie", f"sessionid={cookie}".encode())],
    )
    # Another therapist's appointment is not one they can see: 404, as on the pages.
    assert await ws.connect() == (False, 4404)


@own_loop
async def test_join_is_checked_again(cast, located) -> None:
    cookie = await database_sync_to_async(_cookie_for)(cast.therapist.user)
    ahead = WebsocketCommunicator(
        application,
        f"/ws/sessions/{located.pk}/?wait=1",
        headers=[ORIGIN, (b"cookie", f"sessionid={cookie}".encode())],
    )
    assert (await ahead.connect())[0]

    def _switch_off() -> None:
        cast.therapist.teletherapy_enabled = False
        cast.therapist.save()

    await database_sync_to_async(_switch_off)()
    await ahead.send_json_to({"type": "join"})
    assert await ahead.receive_json_from() == {"type": "error", "code": "forbidden"}
    assert await ahead.receive_output() == {"type": "websocket.close", "code": 4403}


@pytest.mark.redis
@pytest.mark.postgres
def test_relay_through_redis_and_postgresql(cast, located, settings, monkeypatch) -> None:
    """Several app processes: presence in the database, messages through Redis."""
    import os

    from django.db import connections

    # The consumer's worker threads must not keep connections: the test database is dropped.
    monkeypatch.setitem(connections.settings["default"], "CONN_MAX_AGE", 0)

    redis_url = os.environ.get("REDIS_URL")
    if not redis_url:
        pytest.skip("REDIS_URL is not set: run with scripts/test-services")
    from teletherapy.lib.channel_layer import redis_layer

    settings.CHANNEL_LAYERS = {"default": redis_layer(redis_url)}

    @own_loop
    async def body() -> None:
        client, therapist = await _pair(cast, located)
        await therapist.send_json_to({"type": "signal", "description": OFFER})
        assert await client.receive_json_from() == {"type": "signal", "description": OFFER}
        await client.send_json_to({"type": "signal", "candidate": CANDIDATE})
        assert await therapist.receive_json_from() == {
            "type": "signal",
            "candidate": CANDIDATE,
        }
        assert await client.receive_nothing(timeout=0.3)
        second, _welcome = await joined(cast.client_with_portal.user, located.pk)
        assert await client.receive_json_from() == {"type": "replaced"}
        assert (await therapist.receive_json_from())["type"] == "peer-joined"
        await second.disconnect()
        await therapist.disconnect()

    body()


async def _waiting_with_offer_ahead(
    cast: Any, call: Any
) -> tuple[WebsocketCommunicator, WebsocketCommunicator]:
    """The client waits holding offer 1; the therapist's page, ahead, has applied it."""
    client, _welcome = await joined(cast.client_with_portal.user, call.pk)
    await client.send_json_to({"type": "hold-offer", "id": 1, "description": OFFER})
    assert await client.receive_json_from() == {"type": "offer-held", "id": 1}
    ahead = await _ahead(cast.therapist.user, call.pk)
    assert await ahead.receive_json_from() == {"type": "held-offer", "id": 1, "description": OFFER}
    return client, ahead


@own_loop
async def test_the_renewal_replaces_the_offer_before_the_arrival(cast, located) -> None:
    """The renewal's fresh offer lands first: the arrival's claim on the old one is refused
    and the fresh one is sent instead, so no one answers a stale offer."""
    client, ahead = await _waiting_with_offer_ahead(cast, located)
    await client.send_json_to({"type": "hold-offer", "id": 2, "description": FRESH})
    assert await client.receive_json_from() == {"type": "offer-held", "id": 2}
    # The page ahead has not applied offer 2 yet when the person presses Start. (Whether
    # the consumer still hands offer 2 ahead depends on which it handles first.)
    await ahead.send_json_to({"type": "join", "offer": 1})
    replies = [await ahead.receive_json_from()]
    while replies[-1] != {"type": "signal", "description": FRESH}:
        replies.append(await ahead.receive_json_from())
    kinds = [r["type"] for r in replies]
    assert "welcome" in kinds and "offer-taken" not in kinds
    assert {"type": "held-offer", "id": 1, "description": None} in replies
    assert await client.receive_json_from() == {"type": "peer-joined", "offer": 2}
    assert await ahead.receive_nothing()
    await ahead.disconnect()
    await client.disconnect()


@own_loop
async def test_the_arrival_takes_the_offer_before_the_renewal(cast, located) -> None:
    """The arrival's claim lands first: it is granted, and the fresh offer made meanwhile is
    refused (the page keeps the connection of offer 1, as "peer-joined" says)."""
    client, ahead = await _waiting_with_offer_ahead(cast, located)
    await ahead.send_json_to({"type": "join", "offer": 1})
    replies = [await ahead.receive_json_from(), await ahead.receive_json_from()]
    assert {"type": "offer-taken", "id": 1} in replies
    assert await client.receive_json_from() == {"type": "peer-joined", "offer": 1}
    await client.send_json_to({"type": "hold-offer", "id": 2, "description": FRESH})
    assert await client.receive_json_from() == {"type": "error", "code": "peer_present"}
    await ahead.send_json_to({"type": "signal", "description": ANSWER})
    assert await client.receive_json_from() == {"type": "signal", "description": ANSWER}
    assert await ahead.receive_nothing()
    await ahead.disconnect()
    await client.disconnect()


@own_loop
async def test_a_claim_on_a_withdrawn_offer_is_refused(cast, located) -> None:
    client, ahead = await _waiting_with_offer_ahead(cast, located)
    await client.disconnect()
    assert await ahead.receive_json_from() == {"type": "held-offer", "id": 1, "description": None}
    again, _welcome = await joined(cast.client_with_portal.user, located.pk)
    await ahead.send_json_to({"type": "join", "offer": 1})
    replies = [await ahead.receive_json_from(), await ahead.receive_json_from()]
    assert {"type": "held-offer", "id": 1, "description": None} in replies
    assert await again.receive_json_from() == {"type": "peer-joined"}
    assert await ahead.receive_nothing()
    await again.disconnect()
    await ahead.disconnect()


@pytest.mark.parametrize(
    "message",
    [
        {"type": "hold-offer", "id": 1, "description": ANSWER},
        {"type": "hold-offer", "id": -1, "description": OFFER},
        {"type": "hold-offer", "id": True, "description": OFFER},
        {"type": "hold-offer", "description": OFFER},
        {"type": "hold-offer", "id": 1, "description": OFFER, "extra": 1},
        {"type": "join", "offer": "1"},
    ],
)
@own_loop
async def test_a_bad_offer_to_hold_or_claim_is_refused(cast, located, message) -> None:
    client, _welcome = await joined(cast.client_with_portal.user, located.pk)
    await client.send_json_to(message)
    reply = await client.receive_json_from()
    assert reply["type"] == "error"
    assert reply["code"] in {"invalid_offer", "invalid_offer_id"}, reply
    await client.disconnect()
