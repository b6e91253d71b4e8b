"""Lay a therapist's appointments out as the Day or Week grid of 15-minute rows.

Rows are wall-clock times in the viewer's zone; each day is a column. An appointment fills
the cell of the row it starts in and spans the rows it lasts (a rowspan, so no inline style
is needed); every other future row is a link that opens the New appointment form.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from html import escape
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from teletherapy.lib import clock
from teletherapy.scheduling.models import Appointment

SLOT_MINUTES = 15
SLOTS_PER_HOUR = 60 // SLOT_MINUTES
SHOWN_HOURS = (7, 20)
OUTSIDE_HOURS = "outside working hours"
Intervals = list[tuple[datetime, datetime]]


@dataclass
class Entry:
    appointment: Appointment
    span_label: str
    zone_abbr: str


@dataclass
class Cell:
    kind: str  # "slot" (link), "appt", "past", "none" (the clocks skip it), "covered"
    label: str = ""
    url: str = ""
    rowspan: int = 1
    entries: list[Entry] = field(default_factory=list)
    work: bool = False
    now: bool = False
    today: bool = False


@dataclass
class Row:
    label: str
    on_hour: bool
    cells: list[Cell]
    slot: int = 0  # the row's 15-minute slot of the day


@dataclass
class Day:
    day: date
    label: str
    is_today: bool
    is_weekend: bool
    closed: str = ""  # the closure's name when the practice is closed that day
    heading: str = ""  # a column's own heading (the Day view of several therapists)
    url: str = ""


def _slot_of(local: datetime) -> int:
    return (local.hour * 60 + local.minute) // SLOT_MINUTES


def build_grid(
    *,
    days: list[date],
    tz: ZoneInfo,
    appointments: list[Appointment],
    now: datetime,
    new_url: str,
    therapist_id: int,
    working: Intervals | None = None,
    closed: dict[date, str] | None = None,
    shown_hours: tuple[int, int] = SHOWN_HOURS,
) -> tuple[list[Day], list[Row]]:
    """The grid of `days` (columns) by 15-minute rows. `working`: the therapist's working
    hours as aware intervals (None: every time counts as working); `closed`: the practice's
    closures, day → name (those days have no booking links)."""
    now_local = now.astimezone(tz)
    today = now_local.date()
    first_hour, last_hour = shown_hours
    closed = closed or {}
    # Per day, the working intervals that touch it (usually one or two).
    work_of: dict[date, Intervals] = {}
    for day in days:
        day_start = datetime.combine(day, time(0), tzinfo=tz)
        day_end = day_start + timedelta(days=1, hours=1)
        work_of[day] = [
            (a, b) for a, b in (working or []) if a < day_end and b > day_start - timedelta(hours=1)
        ]

    # Group each day's appointments by the row they start in.
    starts: dict[date, dict[int, list[Appointment]]] = {day: defaultdict(list) for day in days}
    for appt in appointments:
        local = appt.start.astimezone(tz)
        if local.date() in starts:
            starts[local.date()][_slot_of(local)].append(appt)

    spans: dict[date, dict[int, int]] = {}
    for day, by_slot in starts.items():
        spans[day] = {}
        midnight = clock.make_local(day + timedelta(days=1), time(0), tz) or datetime.combine(
            day + timedelta(days=1), time(0), tzinfo=tz
        )
        slots = sorted(by_slot)
        for index, slot in enumerate(slots):
            end = min(max(a.end for a in by_slot[slot]), midnight)
            row_start = datetime.combine(day, time(slot // 4, slot % 4 * 15), tzinfo=tz)
            minutes = (end - row_start).total_seconds() / 60
            span = max(1, math.ceil(minutes / SLOT_MINUTES))
            if index + 1 < len(slots):
                span = min(span, slots[index + 1] - slot)
            span = min(span, 24 * SLOTS_PER_HOUR - slot)
            spans[day][slot] = span
            first_hour = min(first_hour, slot // SLOTS_PER_HOUR)
            last_hour = max(last_hour, math.ceil((slot + span) / SLOTS_PER_HOUR))

    covered: dict[date, set[int]] = {
        day: {s + k for s, span in spans[day].items() for k in range(1, span)} for day in days
    }
    now_slot = _slot_of(now_local)
    # Per day: the link prefix, and whether the clocks change that day (only then does a
    # wall-clock time need checking; only today has slots on both sides of now).
    prefixes = {
        day: f"{new_url}?{urlencode({'therapist': therapist_id, 'date': day.isoformat()})}&time="
        for day in days
    }
    clock_change = {
        day: datetime.combine(day, time(0), tzinfo=tz).utcoffset()
        != datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz).utcoffset()
        for day in days
    }
    day_labels = {day: clock.day_text(day) for day in days}
    rows: list[Row] = []
    for slot in range(first_hour * SLOTS_PER_HOUR, last_hour * SLOTS_PER_HOUR):
        at = time(slot // SLOTS_PER_HOUR, slot % SLOTS_PER_HOUR * SLOT_MINUTES)
        at_label = clock.clock_time(at)
        at_query = f"{at:%H}%3A{at:%M}"
        cells: list[Cell] = []
        for day in days:
            is_now = day == today and slot == now_slot
            if day in closed:
                work = False
            elif working is None:
                work = True
            else:
                instant = datetime.combine(day, at, tzinfo=tz)
                work = any(a <= instant < b for a, b in work_of[day])
            if slot in spans[day]:
                entries = [
                    Entry(
                        a,
                        clock.span_text(a.start, a.end, tz),
                        clock.zone_abbr(a.start, tz),
                    )
                    for a in starts[day][slot]
                ]
                cells.append(
                    Cell("appt", rowspan=spans[day][slot], entries=entries, work=work, now=is_now)
                )
                continue
            if slot in covered[day]:
                cells.append(Cell("covered"))
                continue
            if clock_change[day] and clock.make_local(day, at, tz) is None:
                cells.append(Cell("none", work=work, now=is_now, label="No such time"))
            elif day in closed:
                cells.append(Cell("closed", now=is_now))
            elif day < today or (day == today and datetime.combine(day, at, tzinfo=tz) < now):
                cells.append(Cell("past", work=work, now=is_now))
            else:
                cells.append(
                    Cell(
                        "slot",
                        label=f"New appointment, {day_labels[day]}, {at_label}"
                        + ("" if work else f", {OUTSIDE_HOURS}"),
                        url=prefixes[day] + at_query,
                        work=work,
                        now=is_now,
                    )
                )
        rows.append(Row(at_label, at.minute == 0, cells, slot))
    header = [
        Day(
            day,
            f"{day:%a} {day.month}/{day.day}",
            day == today,
            day.weekday() >= 5,
            closed=closed.get(day, ""),
        )
        for day in days
    ]
    return header, rows


def _classes(*names: str) -> str:
    return " ".join(name for name in names if name)


def render_body(rows: list[Row], appointment_url: str, move_url: str = "") -> str:
    """The grid's <tbody> rows as HTML. Built here rather than in a template because the
    week has hundreds of cells and a template loop over them costs most of the page's time.
    Everything that comes from data is escaped."""
    out: list[str] = []
    add = out.append
    now_mark = '<span class="visually-hidden">Current time</span>'
    for row in rows:
        add('<tr class="hour">' if row.on_hour else "<tr>")
        label = escape(row.label)
        add(
            f'<th scope="row" class="time-col">{label}</th>'
            if row.on_hour
            else f'<th scope="row" class="time-col"><span class="visually-hidden">{label}</span></th>'
        )
        for c in row.cells:
            kind = c.kind
            if kind == "covered":
                continue
            work = "work" if c.work else "off"
            now = "now" if c.now else ""
            if kind == "slot":
                add(
                    f'<td class="{_classes(work, now)}">{now_mark if c.now else ""}'
                    f'<a class="slot" href="{escape(c.url)}"><span class="visually-hidden">'
                    f"{escape(c.label)}</span></a></td>"
                )
            elif kind == "appt":
                add(f'<td rowspan="{c.rowspan}" class="{_classes("appt-cell", work, now)}">')
                for e in c.entries:
                    a = e.appointment
                    tele = a.is_teletherapy
                    no_show = a.status == Appointment.Status.NO_SHOW
                    add(
                        f'<a class="{_classes("appt", "tele" if tele else "", "noshow" if no_show else "")}"'
                        f' href="{appointment_url.format(a.pk)}"'
                        + (
                            f' data-move-url="{move_url.format(a.pk)}">'
                            if move_url and not no_show
                            else ">"
                        )
                        + '<span class="appt-time">'
                        f'{escape(e.span_label)}<span class="visually-hidden"> {escape(e.zone_abbr)}'
                        f'</span></span> <span class="appt-client">{escape(a.clients_label)}</span>'
                        + (' <span class="badge tele">Teletherapy</span>' if tele else "")
                        + (' <span class="badge">No-show</span>' if no_show else "")
                        + "".join(
                            f' <span class="badge">{escape(m)}</span>'
                            for m in getattr(a, "marks", ())
                        )
                        + "</a>"
                    )
                add("</td>")
            else:
                add(f'<td class="{_classes(kind, work, now)}">{now_mark if c.now else ""}</td>')
        add("</tr>\n")
    return "".join(out)
