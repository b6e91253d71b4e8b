"""The alert socket (/ws/alerts/): who hears that a client checked in, and who does not;
leaving; a word reaching the waiting client; sign-out closing the socket."""

from __future__ import annotations

from typing import Any

import pytest
from channels.db import database_sync_to_async
from django.test import Client as HttpClient

from config.asgi import application
from teletherapy.test.sockets import WebsocketCommunicator
from teletherapy.video.tests.test_consumer import ORIGIN, joined, own_loop

pytestmark = pytest.mark.django_db(transaction=True)


def _signed_in(user: Any) -> tuple[HttpClient, str]:
    http = HttpClient()
    http.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return http, http.cookies["sessionid"].value


async def alerts_for(user: Any) -> tuple[WebsocketCommunicator, HttpClient, dict[str, Any]]:
    """The person's alert socket, connected, with the sign-in it was opened with."""
    http, cookie = await database_sync_to_async(_signed_in)(user)
    ws = WebsocketCommunicator(
        application, "/ws/alerts/", headers=[ORIGIN, (b"cookie", f"sessionid={cookie}".encode())]
    )
    connected, _code = await ws.connect()
    assert connected
    hello = await ws.receive_json_from()
    assert hello["type"] == "hello"
    return ws, http, hello


async def next_alert(ws: WebsocketCommunicator) -> dict[str, Any]:
    while True:
        message = await ws.receive_json_from()
        if message["type"] == "alert":
            return message


@own_loop
async def test_the_therapist_hears_the_client_check_in_and_leave(cast, located) -> None:  # type: ignore[no-untyped-def]
    ws, _http, hello = await alerts_for(cast.therapist.user)
    assert hello == {"type": "hello", "kind": "staff", "chime": True}
    client, _welcome = await joined(cast.client_with_portal.user, located.pk)
    alert = await next_alert(ws)
    assert alert["state"] == "waiting" and alert["appointment_id"] == located.pk
    assert alert["client_name"] == "Casey Client" and alert["own"] is True
    assert alert["start_url"] == f"/sessions/{located.pk}/"
    assert alert["word_url"] == f"/alerts/appointments/{located.pk}/word/"
    assert alert["waiting_since"] <= alert["now"] and alert["checked_in"]
    await client.disconnect()
    gone = await next_alert(ws)
    assert gone["state"] == "left" and gone["client_name"] == "Casey Client"
    await ws.disconnect()


@own_loop
async def test_a_client_already_waiting_is_in_the_first_message(cast, located) -> None:  # type: ignore[no-untyped-def]
    client, _welcome = await joined(cast.client_with_portal.user, located.pk)
    ws, _http, _hello = await alerts_for(cast.therapist.user)
    alert = await next_alert(ws)
    assert alert["state"] == "waiting" and alert["appointment_id"] == located.pk
    await client.disconnect()
    await ws.disconnect()


@own_loop
async def test_owner_manager_and_scheduler_see_it_without_start(cast, located) -> None:  # type: ignore[no-untyped-def]
    sockets = [(await alerts_for(s.user))[0] for s in (cast.owner, cast.manager, cast.scheduler)]
    client, _welcome = await joined(cast.client_with_portal.user, located.pk)
    for ws in sockets:
        alert = await next_alert(ws)
        assert alert["state"] == "waiting" and alert["own"] is False
        assert alert["start_url"] == "" and alert["word_url"] == ""
        assert alert["therapist_name"] == "Tess Therapist"
    await client.disconnect()
    for ws in sockets:
        await ws.disconnect()


@own_loop
async def test_others_hear_nothing(cast, located) -> None:  # type: ignore[no-untyped-def]
    """Another practice's owner, the Biller (who cannot see the schedule) and a therapist
    whose appointment it is not are told nothing."""
    sockets = [
        (await alerts_for(s.user))[0] for s in (cast.other_owner, cast.biller, cast.therapist_plain)
    ]
    watcher, _http, _hello = await alerts_for(cast.therapist.user)
    client, _welcome = await joined(cast.client_with_portal.user, located.pk)
    assert (await next_alert(watcher))["state"] == "waiting"  # it was pushed ...
    for ws in sockets:
        assert await ws.receive_nothing(timeout=0.5)  # ... to its therapist only
    await client.disconnect()
    for ws in [*sockets, watcher]:
        await ws.disconnect()


@own_loop
async def test_anonymous_is_refused(cast) -> None:  # type: ignore[no-untyped-def]
    ws = WebsocketCommunicator(application, "/ws/alerts/", headers=[ORIGIN])
    connected, code = await ws.connect()
    assert not connected and code == 4401


@own_loop
async def test_signing_out_closes_the_alert_socket(cast, located) -> None:  # type: ignore[no-untyped-def]
    ws, http, _hello = await alerts_for(cast.therapist.user)
    response = await database_sync_to_async(http.post)("/accounts/sign-out/")
    assert response.status_code == 302
    while True:
        output = await ws.receive_output()
        if output["type"] == "websocket.close":
            assert output["code"] == 4401
            break
    # A check-in after that reaches nobody on this socket.
    client, _welcome = await joined(cast.client_with_portal.user, located.pk)
    await client.disconnect()


@own_loop
async def test_a_word_reaches_the_waiting_client(cast, located) -> None:  # type: ignore[no-untyped-def]
    from teletherapy.alerts.models import WaitingRoomWord

    client_call, _welcome = await joined(cast.client_with_portal.user, located.pk)
    client_alerts, _http, hello = await alerts_for(cast.client_with_portal.user)
    assert hello == {"type": "hello", "kind": "client"}
    therapist_alerts, therapist_http, _hello = await alerts_for(cast.therapist.user)
    assert (await next_alert(therapist_alerts))["state"] == "waiting"
    response = await database_sync_to_async(therapist_http.post)(
        f"/alerts/appointments/{located.pk}/word/",
        {"text": "Running 5 minutes late, thank you for waiting."},
        headers={"accept": "application/json"},
    )
    assert response.status_code == 200, response.content
    word = await client_alerts.receive_json_from()
    assert word["type"] == "word" and word["appointment_id"] == located.pk
    assert word["text"] == "Running 5 minutes late, thank you for waiting."
    assert word["from"] == "Tess Therapist" and word["at"]
    # The therapist's alert says what was sent.
    alert = await next_alert(therapist_alerts)
    assert alert["word"]["text"] == "Running 5 minutes late, thank you for waiting."
    stored = await database_sync_to_async(
        lambda: list(WaitingRoomWord.objects.values_list("by_id", "text"))
    )()
    assert stored == [(cast.therapist.user_id, "Running 5 minutes late, thank you for waiting.")]
    for ws in (client_call, client_alerts, therapist_alerts):
        await ws.disconnect()


@own_loop
async def test_a_client_whose_app_process_died_is_shown_gone(cast, located, settings) -> None:  # type: ignore[no-untyped-def]
    """No goodbye from a dead process: the alert socket's refresh expires the connection that
    stopped beating, and says the client left."""
    from datetime import timedelta

    from django.utils import timezone

    from teletherapy.video.models import Participation

    settings.ALERT_REFRESH_SECONDS = 0.3
    settings.SIGNALING_RECHECK_SECONDS = 120  # the "dead" connection does not beat meanwhile
    settings.TELETHERAPY_PRESENCE_SECONDS = 5
    ws, _http, _hello = await alerts_for(cast.therapist.user)
    client, _welcome = await joined(cast.client_with_portal.user, located.pk)
    assert (await next_alert(ws))["state"] == "waiting"
    # Its process is gone: the connection stays open here but beats no more.
    old = timezone.now() - timedelta(seconds=6)
    await database_sync_to_async(lambda: Participation.objects.update(seen_at=old))()
    gone = await next_alert(ws)
    assert gone["state"] == "left"
    await ws.disconnect()
    await client.disconnect()
