"""Properties of the series rules over their parameters: how many, in order, at the same
local time and weekday, within a year; wall times the clocks skip are found, never shifted."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from dateutil.rrule import rrulestr
from hypothesis import given, settings
from hypothesis import strategies as st

from teletherapy.scheduling import recurrence

ZONES = [ZoneInfo(z) for z in ("America/New_York", "America/Phoenix", "Australia/Lord_Howe")]
REPEATS = [recurrence.WEEKLY, recurrence.BIWEEKLY, recurrence.FOUR_WEEKLY, recurrence.MONTHLY]
WEEKS = {recurrence.WEEKLY: 1, recurrence.BIWEEKLY: 2, recurrence.FOUR_WEEKLY: 4}

days = st.dates(min_value=date(2026, 1, 1), max_value=date(2030, 12, 31))
times = st.builds(time, st.integers(0, 23), st.sampled_from([0, 15, 30, 45]))


def _checked(repeats: str, first: date, at: time, tz: ZoneInfo, rule: str) -> list:
    items = recurrence.occurrences(rule, datetime.combine(first, at), tz)
    locals_ = [o.local for o in items]
    assert locals_ == sorted(set(locals_)), "strictly in order"
    assert locals_[0] == datetime.combine(first, at)
    assert {o.time() for o in locals_} == {at}
    assert {o.weekday() for o in locals_} == {first.weekday()}
    assert locals_[-1].date() <= recurrence.horizon(first)
    for before, after in zip(locals_, locals_[1:], strict=False):
        if repeats in WEEKS:
            assert after - before == timedelta(weeks=WEEKS[repeats])
        else:
            assert after.month != before.month
            assert recurrence.nth_weekday(after.date()) == recurrence.nth_weekday(first)
    for item in items:
        if item.start is None:  # the clocks skip it: refused, never moved to another time
            assert recurrence.first_gap(items) is not None
        else:
            local = item.start.astimezone(tz)
            assert (local.date(), local.time()) == (item.local.date(), at)
    return items


@settings(max_examples=150, deadline=None)
@given(
    repeats=st.sampled_from(REPEATS),
    first=days,
    at=times,
    count=st.integers(-5, 600),
    tz=st.sampled_from(ZONES),
)
def test_count_rules(repeats: str, first: date, at: time, count: int, tz: ZoneInfo) -> None:
    try:
        rule = recurrence.build_rule(
            repeats=repeats, first_day=first, at=at, count=count, until=None
        )
    except recurrence.RuleError as error:
        fifth = repeats == recurrence.MONTHLY and recurrence.nth_weekday(first) == 5
        assert fifth or count < 2 or count > 12, (error.field, error.message)
        assert error.field == ("repeats" if fifth else "count")
        return
    assert rule.endswith(f";COUNT={count}")
    assert len(_checked(repeats, first, at, tz, rule)) == count


@settings(max_examples=150, deadline=None)
@given(
    repeats=st.sampled_from(REPEATS),
    first=days,
    at=times,
    length=st.integers(-30, 400),
    tz=st.sampled_from(ZONES),
)
def test_until_rules(repeats: str, first: date, at: time, length: int, tz: ZoneInfo) -> None:
    until = first + timedelta(days=length)
    try:
        rule = recurrence.build_rule(
            repeats=repeats, first_day=first, at=at, count=None, until=until
        )
    except recurrence.RuleError as error:
        fifth = repeats == recurrence.MONTHLY and recurrence.nth_weekday(first) == 5
        assert fifth or until < first or until > recurrence.horizon(first), error.message
        return
    items = _checked(repeats, first, at, tz, rule)
    assert items[-1].local.date() <= until
    # Maximal: the rule's next time is after the end date.
    longer = rrulestr(rule.rsplit(";COUNT=", 1)[0], dtstart=datetime.combine(first, at))
    following = longer.after(items[-1].local)
    assert following is None or following.date() > until
