"""Repeating appointments: booking a series whole, DST, collisions and skipping, this one /
this and following / all, and the series' .ics (RRULE and EXDATE, one UID, SEQUENCE)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from dateutil.rrule import rrulestr
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse

from teletherapy.audit.models import Action, AuditEvent
from teletherapy.scheduling import recurrence, series, services
from teletherapy.scheduling.models import Appointment, AppointmentSeries

from .conftest import ics_of

NEW_YORK = ZoneInfo("America/New_York")
PHOENIX = ZoneInfo("America/Phoenix")
# Tuesdays from February 23, 2027; the clocks spring forward on Sunday March 14, 2027.
FIRST = date(2027, 2, 23)


def _book(fcast, *, count=6, skip=frozenset(), tele=True, at=time(10), first=FIRST, **kw):
    return series.book_series(
        therapist=fcast.therapist,
        client=fcast.client_with_portal,
        first_day=first,
        at=at,
        repeats=kw.pop("repeats", recurrence.WEEKLY),
        count=count,
        skip=skip,
        duration_minutes=50,
        is_teletherapy=tele,
        staff_note="ZZNOTE",
        by=fcast.scheduler,
        **kw,
    )


def _occurrences(s: AppointmentSeries) -> list[Appointment]:
    return list(s.occurrences.order_by("start"))


def _series_events(message):
    events = list(ics_of(message).walk("VEVENT"))
    master = next(e for e in events if "RRULE" in e)
    return master, [e for e in events if "RECURRENCE-ID" in e]


def _expand(master) -> list[datetime]:
    """The dates the .ics gives: its RRULE expanded by dateutil, minus its EXDATEs."""
    rule = master["RRULE"].to_ical().decode()
    starts = list(rrulestr(rule, dtstart=master.decoded("DTSTART")))
    exdates = master.get("EXDATE")
    if exdates is None:
        excluded: set[datetime] = set()
    else:
        lists = exdates if isinstance(exdates, list) else [exdates]
        excluded = {d.dt for e in lists for d in e.dts}
    return [s for s in starts if s not in excluded]


@pytest.mark.parametrize("zone", [NEW_YORK, PHOENIX])
def test_weekly_across_the_dst_change_stays_at_ten_local(
    fcast, zone, django_capture_on_commit_callbacks
) -> None:
    for staff in (fcast.scheduler, fcast.therapist):
        staff.time_zone = zone.key
        staff.save()
    with django_capture_on_commit_callbacks(execute=True):
        booked = _book(fcast)
    rows = _occurrences(booked)
    assert [r.start.astimezone(zone).date() for r in rows] == [
        FIRST + timedelta(weeks=i) for i in range(6)
    ]
    assert {r.start.astimezone(zone).time() for r in rows} == {time(10)}
    offsets = {r.start.astimezone(zone).utcoffset() for r in rows}
    assert len(offsets) == (2 if zone is NEW_YORK else 1)  # EST then EDT; Phoenix has no DST
    assert booked.rule == "FREQ=WEEKLY;INTERVAL=1;COUNT=6"
    assert all(r.series_start == r.start and r.is_teletherapy for r in rows)

    [message] = mail.outbox  # one email for the whole series
    assert "Repeats: 6 appointments in this series" in message.body
    master, overrides = _series_events(message)
    assert str(master["UID"]) == f"series-{booked.pk}@127.0.0.1"
    assert dict(master["RRULE"]) == {"FREQ": ["WEEKLY"], "INTERVAL": [1], "COUNT": [6]}
    assert master["DTSTART"].params["TZID"] == zone.key
    assert overrides == []
    assert list(ics_of(message).walk("VTIMEZONE"))
    assert _expand(master) == [r.start for r in rows]
    assert "ZZNOTE" not in ics_of(message).to_ical().decode()


def test_a_series_booked_from_another_zone_repeats_in_the_therapists(fcast) -> None:
    """A scheduler in Phoenix (no DST) books 10:00 their time for a New York therapist:
    that is noon in New York, and it stays noon there across New York's clock change, so
    the Phoenix wall time moves from 10:00 to 9:00. Skipped days are the booker's dates."""
    fcast.scheduler.time_zone = PHOENIX.key
    fcast.scheduler.save()
    fcast.therapist.time_zone = NEW_YORK.key
    fcast.therapist.save()
    skipped = FIRST + timedelta(weeks=1)
    booked = _book(fcast, skip=frozenset({skipped}))
    rows = _occurrences(booked)
    assert booked.time_zone == NEW_YORK.key
    assert {r.start.astimezone(NEW_YORK).time() for r in rows} == {time(12)}
    assert [r.start.astimezone(PHOENIX).time() for r in rows] == [time(10)] * 2 + [time(9)] * 3
    assert [r.start.astimezone(PHOENIX).date() for r in rows] == [
        FIRST + timedelta(weeks=i) for i in range(6) if i != 1
    ]


def test_collisions_are_named_and_nothing_is_booked_until_skipped(fcast) -> None:
    blocker = services.book_appointment(
        therapist=fcast.therapist,
        client=fcast.client_without_portal,
        start=datetime(2027, 3, 9, 10, 30, tzinfo=NEW_YORK),
        by=fcast.scheduler,
    )
    services.book_appointment(
        therapist=fcast.therapist,
        client=fcast.client_without_portal,
        start=datetime(2027, 3, 23, 9, 30, tzinfo=NEW_YORK),
        by=fcast.scheduler,
    )
    before = Appointment.objects.count()
    with pytest.raises(series.SeriesCollisions) as caught:
        _book(fcast)
    texts = [c.text for c in caught.value.collisions]
    assert texts == [
        "Tuesday March 9, 2027, 10:00 AM EST: overlaps Nora Noportal's appointment, "
        "10:30 AM–11:20 AM EST",
        "Tuesday March 23, 2027, 10:00 AM EDT: overlaps Nora Noportal's appointment, "
        "9:30 AM–10:20 AM EDT",
    ]
    # The whole series is refused: nothing of it was written, not even the first weeks.
    assert Appointment.objects.count() == before
    assert not AppointmentSeries.objects.exists()

    booked = _book(fcast, skip=frozenset({date(2027, 3, 9), date(2027, 3, 23)}))
    rows = _occurrences(booked)
    assert len(rows) == 4
    assert date(2027, 3, 9) not in {r.start.astimezone(NEW_YORK).date() for r in rows}
    assert sorted(booked.exdates) == [
        datetime(2027, 3, 9, 15, 0, tzinfo=UTC).isoformat(),
        datetime(2027, 3, 23, 14, 0, tzinfo=UTC).isoformat(),
    ]
    assert blocker.start < rows[2].start
    assert AuditEvent.objects.filter(action=Action.APPOINTMENT_CREATED).count() >= 4


@pytest.mark.parametrize(
    ("kwargs", "field", "message"),
    [
        ({"count": 0}, "count", "at least 2 appointments"),
        ({"count": 500}, "count", "at most 53 times (until Tuesday February 22, 2028"),
        ({"count": None, "until": date(2027, 2, 1)}, "until", "end date is before the first"),
        ({"count": None, "until": date(2028, 3, 1)}, "until", "at most a year ahead"),
        (
            {"repeats": recurrence.MONTHLY, "first": date(2027, 3, 30)},
            "repeats",
            "Tuesday March 30 is the 5th Tuesday of its month",
        ),
        (
            {"first": date(2027, 3, 7), "at": time(2, 30), "repeats": recurrence.WEEKLY},
            "start",
            "2:30 AM does not exist on Sunday March 14, 2027",
        ),
    ],
)
def test_bad_series_is_refused_whole(fcast, kwargs, field, message) -> None:
    with pytest.raises(ValidationError) as caught:
        _book(fcast, **kwargs)
    assert any(message in m for m in caught.value.message_dict[field]), caught.value
    assert not AppointmentSeries.objects.exists()


def test_monthly_on_the_same_weekday(fcast) -> None:
    booked = _book(fcast, repeats=recurrence.MONTHLY, first=date(2027, 1, 12), count=4)
    assert booked.rule == "FREQ=MONTHLY;BYDAY=+2TU;COUNT=4"
    assert [r.start.astimezone(NEW_YORK).date() for r in _occurrences(booked)] == [
        date(2027, 1, 12),
        date(2027, 2, 9),
        date(2027, 3, 9),
        date(2027, 4, 13),
    ]


def test_ends_on_a_date_is_stored_as_its_count(fcast) -> None:
    booked = _book(fcast, count=None, until=date(2027, 4, 6), repeats=recurrence.BIWEEKLY)
    assert booked.rule == "FREQ=WEEKLY;INTERVAL=2;COUNT=4"
    assert len(_occurrences(booked)) == 4


def test_change_this_one(fcast, django_capture_on_commit_callbacks) -> None:
    booked = _book(fcast)
    rows = _occurrences(booked)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        series.change_series(
            appointment=rows[3],
            scope=series.THIS,
            by=fcast.scheduler,
            start=datetime(2027, 3, 16, 11, 0, tzinfo=NEW_YORK),
        )
    after = _occurrences(booked)
    assert [r.start.astimezone(NEW_YORK).hour for r in after] == [10, 10, 10, 11, 10, 10]
    [message] = mail.outbox
    master, [override] = _series_events(message)
    assert master["SEQUENCE"] == 2  # booked: 1, changed: 2
    assert override.decoded("RECURRENCE-ID") == rows[3].start
    assert override.decoded("DTSTART") == datetime(2027, 3, 16, 11, 0, tzinfo=NEW_YORK)
    assert str(override["UID"]) == str(master["UID"])


def test_change_this_and_following(fcast) -> None:
    booked = _book(fcast)
    rows = _occurrences(booked)
    series.change_series(
        appointment=rows[2],
        scope=series.FOLLOWING,
        by=fcast.scheduler,
        start=datetime(2027, 3, 9, 14, 0, tzinfo=NEW_YORK),
        service="90837",
    )
    after = _occurrences(booked)
    assert [r.start.astimezone(NEW_YORK).hour for r in after] == [10, 10, 14, 14, 14, 14]
    assert [r.service for r in after][:2] == ["90834", "90834"]
    assert {r.service for r in after[2:]} == {"90837"}


def test_change_all_moves_a_day_later_without_tripping_on_itself(fcast) -> None:
    booked = _book(fcast)
    rows = _occurrences(booked)
    series.change_series(
        appointment=rows[1],
        scope=series.ALL,
        by=fcast.scheduler,
        start=datetime(2027, 3, 3, 10, 0, tzinfo=NEW_YORK),
        is_teletherapy=False,
    )
    after = _occurrences(booked)
    assert [r.start.astimezone(NEW_YORK).date() for r in after] == [
        FIRST + timedelta(days=1, weeks=i) for i in range(6)
    ]
    assert {r.start.astimezone(NEW_YORK).time() for r in after} == {time(10)}
    assert not any(r.is_teletherapy for r in after)


def test_a_closure_is_named_like_a_collision_and_can_be_skipped(fcast) -> None:
    from teletherapy.availability.models import Closure

    Closure.objects.create(practice=fcast.practice, date=date(2027, 3, 16), name="Staff day")
    with pytest.raises(series.SeriesCollisions) as caught:
        _book(fcast)
    assert [(c.day, c.text) for c in caught.value.collisions] == [
        (
            date(2027, 3, 16),
            "The practice is closed on Tuesday March 16, 2027 (Staff day), so nothing can be "
            "booked that day.",
        )
    ]
    assert not AppointmentSeries.objects.exists()
    booked = _book(fcast, skip=frozenset({date(2027, 3, 16)}))
    days = {r.start.astimezone(NEW_YORK).date() for r in _occurrences(booked)}
    assert len(days) == 5 and date(2027, 3, 16) not in days


def test_change_following_refused_whole_on_a_collision(fcast) -> None:
    booked = _book(fcast)
    rows = _occurrences(booked)
    services.book_appointment(
        therapist=fcast.therapist,
        client=fcast.client_without_portal,
        start=datetime(2027, 3, 23, 15, 0, tzinfo=NEW_YORK),
        by=fcast.scheduler,
    )
    with pytest.raises(ValidationError) as caught:
        series.change_series(
            appointment=rows[2],
            scope=series.FOLLOWING,
            by=fcast.scheduler,
            start=datetime(2027, 3, 9, 15, 0, tzinfo=NEW_YORK),
        )
    assert "Tuesday March 23, 2027, 10:00 AM EDT: This overlaps Nora Noportal's" in str(
        caught.value
    )
    assert [r.start for r in _occurrences(booked)] == [r.start for r in rows]


def test_cancel_this_following_and_all(fcast, django_capture_on_commit_callbacks) -> None:
    booked = _book(fcast)
    rows = _occurrences(booked)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        series.cancel_series(
            appointment=rows[1], scope=series.THIS, by=fcast.scheduler, reason="Ill"
        )
    booked.refresh_from_db()
    assert booked.exdates == [rows[1].start.astimezone(UTC).isoformat()]
    master, _ = _series_events(mail.outbox[-1])
    assert str(master["UID"]) == f"series-{booked.pk}@127.0.0.1"
    assert master["SEQUENCE"] == 2
    kept = [r.start for r in _occurrences(booked) if not r.is_cancelled]
    assert _expand(master) == kept and len(kept) == 5

    with django_capture_on_commit_callbacks(execute=True):
        cancelled = series.cancel_series(
            appointment=rows[4], scope=series.FOLLOWING, by=fcast.scheduler, reason="Moving"
        )
    assert [c.pk for c in cancelled] == [rows[4].pk, rows[5].pk]
    master, _ = _series_events(mail.outbox[-1])
    assert master["SEQUENCE"] == 3
    assert _expand(master) == [rows[0].start, rows[2].start, rows[3].start]

    with django_capture_on_commit_callbacks(execute=True):
        series.cancel_series(
            appointment=rows[2], scope=series.ALL, by=fcast.scheduler, reason="End"
        )
    assert not Appointment.objects.filter(series=booked, status="scheduled").exists()
    assert ics_of(mail.outbox[-1])["METHOD"] == "CANCEL"
    assert AuditEvent.objects.filter(action=Action.APPOINTMENT_CANCELLED).count() == 6


# The pages: New appointment with Repeats, collisions and Skip, Edit and Cancel with a scope.

NEW = reverse("scheduling:new_appointment")


def _form(fcast, **extra) -> dict[str, str]:
    return {
        "therapist": str(fcast.therapist.pk),
        "client": str(fcast.client_with_portal.pk),
        "date": "2027-02-23",
        "time": "10:00",
        "duration": "50",
        "service": "90834",
        "teletherapy": "on",
        "staff_note": "Typed note ZZKEEP",
        "repeats": "weekly",
        "ends": "count",
        "count": "6",
        **extra,
    }


def test_page_names_collisions_keeps_what_was_typed_and_skips(fcast) -> None:
    services.book_appointment(
        therapist=fcast.therapist,
        client=fcast.client_without_portal,
        start=datetime(2027, 3, 9, 10, 30, tzinfo=NEW_YORK),
        by=fcast.scheduler,
    )
    http = fcast.client_for("scheduler")
    page = http.post(NEW, _form(fcast))
    html = page.content.decode()
    assert page.status_code == 200
    assert "Tuesday March 9, 2027, 10:00 AM EST: overlaps Nora Noportal" in html
    assert 'name="skip" value="2027-03-09"' in html
    assert "Skip it and book the rest" in html
    assert "Typed note ZZKEEP" in html and 'value="6"' in html
    assert not AppointmentSeries.objects.exists()

    done = http.post(NEW, _form(fcast, skip="2027-03-09"), follow=True)
    assert (
        "Booked 5 appointments for Casey Client, every week on tuesday" in (done.content.decode())
        or "Booked 5 appointments for Casey Client" in done.content.decode()
    )
    assert "(1 skipped)" in done.content.decode()
    assert AppointmentSeries.objects.get().occurrences.count() == 5


@pytest.mark.parametrize(
    ("extra", "field", "message"),
    [
        ({"count": "0"}, "count", "at least 2 appointments"),
        ({"count": "500"}, "count", "at most 53 times"),
        ({"ends": "until", "until": "2027-01-05"}, "until", "The end date is before the first"),
        ({"ends": "until", "until": ""}, "until", "Choose the date of the last appointment."),
        ({"repeats": "monthly", "date": "2027-03-30"}, "repeats", "5th Tuesday of its month"),
        (
            {"date": "2027-03-07", "time": "02:30"},
            "time",
            "2:30 AM does not exist on Sunday March 14",
        ),
    ],
)
def test_page_bad_input_beside_the_field(fcast, extra, field, message) -> None:
    http = fcast.client_for("scheduler")
    page = http.post(NEW, _form(fcast, **extra))
    assert page.status_code == 200
    error = page.content.decode().split(f'<p class="error" id="id_{field}_error">')[1]
    assert message in error.split("</p>")[0]
    assert not AppointmentSeries.objects.exists()


def test_editing_all_changes_only_what_was_changed(fcast) -> None:
    """Moving the whole series keeps each appointment's own length, service and note."""
    booked = _book(fcast)
    rows = _occurrences(booked)
    services.change_appointment(
        appointment=rows[3], by=fcast.scheduler, duration_minutes=80, staff_note="Own note"
    )
    http = fcast.client_for("scheduler")
    form = {
        "date": "2027-02-23",
        "time": "11:00",
        "duration": "50",
        "service": "90834",
        "teletherapy": "on",
        "staff_note": "ZZNOTE",
        "scope": "all",
    }
    response = http.post(reverse("scheduling:appointment_edit", args=[rows[0].pk]), form)
    assert response.status_code == 302
    after = _occurrences(booked)
    assert [r.start.astimezone(NEW_YORK).hour for r in after] == [11] * 6
    assert [r.duration_minutes for r in after] == [50, 50, 50, 80, 50, 50]
    assert [r.staff_note for r in after] == ["ZZNOTE"] * 3 + ["Own note"] + ["ZZNOTE"] * 2

    # A note changed for all is every appointment's note.
    form.update(staff_note="New for all")
    http.post(reverse("scheduling:appointment_edit", args=[rows[0].pk]), form)
    assert {r.staff_note for r in _occurrences(booked)} == {"New for all"}
    assert [r.duration_minutes for r in _occurrences(booked)] == [50, 50, 50, 80, 50, 50]


def test_edit_and_cancel_pages_ask_which(fcast) -> None:
    booked = _book(fcast)
    rows = _occurrences(booked)
    http = fcast.client_for("scheduler")
    edit = reverse("scheduling:appointment_edit", args=[rows[2].pk])
    html = http.get(edit).content.decode()
    for label in ("This appointment only", "This and the following", "All upcoming"):
        assert label in html
    details = http.get(reverse("scheduling:appointment", args=[rows[2].pk])).content.decode()
    assert "Every week on Tuesday at 10:00 AM EST: 6 of 6 appointments scheduled" in details
    assert 'value="following"' in details

    response = http.post(
        edit,
        {
            "date": "2027-03-09",
            "time": "11:00",
            "duration": "50",
            "service": "90834",
            "teletherapy": "on",
            "scope": "following",
        },
    )
    assert response.status_code == 302
    hours = [r.start.astimezone(NEW_YORK).hour for r in _occurrences(booked)]
    assert hours == [10, 10, 11, 11, 11, 11]

    cancel = reverse("scheduling:appointment_cancel", args=[rows[4].pk])
    asked = http.post(cancel, {"reason": "Moving", "scope": "following"}).content.decode()
    assert "Cancel these appointments?" in asked
    assert "every following appointment of the series" in asked
    assert 'name="scope" value="following"' in asked
    http.post(cancel, {"reason": "Moving", "scope": "following", "confirmed": "yes"})
    statuses = [r.status for r in _occurrences(booked)]
    assert statuses == ["scheduled"] * 4 + ["cancelled"] * 2
