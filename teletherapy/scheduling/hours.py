"""Working hours and closures as My Schedule and New appointment use them: the shading of
the grid, and the next free slot (within working hours, not on a closure, no overlap)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from teletherapy.availability import hours
from teletherapy.practice.models import StaffMember
from teletherapy.scheduling.models import Appointment

SLOT = timedelta(minutes=15)
SEARCH_DAYS = 62


def grid_availability(
    therapist: StaffMember, days: list[date]
) -> tuple[list[tuple[datetime, datetime]], dict[date, str]]:
    """The therapist's working intervals around `days` and the practice's closures on them."""
    tz = hours.therapist_zone(therapist)
    # A day either side: the viewer's zone may be hours away from the therapist's.
    working = hours.intervals(
        hours.week_of(therapist), tz, days[0] - timedelta(days=1), days[-1] + timedelta(days=1)
    )
    return working, hours.closed_days(therapist.practice_id, days[0], days[-1])


def _ceil_slot(moment: datetime) -> datetime:
    """The next quarter hour at or after `moment` (every zone's offset is whole quarters)."""
    utc = moment.astimezone(UTC)
    floor = utc.replace(minute=utc.minute - utc.minute % 15, second=0, microsecond=0)
    return floor if floor == utc else floor + SLOT


def next_free_slot(therapist: StaffMember, *, after: datetime, minutes: int) -> datetime | None:
    """The first start at or after `after`, on the quarter hour, where `minutes` fit inside
    one of the therapist's working ranges, on no day the practice is closed (in its zone),
    and overlapping none of their appointments. None when nothing is free for two months."""
    tz = hours.therapist_zone(therapist)
    practice_tz = hours.practice_zone(therapist)
    week = hours.week_of(therapist)
    first = after.astimezone(tz).date()
    last = first + timedelta(days=SEARCH_DAYS)
    closed = set(
        hours.closed_days(
            therapist.practice_id, first - timedelta(days=1), last + timedelta(days=1)
        )
    )
    length = timedelta(minutes=minutes)
    # A week at a time: the slot is usually in the first, so few appointments are read.
    start_day = first
    while start_day <= last:
        end_day = min(start_day + timedelta(days=6), last)
        working = hours.intervals(week, tz, start_day, end_day)
        if working:
            busy = list(
                Appointment.objects.filter(
                    therapist=therapist, end__gt=max(after, working[0][0]), start__lt=working[-1][1]
                )
                .not_cancelled()
                .order_by("start")
                .values_list("start", "end")
            )
            found = _first_fit(working, busy, closed, practice_tz, after=after, length=length)
            if found is not None:
                return found
        start_day = end_day + timedelta(days=1)
    return None


def _first_fit(
    working: list[tuple[datetime, datetime]],
    busy: list[tuple[datetime, datetime]],
    closed: set[date],
    practice_tz: ZoneInfo,
    *,
    after: datetime,
    length: timedelta,
) -> datetime | None:
    for range_start, range_end in working:
        candidate = _ceil_slot(max(range_start, after))
        while candidate + length <= range_end:
            end = candidate + length
            days = {candidate.astimezone(practice_tz).date()}
            days.add((end - timedelta(microseconds=1)).astimezone(practice_tz).date())
            if days & closed:
                break  # the rest of this range is on the same closed day
            clash = next((e for s, e in busy if s < end and e > candidate), None)
            if clash is None:
                return candidate
            candidate = _ceil_slot(clash)
    return None
