"""The call's quality in words, for hand-picked calls and for generated series of reports."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from teletherapy.lib.clock import duration_text
from teletherapy.quality.chart import chart
from teletherapy.quality.summary import (
    Drop,
    Presence,
    Sample,
    drops,
    in_words,
    resolution_label,
)

T0 = datetime(2026, 12, 1, 19, 0, tzinfo=UTC)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def series(role: str, seconds: range, **fields: object) -> list[Sample]:
    return [Sample(role=role, at=at(s), **fields) for s in seconds]  # type: ignore[arg-type]


def steady_call(**fields: object) -> list[Sample]:
    values = {
        "height": 720,
        "local_type": "relay",
        "remote_type": "relay",
        "rtt_ms": 40,
        "loss_percent": 0.2,
        "kbps_in": 1400,
    }
    values.update(fields)
    return series("client", range(0, 600, 10), **values) + series(
        "therapist", range(5, 600, 10), **values
    )


def test_the_issues_example() -> None:
    # The client's network went out twice: their reports stopped, the therapist's page timed it.
    samples = steady_call()
    gaps = {(100, 125), (300, 330)}
    samples = [
        s
        for s in samples
        if s.role == "therapist" or not any(at(a) < s.at < at(b) for a, b in gaps)
    ]
    samples = [
        Sample(**{**s.__dict__, "drops": ((3000, 4000),)})
        if s.role == "therapist" and s.at == at(115)
        else Sample(**{**s.__dict__, "drops": ((2000, 11000),)})
        if s.role == "therapist" and s.at == at(325)
        else s
        for s in samples
    ]
    found = drops(samples, [])
    assert [(d.seconds, d.side) for d in found] == [(4, "client"), (11, "client")]
    assert in_words(samples, found) == (
        "Video 720p most of the time; 2 drops of 4 s and 11 s on the client's side; relayed "
        "through TURN; round trip 40 ms typically, packet loss under 1%."
    )


def test_a_presence_gap_is_a_drop_on_that_side_seen_once() -> None:
    samples = steady_call(local_type="host", remote_type="srflx")
    # The therapist's page saw the drop too (it ended 1 s before its report at 255 s).
    samples.append(Sample(role="therapist", at=at(256), drops=((1000, 14000),)))
    presences = [
        Presence("therapist", at(0), None),
        Presence("client", at(0), at(240)),
        Presence("client", at(253), None),
    ]
    [drop] = drops(samples, presences)
    assert drop.side == "client" and drop.seconds == 15
    words = in_words(samples, [drop])
    assert "1 drop of 15 s on the client's side" in words
    assert "direct between the two (peer to peer)" in words


def test_leaving_on_purpose_is_not_a_drop() -> None:
    presences = [
        Presence("client", at(0), at(100), on_purpose=True),
        Presence("client", at(160), None),
    ]
    assert drops(steady_call(), presences) == []


def test_a_reload_that_replaced_the_connection_is_not_a_drop() -> None:
    presences = [Presence("client", at(0), at(100.5)), Presence("client", at(100), None)]
    assert drops(steady_call(), presences) == []
    assert "no drops" in in_words(steady_call(), [])


def test_audio_only_and_mixed_routes_and_resolutions() -> None:
    samples = series("client", range(0, 100, 10), height=360, local_type="relay")
    samples += series("therapist", range(0, 100, 10), audio_only=True, local_type="host")
    samples[0] = Sample(role="client", at=at(0), height=360, loss_percent=6.0)
    words = in_words(samples, [Drop(at(5), at(12), None)])
    assert words.startswith("Video 360p most of the time; audio only from the therapist")
    assert "1 drop of 7 s between them" in words
    assert "relayed through TURN part of the time" in words
    assert "packet loss 6% on average" in words


def test_no_reports() -> None:
    assert in_words([], []) == "No call-quality reports were received."


def test_labels() -> None:
    assert [resolution_label(h) for h in (1080, 720, 704, 540, 404, 360, 120)] == [
        "1080p",
        "720p",
        "720p",
        "540p",
        "360p",
        "360p",
        "120p",
    ]
    assert [duration_text(s, exact=True) for s in (4, 60, 71)] == ["4 s", "1 min", "1 min 11 s"]
    assert [duration_text(s) for s in (4, 60, 71)] == ["4 s", "1 min", "1 min"]


# --- Generated series --------------------------------------------------------------------

ROLE = st.sampled_from(["client", "therapist"])
CANDIDATE = st.sampled_from(["", "host", "srflx", "prflx", "relay"])
SAMPLE = st.builds(
    Sample,
    role=ROLE,
    at=st.integers(0, 3600).map(at),
    rtt_ms=st.none() | st.integers(0, 60_000),
    loss_percent=st.none() | st.floats(0, 100),
    kbps_in=st.integers(0, 1_000_000),
    height=st.none() | st.integers(0, 16_384),
    local_type=CANDIDATE,
    remote_type=CANDIDATE,
    audio_only=st.booleans(),
    drops=st.lists(st.tuples(st.integers(0, 3_600_000), st.integers(0, 3_600_000)), max_size=3).map(
        tuple
    ),
)
PRESENCE = st.builds(
    lambda role, joined, stay: Presence(
        role, at(joined), None if stay is None else at(joined + stay)
    ),
    ROLE,
    st.integers(0, 3600),
    st.none() | st.integers(0, 3600),
)


@settings(max_examples=300, deadline=None)
@given(samples=st.lists(SAMPLE, max_size=60), presences=st.lists(PRESENCE, max_size=6))
def test_any_series_reads_as_one_plain_sentence(samples, presences) -> None:  # type: ignore[no-untyped-def]
    found = drops(samples, presences)
    # Drops are in time order, never overlap, and each is at least a second.
    for before, after in zip(found, found[1:], strict=False):
        assert before.end < after.start
    assert all(d.seconds >= 1 for d in found)
    words = in_words(samples, found)
    assert words[0].isupper() and words.endswith(".") and words.count(".") == 1
    assert "None" not in words and "nan" not in words.lower() and "  " not in words
    # Every drop is counted once, by side.
    counted = sum(int(n) for n in re.findall(r"(\d+) drops? of", words))
    assert counted == len(found)
    if not found:
        assert (not samples and words == "No call-quality reports were received.") or (
            "no drops" in words
        )
    known = [s for s in samples if s.local_type or s.remote_type]
    relayed = [s for s in known if "relay" in (s.local_type, s.remote_type)]
    assert ("relayed through TURN" in words) == bool(relayed)
    assert ("peer to peer" in words) == bool(known and not relayed)
    video = [s for s in samples if s.height]
    assert ("no video received" in words.lower()) == bool(samples and not video)


@settings(max_examples=200, deadline=None)
@given(height=st.sampled_from([360, 540, 720, 1080]), count=st.integers(2, 40))
def test_a_steady_resolution_is_named(height: int, count: int) -> None:
    samples = series("client", range(0, 10 * count, 10), height=height) + series(
        "therapist", range(3, 10 * count, 10), height=height
    )
    assert in_words(samples, []).startswith(f"Video {height}p most of the time; no drops")


@settings(max_examples=200, deadline=None)
@given(samples=st.lists(SAMPLE, max_size=40), presences=st.lists(PRESENCE, max_size=4))
def test_any_series_draws_inside_the_chart(samples, presences) -> None:  # type: ignore[no-untyped-def]
    found = drops(samples, presences)
    drawn = chart(
        samples, found, {"client": "client", "therapist": "therapist"}, "America/New_York"
    )
    if len(samples) < 2:
        assert drawn is None
        return
    assert drawn is not None and drawn.description.endswith(".")
    for line in drawn.lines:
        for points in line.segments:
            for point in points.split():
                x, y = (float(v) for v in point.split(","))
                assert drawn.left <= x <= drawn.right and drawn.top <= y <= drawn.bottom
    for band in drawn.bands:
        assert drawn.left <= float(band.x) <= drawn.right
