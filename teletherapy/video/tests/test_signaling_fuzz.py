"""Signaling fuzz and flood (issue 9, Tests), through the real ASGI stack: thousands of
malformed frames and a 1,000 messages/s flood from one participant, while the other practice
holds a call of its own. Nothing reaches anyone but the other participant, no presence row is
left behind, the flood is throttled and closed, and afterwards the pair still completes an
offer and answer within 2 seconds. The totals are printed."""

from __future__ import annotations

import asyncio
import json
import random
import time
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from channels.db import database_sync_to_async

from teletherapy.test.sockets import WebsocketCommunicator
from teletherapy.video.messages import MAX_MESSAGE_BYTES
from teletherapy.video.models import Participation, VideoSession
from teletherapy.video.tests.conftest import make_tele_appointment
from teletherapy.video.tests.test_consumer import ANSWER, CANDIDATE, OFFER, joined, own_loop, socket

pytestmark = pytest.mark.django_db(transaction=True)

SUMMARY: list[str] = []


@pytest.fixture(scope="module", autouse=True)
def _print_totals(request: pytest.FixtureRequest) -> Iterator[None]:
    """Print the totals whether or not output is captured (-s)."""
    yield
    capture = request.config.pluginmanager.getplugin("capturemanager")
    with capture.global_and_fixture_disabled():
        for line in SUMMARY:
            print(line)


MALFORMED = 5000
FLOOD_RATE = 1000  # messages a second
FLOOD_SECONDS = 2.0


def _malformed(rng: random.Random) -> Iterator[tuple[str, str | None, bytes | None]]:
    """(label, text, bytes) frames no browser of ours sends; none is a valid message."""
    huge_under = "x" * (MAX_MESSAGE_BYTES - 200)
    huge_over = "x" * (MAX_MESSAGE_BYTES + 1)
    fixed: list[tuple[str, str | None, bytes | None]] = [
        ("nesting bomb", "[" * 3000, None),
        ("nesting bomb", '{"type": "signal", "candidate": ' + "{" * 3000, None),
        (
            "nesting bomb",
            '{"type":"signal","description":' + '{"a":' * 3000 + "1" + "}" * 3000 + "}",
            None,
        ),
        (
            "huge under limit",
            json.dumps({"type": "signal", "description": {"type": "offer", "sdp": huge_under}}),
            None,
        ),
        ("huge under limit", json.dumps({"type": "shout", "text": huge_under}), None),
        (
            "huge over limit",
            json.dumps({"type": "signal", "description": {"type": "offer", "sdp": huge_over}}),
            None,
        ),
        ("huge over limit", huge_over, None),
        ("invalid utf-8", None, b"\xff\xfe\xfd"),
        ("invalid utf-8", "\ud800", None),
        (
            "invalid utf-8",
            '{"type": "signal", "candidate": {"candidate": "\\udc80"}, "x": 1}',
            None,
        ),
    ]
    wrong_types: list[Any] = [None, True, 0, -1, 1.5, "x", [], {}, [1], {"a": 1}, 2**70, "\x00"]
    kinds = [
        "signal",
        "media",
        "end2",
        "join",
        "hold-offer",
        "shout",
        "",
        "SIGNAL",
        "pong",
        "welcome",
        "call.signal",
        "peer-joined",
    ]
    while True:
        choice = rng.randrange(9)
        if choice == 0:
            yield fixed[rng.randrange(len(fixed))]
        elif choice == 1:
            # Not JSON, or JSON but not an object.
            text = "".join(rng.choice('{}[]":,\\ ntrue1') for _ in range(rng.randrange(1, 60)))
            try:
                if isinstance(json.loads(text), dict):
                    continue
            except ValueError:
                pass
            yield ("invalid json", text, None)
        elif choice == 2:
            yield ("binary frame", None, rng.randbytes(rng.randrange(1, 300)))
        elif choice == 3:
            kind = rng.choice(kinds[5:])
            yield ("unknown kind", json.dumps({"type": kind, "payload": rng.random()}), None)
        elif choice == 4:
            yield ("wrong type", json.dumps({"type": rng.choice(wrong_types[:11])}), None)
        elif choice == 5:
            value = rng.choice(wrong_types)
            yield ("wrong type", json.dumps({"type": "signal", "description": value}), None)
        elif choice == 6:
            # Values wrong for every field of a candidate.
            wrong = [True, 1.5, [], {}, [1], {"a": 1}, 2**70]
            bad = {**CANDIDATE, rng.choice(list(CANDIDATE)): rng.choice(wrong)}
            yield ("wrong type", json.dumps({"type": "signal", "candidate": bad}), None)
        elif choice == 7:
            message = {"type": "media", "audio": rng.choice(wrong_types[2:]), "video": True}
            yield ("wrong type", json.dumps(message), None)
        else:
            extra = {"type": "signal", "description": OFFER, "candidate": CANDIDATE}
            if rng.random() < 0.5:
                extra = {"type": "hold-offer", "id": rng.choice(wrong_types), "description": OFFER}
            yield ("wrong shape", json.dumps(extra), None)


async def _received(ws: WebsocketCommunicator, timeout: float = 0.2) -> list[dict[str, Any]]:
    """Everything the socket has been sent until it is quiet for `timeout`."""
    out: list[dict[str, Any]] = []
    # receive_nothing, not a timeout on receive_output: that would cancel the application.
    while not await ws.receive_nothing(timeout=timeout):
        message = await ws.receive_output()
        out.append(json.loads(message["text"]) if "text" in message else message)
        if message.get("type") == "websocket.close":
            break
    return out


async def _until(ws: WebsocketCommunicator, wanted: dict[str, Any], *, deadline: float) -> None:
    """Wait for `wanted` on the socket (skipping the rest) until `deadline` (monotonic)."""
    while True:
        remaining = deadline - time.monotonic()
        assert remaining > 0, f"{wanted} not received in time"
        if await ws.receive_json_from(timeout=remaining) == wanted:
            return


def _presence(appointment_id: int) -> list[tuple[str, int]]:
    """(role, open rows) for the appointment's session."""
    rows = Participation.objects.filter(session__appointment_id=appointment_id, left_at=None)
    counts = Counter(rows.values_list("role", flat=True))
    return sorted(counts.items())


def _other_call(cast: Any) -> Any:
    appointment = make_tele_appointment(
        cast,
        practice=cast.other_practice,
        therapist=cast.other_therapist,
        client=cast.other_client,
        created_by=cast.other_therapist.user,
    )
    VideoSession.objects.create(appointment=appointment, client_location="CA")
    return appointment


@own_loop
async def test_malformed_frames_and_a_flood_reach_nobody_and_the_call_goes_on(  # type: ignore[no-untyped-def]
    cast, located, settings
) -> None:
    other = await database_sync_to_async(_other_call)(cast)
    outsider_client, _ = await joined(cast.other_client.user, other.pk)
    outsider_therapist, _ = await joined(cast.other_therapist.user, other.pk)
    assert (await outsider_client.receive_json_from())["type"] == "peer-joined"
    # Another therapist of the practice is refused at the door.
    stranger = await socket(cast.therapist_plain.user, located.pk)
    assert await stranger.connect() == (False, 4404)

    # The fuzzing connection is let past the rate limit, so that every frame is parsed.
    default_rate, default_burst = settings.SIGNALING_RATE_PER_SECOND, settings.SIGNALING_BURST
    settings.SIGNALING_RATE_PER_SECOND = settings.SIGNALING_BURST = 10**9
    client, _ = await joined(cast.client_with_portal.user, located.pk)
    settings.SIGNALING_RATE_PER_SECOND, settings.SIGNALING_BURST = default_rate, default_burst
    therapist, _ = await joined(cast.therapist.user, located.pk)
    assert await client.receive_json_from() == {"type": "peer-joined"}

    rng = random.Random(9)
    frames = _malformed(rng)
    labels: Counter[str] = Counter()
    codes: Counter[str] = Counter()
    for _ in range(MALFORMED):
        label, text, raw = next(frames)
        labels[label] += 1
        if raw is not None:
            await client.send_to(bytes_data=raw)
        else:
            await client.send_to(text_data=text)
        reply = await client.receive_json_from(timeout=5)
        assert reply["type"] == "error", (label, (text or "")[:80], reply)
        codes[reply["code"]] += 1
    assert "rate_limited" not in codes
    assert await therapist.receive_nothing()

    # The flood: 1,000 candidates a second from the therapist, paced (not a wait for anything).
    frame = json.dumps({"type": "signal", "candidate": CANDIDATE})
    flood_sent, started, closed = 0, time.monotonic(), False
    while time.monotonic() - started < FLOOD_SECONDS:
        due = int((time.monotonic() - started) * FLOOD_RATE)
        while flood_sent < due:
            await therapist.send_to(text_data=frame)
            flood_sent += 1
        await asyncio.sleep(0.005)
    flood_elapsed = time.monotonic() - started
    own = await _received(therapist, timeout=1)
    closed = own[-1] == {"type": "websocket.close", "code": 4429}
    throttled = own.count({"type": "error", "code": "rate_limited"})
    assert throttled >= 1 and closed, own[-3:]
    relayed = [m for m in await _received(client, timeout=1) if m.get("type") == "signal"]
    # The burst, and the rate for as long as the flood lasted; nowhere near all of it.
    assert len(relayed) <= default_burst + default_rate * flood_elapsed + 10
    assert len(relayed) < flood_sent / 2

    # Nothing of any of it reached the other practice's call, and no ghost is left.
    assert await outsider_client.receive_nothing()
    assert await outsider_therapist.receive_nothing()
    assert await database_sync_to_async(_presence)(located.pk) == [("client", 1)]

    # The legitimate pair: the therapist back, offer and answer, with 2 seconds for all of it.
    therapist, welcome = await joined(cast.therapist.user, located.pk)
    assert welcome["peer_present"] is True
    started = time.monotonic()
    deadline = started + 2.0
    await therapist.send_json_to({"type": "signal", "description": OFFER})
    await _until(client, {"type": "signal", "description": OFFER}, deadline=deadline)
    await client.send_json_to({"type": "signal", "description": ANSWER})
    await _until(therapist, {"type": "signal", "description": ANSWER}, deadline=deadline)
    round_trip = time.monotonic() - started
    assert await database_sync_to_async(_presence)(located.pk) == [("client", 1), ("therapist", 1)]
    assert await outsider_client.receive_nothing()
    assert await outsider_therapist.receive_nothing()

    for ws in (therapist, client, outsider_therapist, outsider_client):
        await ws.disconnect()
    assert await database_sync_to_async(_presence)(located.pk) == []
    assert await database_sync_to_async(_presence)(other.pk) == []

    SUMMARY.append(
        f"\nsignaling fuzz: {MALFORMED} malformed frames {dict(sorted(labels.items()))}, "
        f"answered {dict(sorted(codes.items()))}, 0 relayed; flood: {flood_sent} messages in "
        f"{flood_elapsed:.2f} s ({flood_sent / flood_elapsed:.0f}/s), {len(relayed)} relayed, "
        f"{throttled} rate_limited, closed 4429; outsiders received 0; no ghost; offer and "
        f"answer afterwards in {round_trip * 1000:.0f} ms (deadline 2 s)"
    )
