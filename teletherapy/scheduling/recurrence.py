"""Repeating appointments as RFC 5545 rules, expanded by python-dateutil's rrule.

A rule is expanded in local wall time (naive datetimes in the series' zone) and each
occurrence is then made aware, so a weekly 10:00 New York appointment stays at 10:00 New York
across the DST change. A wall time the clocks skip (spring forward) has no aware datetime: the
caller refuses it. No recurrence arithmetic of our own: the rule says what repeats, dateutil
says when.

The stored rule always ends with COUNT: "ends on a date" is turned into the number of times
it gives, so the rule, the .ics and the appointment rows agree.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta
from dateutil.rrule import rrulestr

from teletherapy.lib import clock

NEVER = "never"
WEEKLY = "weekly"
BIWEEKLY = "biweekly"
FOUR_WEEKLY = "4weekly"
MONTHLY = "monthly"
CHOICES = [
    (NEVER, "Never"),
    (WEEKLY, "Every week"),
    (BIWEEKLY, "Every 2 weeks"),
    (FOUR_WEEKLY, "Every 4 weeks"),
    (MONTHLY, "Monthly on the same weekday"),
]
_WEEK_INTERVAL = {WEEKLY: 1, BIWEEKLY: 2, FOUR_WEEKLY: 4}
_BYDAY = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]
ORDINALS = ["1st", "2nd", "3rd", "4th", "5th"]
# A year of weekly appointments, both ends included, is 53; anything above is refused before
# it is expanded.
MAX_COUNT = 53


class RuleError(ValueError):
    """A rule that can't be booked; `field` is the form field the message belongs beside."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def horizon(first: date) -> date:
    """The last day a series that starts on `first` may reach: a year ahead."""
    return first + relativedelta(years=1)


def nth_weekday(day: date) -> int:
    """1 for the first Tuesday of its month, ... 5 for the fifth."""
    return (day.day - 1) // 7 + 1


def weekday_name(day: date) -> str:
    return f"{day:%A}"


def describe(repeats: str, first: date) -> str:
    """'Every week on Tuesday', 'Monthly on the 2nd Tuesday'."""
    if repeats == MONTHLY:
        return f"Monthly on the {ORDINALS[nth_weekday(first) - 1]} {weekday_name(first)}"
    label = dict(CHOICES)[repeats]
    return f"{label} on {weekday_name(first)}"


def lowered(text: str) -> str:
    """'Every week on Tuesday' as it reads inside a sentence."""
    return text[:1].lower() + text[1:]


def base_rule(repeats: str, first: date) -> str:
    """The RRULE without its end, for a series whose first appointment is on `first`.
    Raises RuleError for a monthly rule on a 5th weekday (most months have none)."""
    if repeats in _WEEK_INTERVAL:
        return f"FREQ=WEEKLY;INTERVAL={_WEEK_INTERVAL[repeats]}"
    if repeats == MONTHLY:
        nth = nth_weekday(first)
        if nth == 5:
            raise RuleError(
                "repeats",
                f"{clock.day_text(first)} is the 5th {weekday_name(first)} of its month, and "
                f"most months have no 5th {weekday_name(first)}, so a monthly series can't "
                "start on it. Start it on one of the first four of the month, or choose "
                "every 4 weeks.",
            )
        return f"FREQ=MONTHLY;BYDAY=+{nth}{_BYDAY[first.weekday()]}"
    raise RuleError("repeats", "Choose how the appointment repeats from the list.")


def expand_local(rule: str, first: datetime) -> list[datetime]:
    """The rule's occurrences as naive local wall times, from the naive local `first`."""
    return list(rrulestr(rule, dtstart=first))


@dataclass(frozen=True)
class Occurrence:
    """One time the rule gives: its local wall time, and its aware start (None where the
    clocks skip that wall time)."""

    local: datetime
    start: datetime | None


def occurrences(rule: str, first_local: datetime, tz: ZoneInfo) -> list[Occurrence]:
    """Expand in wall time, then make each aware in `tz`."""
    return [
        Occurrence(local, clock.make_local(local.date(), local.time(), tz))
        for local in expand_local(rule, first_local)
    ]


def build_rule(
    *, repeats: str, first_day: date, at: time, count: int | None, until: date | None
) -> str:
    """The stored rule (ending with COUNT) for a series from `first_day` at `at`, ending
    after `count` times or on `until` (at most a year ahead). Raises RuleError keyed by the
    form field: repeats, count or until."""
    base = base_rule(repeats, first_day)
    last_day = horizon(first_day)
    first = datetime.combine(first_day, at)
    if until is not None:
        if until < first_day:
            raise RuleError(
                "until", "The end date is before the first appointment: choose a later date."
            )
        if until > last_day:
            raise RuleError(
                "until",
                f"A series can end at most a year ahead, by {clock.day_text(last_day)}, "
                f"{last_day.year}.",
            )
        stop = datetime.combine(until, time.max)
        count = len([o for o in expand_local(f"{base};UNTIL={stop:%Y%m%dT%H%M%S}", first)])
        return f"{base};COUNT={count}"
    if count is None:
        raise RuleError("count", "Enter how many times the appointment happens.")
    if count < 2:
        raise RuleError(
            "count", "A series needs at least 2 appointments (or choose Repeats: never)."
        )
    within = expand_local(
        f"{base};UNTIL={datetime.combine(last_day, time.max):%Y%m%dT%H%M%S}", first
    )
    if count > min(MAX_COUNT, len(within)):
        raise RuleError(
            "count",
            f"A series can reach at most a year ahead: {lowered(describe(repeats, first_day))}"
            f", that is at most {len(within)} times (until {clock.day_text(within[-1].date())},"
            f" {within[-1].year}).",
        )
    return f"{base};COUNT={count}"


def first_gap(items: list[Occurrence]) -> Occurrence | None:
    return next((o for o in items if o.start is None), None)


def gap_message(occurrence: Occurrence) -> str:
    local = occurrence.local
    return (
        f"{clock.clock_time(local)} does not exist on {clock.day_text(local.date())}, "
        f"{local.year}: the clocks spring forward. Choose another time."
    )
