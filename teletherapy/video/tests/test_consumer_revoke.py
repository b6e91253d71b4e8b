"""Access ended mid-call closes the signaling socket by itself and relays nothing more
(issue 9 hole 8, issue 14): sign-out of each kind, deactivation, role and Teletherapy
changes, the appointment cancelled or moved, the window closing, and the periodic re-check
behind them all."""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta
from importlib import import_module
from typing import Any

import pytest
from channels.db import database_sync_to_async
from django.conf import settings as django_settings
from django.contrib.sessions.models import Session
from django.test import Client as HttpClient
from django.utils import timezone

from config.asgi import application
from teletherapy.test.sockets import WebsocketCommunicator
from teletherapy.video.tests.conftest import make_tele_appointment
from teletherapy.video.tests.test_consumer import CANDIDATE, OFFER, ORIGIN, _pair, joined, own_loop

pytestmark = pytest.mark.django_db(transaction=True)


async def closed(ws: WebsocketCommunicator) -> tuple[list[Any], int]:
    """What the socket was sent until the server closed it by itself (nothing is sent to it
    meanwhile), and the close code. Waits with the communicator's generous deadline: how fast
    the close comes is for bench/, a busy machine must not fail this."""
    messages: list[Any] = []
    while True:
        output = await ws.receive_output()
        if output["type"] == "websocket.close":
            return messages, output["code"]
        messages.append(output.get("text"))


async def assert_nothing_relayed(sender: WebsocketCommunicator, to: WebsocketCommunicator) -> None:
    """A closed socket's frames go nowhere (the consumer drops what still arrives)."""
    await sender.send_json_to({"type": "signal", "description": OFFER})
    while not await to.receive_nothing(timeout=0.3):
        assert (await to.receive_json_from())["type"] != "signal"


def _signed_in_http(user: Any) -> tuple[HttpClient, str]:
    http = HttpClient()
    http.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return http, http.cookies["sessionid"].value


async def _socket_for(http_cookie: str, appointment_id: int) -> WebsocketCommunicator:
    ws = WebsocketCommunicator(
        application,
        f"/ws/sessions/{appointment_id}/",
        headers=[ORIGIN, (b"cookie", f"sessionid={http_cookie}".encode())],
    )
    connected, _code = await ws.connect()
    assert connected
    assert (await ws.receive_json_from())["type"] == "welcome"
    return ws


async def _call_with_http(cast: Any, call: Any) -> tuple[WebsocketCommunicator, Any, Any]:
    """The client joined; the therapist joined from a browser whose sign-in we hold."""
    client, _welcome = await joined(cast.client_with_portal.user, call.pk)
    http, cookie = await database_sync_to_async(_signed_in_http)(cast.therapist.user)
    therapist = await _socket_for(cookie, call.pk)
    assert (await client.receive_json_from())["type"] == "peer-joined"
    return client, therapist, http


# --- Sign-out, of every kind ---------------------------------------------------------------


@own_loop
async def test_signing_out_closes_the_open_socket(cast, located) -> None:  # type: ignore[no-untyped-def]
    client, therapist, http = await _call_with_http(cast, located)
    response = await database_sync_to_async(http.post)("/accounts/sign-out/")
    assert response.status_code == 302
    messages, code = await closed(therapist)
    assert code == 4401 and messages == ['{"type": "error", "code": "signed_out"}']
    assert await client.receive_json_from() == {"type": "peer-left", "ended": False}
    await assert_nothing_relayed(therapist, client)
    await client.send_json_to({"type": "signal", "candidate": CANDIDATE})
    assert await client.receive_json_from() == {"type": "error", "code": "peer_absent"}
    await client.disconnect()


@own_loop
async def test_idle_sign_out_closes_the_open_socket(cast, located) -> None:  # type: ignore[no-untyped-def]
    client, therapist, http = await _call_with_http(cast, located)

    def _idle_then_request() -> int:
        store = import_module(django_settings.SESSION_ENGINE).SessionStore(
            http.cookies["sessionid"].value
        )
        store["last_seen"] = int(time.time()) - django_settings.IDLE_TIMEOUT_MINUTES * 60 - 5
        store.save()
        return http.get("/").status_code

    assert await database_sync_to_async(_idle_then_request)() == 302
    _messages, code = await closed(therapist)
    assert code == 4401
    assert await client.receive_json_from() == {"type": "peer-left", "ended": False}
    await client.disconnect()


@own_loop
async def test_signing_out_everywhere_closes_every_socket(cast, located) -> None:  # type: ignore[no-untyped-def]
    from teletherapy.accounts.services import end_all_sessions

    client, therapist, _http = await _call_with_http(cast, located)
    await database_sync_to_async(end_all_sessions)(user=cast.therapist.user)
    _messages, code = await closed(therapist)
    assert code == 4401
    await assert_nothing_relayed(therapist, client)
    await client.disconnect()


@own_loop
async def test_a_password_change_closes_the_open_socket(cast, located) -> None:  # type: ignore[no-untyped-def]
    client, therapist, _http = await _call_with_http(cast, located)

    def _new_password() -> None:
        user = type(cast.therapist.user).objects.get(pk=cast.therapist.user_id)
        user.set_password("a new and different password 7")
        user.save(update_fields=["password"])

    await database_sync_to_async(_new_password)()
    _messages, code = await closed(therapist)
    assert code == 4401
    await client.disconnect()


@own_loop
async def test_the_periodic_check_closes_a_socket_whose_sign_in_expired(
    cast, located, settings
) -> None:  # type: ignore[no-untyped-def]
    settings.SIGNALING_RECHECK_SECONDS = 0.5
    settings.SIGNALING_ACCESS_RECHECK_SECONDS = 0.5
    client, therapist, http = await _call_with_http(cast, located)
    # Expired without any signal (no sign-out, no delete): only the safety net sees it.
    key = http.cookies["sessionid"].value
    await database_sync_to_async(
        lambda: Session.objects.filter(session_key=key).update(
            expire_date=timezone.now() - timedelta(seconds=1)
        )
    )()
    _messages, code = await closed(therapist)
    assert code == 4401
    await client.disconnect()


# --- Access changes made by Practice Settings and My Schedule -------------------------------


@own_loop
async def test_deactivating_the_therapist_closes_their_socket(cast, located) -> None:  # type: ignore[no-untyped-def]
    from teletherapy.practice.services import deactivate_staff

    client, therapist, _http = await _call_with_http(cast, located)
    await database_sync_to_async(deactivate_staff)(staff=cast.therapist, by=cast.owner)
    _messages, code = await closed(therapist)
    assert code in (4401, 4403)
    await assert_nothing_relayed(therapist, client)
    await client.disconnect()


@own_loop
async def test_deactivating_the_client_closes_their_socket(cast, located) -> None:  # type: ignore[no-untyped-def]
    from teletherapy.clients.services import set_client_active

    client, therapist = await _pair(cast, located)
    await database_sync_to_async(set_client_active)(
        client=cast.client_with_portal, by=cast.owner, active=False
    )
    messages, code = await closed(client)
    assert code == 4403 and messages == ['{"type": "error", "code": "forbidden"}']
    assert await therapist.receive_json_from() == {"type": "peer-left", "ended": False}
    await assert_nothing_relayed(client, therapist)
    await therapist.disconnect()


@own_loop
async def test_removing_the_therapist_role_closes_both_sockets(cast, located) -> None:  # type: ignore[no-untyped-def]
    from teletherapy.practice.services import set_roles

    client, therapist = await _pair(cast, located)
    await database_sync_to_async(set_roles)(staff=cast.therapist, by=cast.owner, roles=["biller"])
    for ws in (therapist, client):
        _messages, code = await closed(ws)
        assert code == 4403


@own_loop
async def test_switching_teletherapy_off_closes_both_sockets(cast, located) -> None:  # type: ignore[no-untyped-def]
    from teletherapy.practice.services import set_teletherapy

    client, therapist = await _pair(cast, located)
    await database_sync_to_async(set_teletherapy)(
        staff=cast.therapist, by=cast.manager, enabled=False
    )
    for ws in (therapist, client):
        _messages, code = await closed(ws)
        assert code == 4403


@own_loop
async def test_cancelling_the_appointment_closes_both_sockets(cast, located) -> None:  # type: ignore[no-untyped-def]
    from teletherapy.scheduling.services import cancel_appointment

    client, therapist = await _pair(cast, located)
    await database_sync_to_async(cancel_appointment)(
        appointment=located, by=cast.owner, reason="The therapist is ill"
    )
    for ws in (therapist, client):
        _messages, code = await closed(ws)
        assert code == 4403


@own_loop
async def test_moving_the_appointment_closes_both_sockets(cast, located) -> None:  # type: ignore[no-untyped-def]
    from teletherapy.scheduling.services import change_appointment

    client, therapist = await _pair(cast, located)
    later = (timezone.now() + timedelta(days=2)).replace(minute=0, second=0, microsecond=0)
    await database_sync_to_async(change_appointment)(
        appointment=located, by=cast.owner, start=later
    )
    for ws in (therapist, client):
        _messages, code = await closed(ws)
        assert code == 4403


@own_loop
async def test_a_change_that_keeps_access_keeps_the_call(cast, located) -> None:  # type: ignore[no-untyped-def]
    from teletherapy.scheduling.services import change_appointment

    client, therapist = await _pair(cast, located)
    await database_sync_to_async(change_appointment)(
        appointment=located, by=cast.owner, staff_note="Bring the worksheet"
    )
    await therapist.send_json_to({"type": "signal", "description": OFFER})
    assert await client.receive_json_from() == {"type": "signal", "description": OFFER}
    await client.disconnect()
    await therapist.disconnect()


@own_loop
async def test_the_socket_closes_when_the_window_does(cast, settings) -> None:  # type: ignore[no-untyped-def]
    settings.TELETHERAPY_GRACE_MINUTES = 0

    def _ending_soon() -> Any:
        from teletherapy.video.models import VideoSession

        now = timezone.now()
        call = make_tele_appointment(
            cast, start=now - timedelta(minutes=30), end=now + timedelta(seconds=2)
        )
        VideoSession.objects.create(appointment=call, client_location="NJ")
        return call

    call = await database_sync_to_async(_ending_soon)()
    client, therapist = await _pair(cast, call)
    for ws in (therapist, client):
        _messages, code = await closed(ws)
        assert code == 4403


# --- The push itself ------------------------------------------------------------------------


@pytest.mark.django_db(transaction=False)
async def test_a_push_from_the_event_loops_own_thread_still_arrives(caplog) -> None:  # type: ignore[no-untyped-def]
    """Async code that commits through the ORM runs the on-commit push on the loop's thread,
    where async_to_sync cannot run: the sends go out as a task instead, with no warning."""
    from channels.layers import get_channel_layer

    from teletherapy.video import revoke

    layer = get_channel_layer()
    assert layer is not None
    channel = await layer.new_channel()
    await layer.group_add(revoke.user_group(987654), channel)
    with caplog.at_level("WARNING", logger="teletherapy.video.revoke"):
        revoke._push([revoke.user_group(987654)])
        # A generous deadline: the old code only logged, so nothing ever arrived.
        message = await asyncio.wait_for(layer.receive(channel), timeout=30)
    assert message == revoke.REVOKE
    assert "Could not push" not in caplog.text
