"""Working hours and closures as answers: is this time inside a therapist's hours, which
days is the practice closed, and the text forms of both. Nothing here changes data
(availability.services does)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from teletherapy.availability.models import Closure, WorkingWeek
from teletherapy.lib import clock
from teletherapy.practice.models import StaffMember

Range = tuple[time, time]
Week = dict[int, list[Range]]

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
# What every therapist had before working hours could be set: 8 AM to 6 PM on weekdays.
DEFAULT_WEEK: Week = {day: [(time(8), time(18))] if day < 5 else [] for day in range(7)}
MAX_RANGES = 6

_TIME = re.compile(r"^\s*(\d{1,2})(?::(\d{2}))?\s*([ap])?\.?m?\.?\s*$", re.IGNORECASE)
_SPLIT = re.compile(r"\s*(?:-|–|—|to)\s*", re.IGNORECASE)


def _parse_time(text: str) -> time:
    match = _TIME.match(text)
    if not match:
        raise ValueError(f"“{text.strip()}” is not a time; write it like 9:00 or 17:30.")
    hour, minute, half = int(match[1]), int(match[2] or 0), (match[3] or "").lower()
    if half:
        if not 1 <= hour <= 12:
            raise ValueError(f"“{text.strip()}”: with AM or PM the hour is 1 to 12.")
        hour = hour % 12 + (12 if half == "p" else 0)
    if hour > 23 or minute > 59:
        raise ValueError(f"“{text.strip()}” is not a time of day (00:00 to 23:59).")
    if minute % 15:
        raise ValueError(f"“{text.strip()}”: use the quarter hour (:00, :15, :30, :45).")
    return time(hour, minute)


def parse_ranges(text: str) -> list[Range]:
    """'9:00-12:00, 13:00-17:00' as sorted ranges; ValueError with a message for the person
    typing when a part is not a range, ends before it starts, or two ranges overlap."""
    ranges: list[Range] = []
    for part in (p for p in re.split(r"[,;]", text) if p.strip()):
        pieces = _SPLIT.split(part.strip())
        if len(pieces) != 2:
            raise ValueError(f"“{part.strip()}” is not a range; write it like 9:00-17:00.")
        start, end = _parse_time(pieces[0]), _parse_time(pieces[1])
        if end <= start:
            raise ValueError(f"“{part.strip()}” ends before it starts.")
        ranges.append((start, end))
    if len(ranges) > MAX_RANGES:
        raise ValueError(f"At most {MAX_RANGES} ranges a day.")
    ranges.sort()
    for (_, first_end), (second_start, _) in zip(ranges, ranges[1:], strict=False):
        if second_start < first_end:
            raise ValueError("Two of the ranges overlap; join them into one.")
    return ranges


def ranges_input(ranges: list[Range]) -> str:
    """The editable form: '09:00-12:00, 13:00-17:00'."""
    return ", ".join(f"{a:%H:%M}-{b:%H:%M}" for a, b in ranges)


def ranges_text(ranges: list[Range]) -> str:
    """For reading: '9:00 AM to 12:00 PM, 1:00 PM to 5:00 PM', or 'Not working'."""
    if not ranges:
        return "Not working"
    return ", ".join(f"{clock.clock_time(a)} to {clock.clock_time(b)}" for a, b in ranges)


def to_json(week: Week) -> dict[str, list[list[str]]]:
    return {str(d): [[f"{a:%H:%M}", f"{b:%H:%M}"] for a, b in week.get(d, [])] for d in range(7)}


def from_json(data: object) -> Week:
    week: Week = {day: [] for day in range(7)}
    if not isinstance(data, dict):
        return dict(DEFAULT_WEEK)
    for day in range(7):
        for pair in data.get(str(day), []) or []:
            try:
                week[day].append((time.fromisoformat(pair[0]), time.fromisoformat(pair[1])))
            except (TypeError, ValueError, IndexError):
                continue
    return week


def week_of(staff: StaffMember) -> Week:
    """The therapist's working week, the default when they never set one."""
    try:
        stored = staff.working_week
    except WorkingWeek.DoesNotExist:
        return dict(DEFAULT_WEEK)
    return from_json(stored.ranges)


def weeks_of(staff: Iterable[StaffMember]) -> dict[int, Week]:
    """week_of for several therapists in one query."""
    members = list(staff)
    stored = {
        w.staff_id: from_json(w.ranges)
        for w in WorkingWeek.objects.filter(staff_id__in=[m.pk for m in members])
    }
    return {m.pk: stored.get(m.pk, dict(DEFAULT_WEEK)) for m in members}


def _at(day: date, at: time, tz: ZoneInfo) -> datetime:
    # A range edge the clocks skip (spring forward) counts from the wall time's UTC offset
    # before the change; the range still covers the same wall-clock hours.
    return clock.make_local(day, at, tz) or datetime.combine(day, at, tzinfo=tz)


def intervals(week: Week, tz: ZoneInfo, first: date, last: date) -> list[tuple[datetime, datetime]]:
    """The working hours between the days `first` and `last` (inclusive, in the therapist's
    zone `tz`) as aware [start, end) intervals, in order."""
    out = []
    day = first
    while day <= last:
        for start, end in week.get(day.weekday(), []):
            out.append((_at(day, start, tz), _at(day, end, tz)))
        day += timedelta(days=1)
    return out


def therapist_zone(staff: StaffMember) -> ZoneInfo:
    return clock.zone(clock.viewer_zone(staff))


def is_within(week: Week, tz: ZoneInfo, start: datetime, end: datetime) -> bool:
    """Whether [start, end) lies inside one working range (of the day it starts on, in the
    therapist's zone `tz`)."""
    day = start.astimezone(tz).date()
    return any(a <= start and end <= b for a, b in intervals(week, tz, day, day))


def outside_hours_message(staff: StaffMember, start: datetime, end: datetime) -> str | None:
    """What to tell the person booking when [start, end) is outside the therapist's hours
    (None when inside)."""
    tz = therapist_zone(staff)
    week = week_of(staff)
    if is_within(week, tz, start, end):
        return None
    local = start.astimezone(tz)
    day = local.date()
    return (
        f"This is outside {staff.name}'s working hours ({WEEKDAYS[day.weekday()]}: "
        f"{ranges_text(week.get(day.weekday(), []))}, {clock.zone_label(tz)})."
    )


def practice_zone(staff: StaffMember) -> ZoneInfo:
    return clock.zone(staff.practice.time_zone)


def closed_days(practice_id: int, first: date, last: date) -> dict[date, str]:
    """The practice's closures between two days (inclusive): day → its name."""
    return {
        c.date: c.name
        for c in Closure.objects.of_practice(practice_id).filter(date__gte=first, date__lte=last)
    }


def closure_during(
    practice_id: int, tz: ZoneInfo, start: datetime, end: datetime
) -> tuple[date, str] | None:
    """The first closure (a day in the practice's zone `tz`) that [start, end) touches."""
    first = start.astimezone(tz).date()
    last = (end - timedelta(microseconds=1)).astimezone(tz).date()
    days = closed_days(practice_id, first, last)
    if not days:
        return None
    day = min(days)
    return day, days[day]


def closure_message(day: date, name: str) -> str:
    return (
        f"The practice is closed on {clock.day_text(day)}, {day.year} ({name}), so nothing "
        "can be booked that day."
    )
