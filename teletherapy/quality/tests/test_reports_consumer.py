"""Call-quality reports through the real ASGI stack: kept under the sender's own
participation, written off the relay's path; malformed, too large or too frequent ones dropped
with the call going on (its other messages still relayed, no close)."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from typing import Any

import pytest
from channels.db import database_sync_to_async

from teletherapy.quality.models import QualitySample
from teletherapy.video import reports
from teletherapy.video.models import Participation
from teletherapy.video.tests.test_consumer import OFFER, _pair, own_loop

pytestmark = pytest.mark.django_db(transaction=True)

REPORT: dict[str, Any] = {
    "type": "quality",
    "rtt": 42.0,
    "jitter": 3,
    "loss": 0.5,
    "kbps_in": 1450,
    "kbps_out": 1500,
    "fps": 30,
    "width": 1280,
    "height": 720,
    "local": "relay",
    "remote": "relay",
    "audio_only": False,
    "state": "connected",
    "drops": [[2000, 4000]],
}


async def _samples(**filters: Any) -> list[QualitySample]:
    return await database_sync_to_async(lambda: list(QualitySample.objects.filter(**filters)))()


async def _wait_for_samples(count: int, **filters: Any) -> list[QualitySample]:
    deadline = time.monotonic() + 30
    while True:
        rows = await _samples(**filters)
        if len(rows) >= count or time.monotonic() > deadline:
            return rows
        await asyncio.sleep(0.05)


@pytest.fixture
def no_wait(monkeypatch):  # type: ignore[no-untyped-def]
    """Reports may follow each other at once (the real minimum is 5 s)."""
    monkeypatch.setattr(reports, "QUALITY_MIN_SECONDS", 0.0)


@own_loop
async def test_a_report_is_kept_under_the_senders_participation(cast, located) -> None:
    client, therapist = await _pair(cast, located)
    await client.send_json_to(REPORT)
    # Nothing comes back, and the call goes on at once.
    await therapist.send_json_to({"type": "signal", "description": OFFER})
    assert await client.receive_json_from() == {"type": "signal", "description": OFFER}
    [row] = await _wait_for_samples(1)
    mine = await database_sync_to_async(
        lambda: Participation.objects.get(role="client", left_at__isnull=True)
    )()
    assert row.participation_id == mine.pk and row.session_id == mine.session_id
    assert row.role == "client"
    assert (row.rtt_ms, row.jitter_ms, row.loss_percent) == (42, 3, 0.5)
    assert (row.kbps_in, row.kbps_out, row.fps, row.width, row.height) == (
        1450,
        1500,
        30,
        1280,
        720,
    )
    assert (row.local_type, row.remote_type, row.audio_only, row.state) == (
        "relay",
        "relay",
        False,
        "connected",
    )
    assert row.drops == [[2000, 4000]]
    assert await client.receive_nothing()
    await client.disconnect()
    await therapist.disconnect()


def _bad_reports() -> list[tuple[str, str]]:
    def variant(**changes: Any) -> str:
        return json.dumps({**REPORT, **changes})

    without_rtt = dict(REPORT)
    del without_rtt["rtt"]
    return [
        (variant(rtt="fast"), "invalid_quality"),
        (variant(rtt=-1), "invalid_quality"),
        (variant(loss=101), "invalid_quality"),
        (variant(kbps_in=None), "invalid_quality"),
        (variant(kbps_in=1.5), "invalid_quality"),
        (variant(height=True), "invalid_quality"),
        (variant(local="lan"), "invalid_quality"),
        (variant(state="happy"), "invalid_quality"),
        (variant(audio_only="no"), "invalid_quality"),
        (variant(drops=[[1, 2, 3]]), "invalid_quality"),
        (variant(drops=[[1, 2]] * 11), "invalid_quality"),
        (json.dumps(without_rtt), "invalid_quality"),
        # Someone else's report: the sender is whoever's connection it is, never named.
        (variant(participation=1), "invalid_quality"),
        (variant(role="therapist"), "invalid_quality"),
        (variant(state="connected" + " " * 1100), "too_large"),
        (json.dumps({**REPORT, "rtt": float("nan")}), "invalid_quality"),
        (json.dumps({**REPORT, "rtt": float("inf")}), "invalid_quality"),
        ('{"type": "quality", "rtt": 1e999}', "invalid_quality"),
    ]


@own_loop
async def test_bad_reports_are_dropped_and_the_call_goes_on(cast, located, no_wait) -> None:
    client, therapist = await _pair(cast, located)
    for text, code in _bad_reports():
        await client.send_to(text_data=text)
        assert await client.receive_json_from() == {"type": "error", "code": code}, text
        # The call's other messages are still relayed, both ways.
        await client.send_json_to({"type": "media", "audio": True, "video": False})
        assert (await therapist.receive_json_from())["type"] == "peer-media"
    assert await _samples() == []
    await client.send_json_to(REPORT)
    assert len(await _wait_for_samples(1)) == 1
    await client.disconnect()
    assert await therapist.receive_json_from() == {"type": "peer-left", "ended": False}
    await therapist.disconnect()


@own_loop
async def test_too_frequent_reports_are_dropped(cast, located) -> None:
    client, therapist = await _pair(cast, located)
    await client.send_json_to(REPORT)
    for _ in range(5):
        await client.send_json_to(REPORT)
        assert await client.receive_json_from() == {
            "type": "error",
            "code": "quality_too_frequent",
        }
    await therapist.send_json_to({"type": "signal", "description": OFFER})
    assert await client.receive_json_from() == {"type": "signal", "description": OFFER}
    assert len(await _wait_for_samples(1)) == 1
    assert await client.receive_nothing()
    # The therapist's own first report is theirs to send, not blocked by the client's.
    await therapist.send_json_to(REPORT)
    assert len(await _wait_for_samples(1, role="therapist")) == 1
    assert await therapist.receive_nothing()
    await client.disconnect()
    await therapist.disconnect()


@own_loop
async def test_each_participant_writes_only_their_own_series(cast, located, no_wait) -> None:
    client, therapist = await _pair(cast, located)
    for _ in range(3):
        await therapist.send_json_to({**REPORT, "height": 360})
    await client.send_json_to(REPORT)
    rows = await _wait_for_samples(4)
    roles = {
        p.pk: p.role
        for p in await database_sync_to_async(lambda: list(Participation.objects.all()))()
    }
    assert sorted(r.role for r in rows) == ["client", "therapist", "therapist", "therapist"]
    assert all(roles[r.participation_id] == r.role for r in rows)
    assert {r.height for r in rows if r.role == "therapist"} == {360}
    await client.disconnect()
    await therapist.disconnect()


@own_loop
async def test_a_report_before_joining_is_refused(cast, located) -> None:
    from teletherapy.video.tests.test_consumer import socket

    ws = await socket(cast.therapist.user, located.pk)
    ws.scope["query_string"] = b"wait=1"
    connected, _code = await ws.connect()
    assert connected
    await ws.send_json_to(REPORT)
    assert await ws.receive_json_from() == {"type": "error", "code": "not_joined"}
    assert await _samples() == []
    await ws.disconnect()


@own_loop
async def test_a_failing_store_does_not_end_the_call(cast, located, monkeypatch) -> None:
    tried = threading.Event()

    def broken(**kwargs: Any) -> None:
        tried.set()
        raise RuntimeError("database away")

    monkeypatch.setattr(reports, "_stores", [broken])
    client, therapist = await _pair(cast, located)
    await client.send_json_to(REPORT)
    # The background write has run and failed before the call is judged.
    deadline = time.monotonic() + 30
    while not tried.is_set():
        assert time.monotonic() < deadline, "the report was never written"
        await asyncio.sleep(0.05)
    await therapist.send_json_to({"type": "signal", "description": OFFER})
    assert await client.receive_json_from() == {"type": "signal", "description": OFFER}
    await client.send_json_to({"type": "ping"})
    assert await client.receive_json_from() == {"type": "pong"}
    await client.disconnect()
    await therapist.disconnect()
