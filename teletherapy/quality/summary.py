"""A call's quality in words, from the participants' reports and their presence: pure
functions over plain values (no database), so they can be tested with generated series.

A drop is a stretch of time the call's connection was not up. It is known from two sources:
the pages, which time each "reconnecting" stretch and report it once it is over (both pages
usually see the same drop), and presence, when a person's signaling connection went away and
came back (a Participation left, not by Leave, and a new one of the same person joined
later). Whose side it
was on: the person whose presence had the gap, or whose reports stopped arriving meanwhile
(their network was out); when neither or both can be told, it is "between them".
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from statistics import median

from teletherapy.lib.clock import duration_text

ROLES = ("client", "therapist")
# Pages report every 10 s: a longer silence from one of them means its reports did not arrive.
REPORT_GAP = timedelta(seconds=25)
# Two sightings of one drop (each page's, presence) end within this of each other.
SAME_DROP = timedelta(seconds=3)
# Shorter than this is a hiccup, not a drop.
MIN_DROP = timedelta(seconds=1)
STANDARD_HEIGHTS = (2160, 1440, 1080, 720, 540, 480, 360, 240, 180)


@dataclass(frozen=True)
class Sample:
    role: str
    at: datetime
    rtt_ms: int | None = None
    loss_percent: float | None = None
    kbps_in: int = 0
    height: int | None = None
    local_type: str = ""
    remote_type: str = ""
    audio_only: bool = False
    # [[ms before `at` the drop ended, ms it lasted], ...]
    drops: tuple[tuple[int, int], ...] = ()


@dataclass(frozen=True)
class Presence:
    role: str
    joined_at: datetime
    left_at: datetime | None
    on_purpose: bool = False  # they pressed Leave: coming back later is not a drop


@dataclass(frozen=True)
class Drop:
    start: datetime
    end: datetime
    side: str | None  # "client", "therapist" or None: between them

    @property
    def seconds(self) -> int:
        return max(1, round((self.end - self.start).total_seconds()))


@dataclass
class _Sighting:
    start: datetime
    end: datetime
    absent: set[str] = field(default_factory=set)  # whose presence had the gap


def _sightings(samples: Iterable[Sample], presences: Iterable[Presence]) -> list[_Sighting]:
    found = []
    for sample in samples:
        for ago, lasted in sample.drops:
            end = sample.at - timedelta(milliseconds=ago)
            start = end - timedelta(milliseconds=lasted)
            if end - start >= MIN_DROP:
                found.append(_Sighting(start, end))
    by_role: dict[str, list[Presence]] = {}
    for row in presences:
        by_role.setdefault(row.role, []).append(row)
    for role, rows in by_role.items():
        rows.sort(key=lambda r: r.joined_at)
        for before, after in zip(rows, rows[1:], strict=False):
            # Replaced (a reload, another device): the new one joined before the old left.
            if before.on_purpose or before.left_at is None:
                continue
            if after.joined_at - before.left_at >= MIN_DROP:
                found.append(_Sighting(before.left_at, after.joined_at, {role}))
    return found


def _silent(samples: Sequence[Sample], role: str, start: datetime, end: datetime) -> bool:
    """Whether `role`'s reports stopped arriving across [start, end] (their network out)."""
    times = [s.at for s in samples if s.role == role]
    if not times:
        return False
    before = [t for t in times if t <= start]
    after = [t for t in times if t >= end]
    if not before or not after:
        return False
    return max(before) + REPORT_GAP <= min(after) and not any(start < t < end for t in times)


def drops(samples: Sequence[Sample], presences: Sequence[Presence]) -> list[Drop]:
    """The call's drops, one per stretch (however many sources saw it), in time order."""
    merged: list[_Sighting] = []
    for sighting in sorted(_sightings(samples, presences), key=lambda s: s.start):
        last = merged[-1] if merged else None
        if last is not None and sighting.start <= last.end + SAME_DROP:
            last.end = max(last.end, sighting.end)
            last.start = min(last.start, sighting.start)
            last.absent |= sighting.absent
        else:
            merged.append(sighting)
    result = []
    for stretch in merged:
        sides = set(stretch.absent) or {
            role for role in ROLES if _silent(samples, role, stretch.start, stretch.end)
        }
        side = sides.pop() if len(sides) == 1 else None
        result.append(Drop(stretch.start, stretch.end, side))
    return result


def resolution_label(height: int) -> str:
    """720 → "720p"; an odd size goes to the standard one just below it (404 → "360p")."""
    for standard in STANDARD_HEIGHTS:
        if height >= standard * 0.9:
            return f"{standard}p"
    return f"{height}p"


def _and(parts: Sequence[str]) -> str:
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + " and " + parts[-1]


def _video_text(samples: Sequence[Sample], names: dict[str, str]) -> str:
    parts = []
    no_camera = [
        role
        for role in ROLES
        if (mine := [s for s in samples if s.role == role])
        and sum(s.audio_only for s in mine) * 2 > len(mine)
    ]
    modes: dict[str, tuple[str, float]] = {}
    for role in ROLES:
        mine = [s for s in samples if s.role == role]
        labels = [resolution_label(s.height) for s in mine if s.height]
        if labels:
            label, count = Counter(labels).most_common(1)[0]
            modes[role] = (label, count / len(mine))
    if not modes:
        parts.append("no video received")
    else:
        distinct = {label for label, _share in modes.values()}
        steady = all(share >= 0.5 for _label, share in modes.values())
        how = "most of the time" if steady else "part of the time"
        if len(distinct) == 1:
            parts.append(f"video {distinct.pop()} {how}")
        else:
            each = [f"{label} to the {names[role]}" for role, (label, _s) in modes.items()]
            parts.append(f"video {_and(each)} {how}")
    for role in no_camera:
        parts.append(f"audio only from the {names[role]} (no camera)")
    return "; ".join(parts)


def _drops_text(found: Sequence[Drop], names: dict[str, str]) -> str:
    if not found:
        return "no drops"
    parts = []
    for side in (*ROLES, None):
        mine = [d for d in found if d.side == side]
        if not mine:
            continue
        where = f"on the {names[side]}'s side" if side else "between them"
        noun = "drop" if len(mine) == 1 else "drops"
        if len(mine) <= 4:
            lengths = _and([duration_text(d.seconds, exact=True) for d in mine])
        else:
            lengths = f"up to {duration_text(max(d.seconds for d in mine), exact=True)}"
        parts.append(f"{len(mine)} {noun} of {lengths} {where}")
    return _and(parts)


def _route_text(samples: Sequence[Sample]) -> str:
    known = [s for s in samples if s.local_type or s.remote_type]
    if not known:
        return ""
    relayed = sum("relay" in (s.local_type, s.remote_type) for s in known)
    if relayed == len(known):
        return "relayed through TURN"
    if relayed == 0:
        return "direct between the two (peer to peer)"
    return "relayed through TURN part of the time"


def _network_text(samples: Sequence[Sample]) -> str:
    rtts = [s.rtt_ms for s in samples if s.rtt_ms is not None]
    losses = [s.loss_percent for s in samples if s.loss_percent is not None]
    parts = []
    if rtts:
        parts.append(f"round trip {round(median(rtts))} ms typically")
    if losses:
        average = sum(losses) / len(losses)
        parts.append(
            f"packet loss {average:.0f}% on average" if average >= 1 else "packet loss under 1%"
        )
    return ", ".join(parts)


def in_words(
    samples: Sequence[Sample],
    found: Sequence[Drop],
    names: dict[str, str] | None = None,
) -> str:
    """The call's quality as one sentence, e.g. "Video 720p most of the time; 2 drops of 4 s
    and 11 s on the client's side; relayed through TURN; round trip 40 ms typically, packet
    loss under 1%." `names`: how to call each role ("client", "therapist" by default)."""
    names = {**{r: r for r in ROLES}, **(names or {})}
    if not samples:
        text = "no call-quality reports were received"
        if found:
            text += f"; {_drops_text(found, names)}"
        return text[0].upper() + text[1:] + "."
    parts = [
        _video_text(samples, names),
        _drops_text(found, names),
        _route_text(samples),
        _network_text(samples),
    ]
    text = "; ".join(p for p in parts if p)
    return text[0].upper() + text[1:] + "."
