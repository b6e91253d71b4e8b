"""A guardian in a minor's call: joins as the call's client from their own sign-in, and loses
the call the moment they are removed (or the minor un-ticked, or the guardian deactivated):
their socket, in the Waiting Room or the call, closes by the revoke push (the periodic
re-check is set far off here), and nothing more is relayed."""

from __future__ import annotations

import time
from typing import Any

import pytest
from channels.db import database_sync_to_async

from teletherapy.clients import services
from teletherapy.test.personas import make_client
from teletherapy.video.models import VideoSession
from teletherapy.video.tests.conftest import make_tele_appointment
from teletherapy.video.tests.test_consumer import OFFER, joined, own_loop
from teletherapy.video.tests.test_consumer_revoke import assert_nothing_relayed, closed

pytestmark = pytest.mark.django_db(transaction=True)

# Far beyond any deadline below: only the push can close the socket in time.
SLOW_RECHECK = 600


@pytest.fixture
def minors_call(cast, settings):  # type: ignore[no-untyped-def]
    settings.SIGNALING_RECHECK_SECONDS = SLOW_RECHECK
    parent = make_client(cast.practice, "Gail", "Guardian", username="gail")
    minor = make_client(cast.practice, "Mina", "Minor", is_minor=True, therapists=[cast.therapist])
    minor.guardians.add(parent)
    call = make_tele_appointment(cast, client=minor)
    VideoSession.objects.create(appointment=call, client_location="NY")
    return parent, minor, call


async def _guardian_and_therapist(cast: Any, parent: Any, call: Any) -> tuple[Any, Any]:
    guardian, welcome = await joined(parent.user, call.pk)
    assert welcome["type"] == "welcome" and welcome["role"] == "client"
    therapist, welcome = await joined(cast.therapist.user, call.pk)
    assert welcome["peer_present"] is True
    assert await guardian.receive_json_from() == {"type": "peer-joined"}
    # The call relays between them like any call.
    await therapist.send_json_to({"type": "signal", "description": OFFER})
    assert await guardian.receive_json_from() == {"type": "signal", "description": OFFER}
    return guardian, therapist


def _change(how: str, cast: Any, parent: Any, minor: Any) -> None:
    if how == "removed":
        services.update_client(client=minor, by=cast.manager, fields={}, guardians=[])
    elif how == "unticked":
        services.update_client(client=minor, by=cast.manager, fields={"is_minor": False})
    elif how == "deactivated":
        services.set_client_active(client=parent, by=cast.manager, active=False)
    else:  # straight on the relation, from the guardian's side (the admin, a script)
        parent.wards.clear()


@pytest.mark.parametrize("how", ["removed", "unticked", "deactivated", "cleared"])
@own_loop
async def test_a_guardian_removed_mid_call_is_cut_off_at_once(cast, minors_call, how) -> None:  # type: ignore[no-untyped-def]
    parent, minor, call = minors_call
    guardian, therapist = await _guardian_and_therapist(cast, parent, call)
    started = time.monotonic()
    await database_sync_to_async(_change)(how, cast, parent, minor)
    messages, code = await closed(guardian)
    assert time.monotonic() - started < SLOW_RECHECK / 10
    assert code in (4401, 4403), messages
    assert await therapist.receive_json_from() == {"type": "peer-left", "ended": False}
    await assert_nothing_relayed(therapist, guardian)
    await therapist.disconnect()


@own_loop
async def test_a_guardian_waiting_alone_is_cut_off_too(cast, minors_call) -> None:  # type: ignore[no-untyped-def]
    parent, minor, call = minors_call
    guardian, welcome = await joined(parent.user, call.pk)
    assert welcome["peer_present"] is False
    await database_sync_to_async(_change)("removed", cast, parent, minor)
    _messages, code = await closed(guardian)
    assert code == 4403
    # And they cannot come back.
    again, _welcome = await joined(cast.therapist.user, call.pk)
    from teletherapy.video.tests.test_consumer import socket

    retry = await socket(parent.user, call.pk)
    connected, code = await retry.connect()
    assert not connected and code == 4404  # as for a session that is not theirs
    await again.disconnect()


@pytest.mark.redis
@pytest.mark.postgres
def test_the_push_crosses_processes_through_redis(cast, minors_call, settings, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Several app processes: the push goes through the Redis channel layer."""
    import os

    from django.db import connections

    monkeypatch.setitem(connections.settings["default"], "CONN_MAX_AGE", 0)
    redis_url = os.environ.get("REDIS_URL")
    if not redis_url:
        pytest.skip("REDIS_URL is not set: run with scripts/test-services")
    from teletherapy.lib.channel_layer import redis_layer

    settings.CHANNEL_LAYERS = {"default": redis_layer(redis_url)}
    parent, minor, call = minors_call

    @own_loop
    async def body() -> None:
        guardian, therapist = await _guardian_and_therapist(cast, parent, call)
        await database_sync_to_async(_change)("removed", cast, parent, minor)
        _messages, code = await closed(guardian)
        assert code == 4403
        await assert_nothing_relayed(therapist, guardian)
        await therapist.disconnect()

    body()
