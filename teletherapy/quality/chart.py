"""The small call-quality chart on History, drawn on the server (no script): the bitrate each
person received over the call, a line each, with the drops shaded. The template draws the
SVG from these numbers; the text alternative says the same in words."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from statistics import median

from teletherapy.lib.clock import duration_text, time_text
from teletherapy.quality.summary import REPORT_GAP, ROLES, Drop, Sample

# Narrow, with large type: it is scaled down to fit a 360 px phone and stays legible there.
WIDTH, HEIGHT = 480, 210
LEFT, RIGHT, TOP, BOTTOM = 8, 472, 26, 150


@dataclass(frozen=True)
class Line:
    role: str
    label: str
    segments: list[str]  # SVG polyline points, one per unbroken stretch of reports
    dashed: bool
    legend_x: int  # where its key starts, under the chart


@dataclass(frozen=True)
class Band:
    x: str  # numbers as text: the template writes them as they are
    width: str


@dataclass(frozen=True)
class Chart:
    lines: list[Line]
    bands: list[Band]
    top_label: str
    start_label: str
    end_label: str
    description: str
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    right: int = RIGHT
    top: int = TOP
    bottom: int = BOTTOM
    plot_height: int = BOTTOM - TOP
    drop_key_x: int = LEFT + 350


def _ceiling(value: int) -> int:
    """A round number at least `value` for the top of the scale."""
    for step in (100, 250, 500, 1000, 2500, 5000, 10_000, 25_000, 50_000):
        if value <= step:
            return step
    return int(value)


def chart(
    samples: Sequence[Sample], found: Sequence[Drop], names: dict[str, str], tz_name: str
) -> Chart | None:
    if len(samples) < 2:
        return None
    times = [s.at for s in samples] + [d.start for d in found] + [d.end for d in found]
    start, end = min(times), max(times)
    span = max((end - start).total_seconds(), 1.0)
    scale = _ceiling(max([1, *(s.kbps_in for s in samples)]))

    def x(at: datetime) -> float:
        return round(LEFT + (RIGHT - LEFT) * (at - start).total_seconds() / span, 1)

    def y(kbps: int) -> float:
        return round(BOTTOM - (BOTTOM - TOP) * min(kbps, scale) / scale, 1)

    lines: list[Line] = []
    medians: list[str] = []
    for role in ROLES:
        mine = sorted((s for s in samples if s.role == role), key=lambda s: s.at)
        if not mine:
            continue
        segments: list[list[str]] = [[]]
        for before, sample in zip([None, *mine], mine, strict=False):
            if before is not None and sample.at - before.at > REPORT_GAP:
                segments.append([])
            segments[-1].append(f"{x(sample.at)},{y(sample.kbps_in)}")
        label = f"{names[role].capitalize()} received"
        points = [" ".join(p) for p in segments]
        legend_x = LEFT + 170 * len(lines)
        lines.append(Line(role, label, points, dashed=role != ROLES[0], legend_x=legend_x))
        medians.append(f"the {names[role]} {round(median(s.kbps_in for s in mine))} kbit/s")
    bands = [Band(str(x(d.start)), str(max(2.0, round(x(d.end) - x(d.start), 1)))) for d in found]
    description = (
        f"Bitrate each person received, from {time_text(start, tz_name)} to "
        f"{time_text(end, tz_name)}: typically {' and '.join(medians)}."
    )
    if found:
        marks = [
            f"{time_text(d.start, tz_name)} ({duration_text(d.seconds, exact=True)})" for d in found
        ]
        description += " Drops shaded at " + ", ".join(marks) + "."
    return Chart(
        lines=lines,
        bands=bands,
        top_label=f"{scale:,} kbit/s",
        start_label=time_text(start, tz_name),
        end_label=time_text(end, tz_name),
        description=description,
    )
