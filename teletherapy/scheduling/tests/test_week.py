"""Working hours and closures on My Schedule and New appointment (shading, the confirmation
for a time outside the hours, closures refusing), the next free slot, the Day view of all
therapists, and the client's appointments on their profile.

The cast is built at Monday November 23, 2026, 9:00 AM in New York (conftest NOW); Tess has
appointments on Tuesday at 9:00 and 11:00."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse

from teletherapy.availability import hours as availability
from teletherapy.availability.models import Closure
from teletherapy.availability.services import set_working_week
from teletherapy.scheduling import services
from teletherapy.scheduling.hours import next_free_slot
from teletherapy.scheduling.models import Appointment

SCHEDULE = reverse("scheduling:my_schedule")
NEW = reverse("scheduling:new_appointment")
TEAM = reverse("scheduling:team_day")


def slot_names(html: str) -> list[str]:
    return re.findall(r'<a class="slot" href="[^"]*"><span class="visually-hidden">([^<]*)<', html)


def _mornings_only(cast) -> None:
    """Tess works 9 to 12 on Mondays and Wednesdays, nothing else."""
    week: availability.Week = {day: [] for day in range(7)}
    week[0] = week[2] = [(time(9), time(12))]
    set_working_week(staff=cast.therapist, week=week, by=cast.manager)


def _book(cast, day: str, at: str, **extra):
    data = {
        "therapist": cast.therapist.pk,
        "client": cast.client_with_portal.pk,
        "date": day,
        "time": at,
        "duration": "50",
        "service": "90834",
        "staff_note": "Bring the intake form",
    }
    data.update(extra)
    return cast.client_for("therapist").post(NEW, data)


def test_time_outside_working_hours_is_shaded_and_said(fcast) -> None:
    _mornings_only(fcast)
    html = fcast.client_for("therapist").get(SCHEDULE).content.decode()
    names = slot_names(html)
    assert "New appointment, Monday November 23, 10:00 AM" in names
    assert "New appointment, Monday November 23, 1:00 PM, outside working hours" in names
    # Tuesday is not a working day at all.
    assert "New appointment, Tuesday November 24, 10:00 AM, outside working hours" in names
    assert 'class="work"' in html and 'class="off"' in html
    assert "Outside working hours" in html  # the legend, in words
    assert "Your working hours</a>" in html
    scheduler = fcast.client_for("scheduler").get(SCHEDULE, {"therapist": fcast.therapist.pk})
    assert "working hours</a>" not in scheduler.content.decode().lower()
    manager = fcast.client_for("manager").get(SCHEDULE, {"therapist": fcast.therapist.pk})
    assert "Working hours of Tess Therapist</a>" in manager.content.decode()


def test_hours_are_read_in_the_therapists_zone(fcast) -> None:
    """Tess works 9-12 in Los Angeles: a New York scheduler sees 12:00 to 3:00 PM."""
    fcast.therapist.time_zone = "America/Los_Angeles"
    fcast.therapist.save()
    _mornings_only(fcast)
    html = (
        fcast.client_for("scheduler")
        .get(SCHEDULE, {"therapist": fcast.therapist.pk})
        .content.decode()
    )
    names = slot_names(html)
    assert "New appointment, Monday November 23, 12:00 PM" in names
    assert "New appointment, Monday November 23, 10:00 AM, outside working hours" in names


def test_booking_outside_hours_asks_for_confirmation_and_keeps_what_was_typed(fcast) -> None:
    _mornings_only(fcast)
    response = _book(fcast, "2026-11-23", "13:00")
    assert response.status_code == 200
    html = response.content.decode()
    assert (
        "This is outside Tess Therapist&#x27;s working hours (Monday: 9:00 AM to 12:00 PM, "
        "America/New York)."
    ) in html
    assert 'name="outside_hours_ok"' in html and "Book outside working hours" in html
    assert 'value="13:00"' in html and "Bring the intake form" in html
    assert not Appointment.objects.filter(start__date="2026-11-23").exists()
    # Ticked: booked.
    confirmed = _book(fcast, "2026-11-23", "13:00", outside_hours_ok="1")
    assert confirmed.status_code == 302
    booked = Appointment.objects.get(start__date="2026-11-23")
    assert booked.start == datetime(2026, 11, 23, 18, 0, tzinfo=UTC)
    # Inside the hours: no question.
    assert _book(fcast, "2026-11-25", "09:00").status_code == 302
    # Running past the end of the range (11:30 + 50 min) is outside too.
    assert _book(fcast, "2026-11-25", "11:30").status_code == 200


def test_a_closure_refuses_booking_and_shows_the_day_closed(fcast) -> None:
    Closure.objects.create(practice=fcast.practice, date=date(2026, 11, 26), name="Thanksgiving")
    response = _book(fcast, "2026-11-26", "10:00", outside_hours_ok="1")
    assert response.status_code == 200
    assert (
        "The practice is closed on Thursday November 26, 2026 (Thanksgiving), so nothing can "
        "be booked that day."
    ) in response.content.decode()
    assert not Appointment.objects.filter(start__date="2026-11-26").exists()
    with pytest.raises(ValidationError):
        services.book_appointment(
            therapist=fcast.therapist,
            client=fcast.client_with_portal,
            start=datetime(2026, 11, 26, 15, 0, tzinfo=UTC),
            by=fcast.owner,
        )
    # Moving an appointment onto it is refused the same way.
    with pytest.raises(ValidationError, match="closed"):
        services.change_appointment(
            appointment=fcast.tele_appointment,
            by=fcast.therapist,
            start=datetime(2026, 11, 26, 15, 0, tzinfo=UTC),
        )
    html = fcast.client_for("therapist").get(SCHEDULE).content.decode()
    assert "Closed: Thanksgiving" in html
    assert not [n for n in slot_names(html) if "Thursday November 26" in n]
    assert 'class="closed off"' in html


def test_next_free_slot_respects_hours_overlaps_and_closures(fcast) -> None:
    now = datetime(2026, 11, 23, 14, 5, tzinfo=UTC)  # Monday 9:05 AM EST
    # Default hours: the next quarter hour.
    assert next_free_slot(fcast.therapist, after=now, minutes=50) == datetime(
        2026, 11, 23, 14, 15, tzinfo=UTC
    )
    _mornings_only(fcast)
    # Monday 9:15-12:00 taken: Wednesday (Tuesday is off) at 9:00.
    Appointment.objects.create(
        practice=fcast.practice,
        therapist=fcast.therapist,
        client=fcast.client_with_portal,
        start=datetime(2026, 11, 23, 14, 15, tzinfo=UTC),
        end=datetime(2026, 11, 23, 17, 0, tzinfo=UTC),
    )
    assert next_free_slot(fcast.therapist, after=now, minutes=50) == datetime(
        2026, 11, 25, 14, 0, tzinfo=UTC
    )
    # Wednesday closed: the Monday after.
    Closure.objects.create(practice=fcast.practice, date=date(2026, 11, 25), name="Staff day")
    assert next_free_slot(fcast.therapist, after=now, minutes=50) == datetime(
        2026, 11, 30, 14, 0, tzinfo=UTC
    )
    # A cancelled appointment frees its time.
    Appointment.objects.filter(start__date="2026-11-23").update(status=Appointment.Status.CANCELLED)
    assert next_free_slot(fcast.therapist, after=now, minutes=50) == datetime(
        2026, 11, 23, 14, 15, tzinfo=UTC
    )


def test_next_free_slot_across_the_march_dst_change(fcast) -> None:
    """Friday March 12, 2027 5:30 PM EST; the clocks spring forward on Sunday the 14th.
    Monday the 15th is closed and Tuesday 8:00-8:50 EDT is taken: Tuesday 9:00 AM EDT,
    13:00 UTC (9:00 EST would be 14:00 UTC)."""
    with time_machine.travel(datetime(2027, 3, 12, 22, 30, tzinfo=UTC), tick=False):
        Closure.objects.create(practice=fcast.practice, date=date(2027, 3, 15), name="Closed")
        Appointment.objects.create(
            practice=fcast.practice,
            therapist=fcast.therapist,
            client=fcast.client_with_portal,
            start=datetime(2027, 3, 16, 12, 0, tzinfo=UTC),
            end=datetime(2027, 3, 16, 12, 50, tzinfo=UTC),
        )
        now = datetime(2027, 3, 12, 22, 30, tzinfo=UTC)
        free = next_free_slot(fcast.therapist, after=now, minutes=50)
        assert free == datetime(2027, 3, 16, 13, 0, tzinfo=UTC)
        # The button on My Schedule offers it, named in the viewer's zone, prefilled.
        html = fcast.client_for("therapist").get(SCHEDULE, {"date": "2027-03-16"}).content.decode()
        assert "Next free slot: Tuesday March 16, 2027, 9:00 AM EDT (America/New York)" in html
        button = re.search(r'<a class="button new-appointment" href="([^"]*)"', html)
        assert button is not None
        form = fcast.client_for("therapist").get(button.group(1).replace("&amp;", "&"))
        assert 'name="date" value="2027-03-16"' in form.content.decode()
        assert 'name="time" value="09:00"' in form.content.decode()


def test_hours_in_a_dst_week_stay_on_the_wall_clock(fcast) -> None:
    week = {day: [(time(9), time(17))] for day in range(7)}
    set_working_week(staff=fcast.therapist, week=week, by=fcast.therapist)
    tz = availability.therapist_zone(fcast.therapist)
    # Sunday March 14, 2027: 9:00 EDT is 13:00 UTC; Saturday's 9:00 EST was 14:00 UTC.
    assert availability.is_within(
        week,
        tz,
        datetime(2027, 3, 14, 13, 0, tzinfo=UTC),
        datetime(2027, 3, 14, 13, 50, tzinfo=UTC),
    )
    assert not availability.is_within(
        week,
        tz,
        datetime(2027, 3, 14, 12, 30, tzinfo=UTC),
        datetime(2027, 3, 14, 13, 20, tzinfo=UTC),
    )


def test_day_view_of_all_therapists_for_a_manager(fcast, django_assert_max_num_queries) -> None:
    http = fcast.client_for("manager")
    http.get(TEAM)
    with django_assert_max_num_queries(9):
        response = http.get(TEAM, {"date": "2026-11-24"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "Tuesday November 24, 2026" in html
    headers = re.findall(r'<th scope="col"><a href="[^"]*">([^<]*)</a>', html)
    assert headers == ["Paul Plain", "Tess Therapist"]
    assert "Casey Client" in html and "Nora Noportal" in html
    # Each column's free times book for that therapist.
    assert f"therapist={fcast.therapist_plain.pk}&amp;date=2026-11-24&amp;time=09%3A00" in html
    assert "ZZSECRET" not in html
    assert fcast.client_for("therapist").get(TEAM).status_code == 403
    # Closed: said above the grid and in every column.
    Closure.objects.create(practice=fcast.practice, date=date(2026, 11, 24), name="Staff day")
    closed = http.get(TEAM, {"date": "2026-11-24"}).content.decode()
    assert "The practice is closed this day: Staff day." in closed
    assert closed.count("Closed: Staff day") == 2
    assert "New appointment, Tuesday" not in closed


def test_the_clients_profile_lists_their_appointments_with_book(fcast) -> None:
    past_start = datetime(2026, 11, 16, 15, 0, tzinfo=UTC)
    Appointment.objects.create(
        practice=fcast.practice,
        therapist=fcast.therapist,
        client=fcast.client_with_portal,
        start=past_start,
        end=past_start + timedelta(minutes=50),
        status=Appointment.Status.NO_SHOW,
    )
    url = reverse("clients:detail", args=[fcast.client_with_portal.pk])
    html = fcast.client_for("therapist").get(url).content.decode()
    upcoming, past = html.split('id="upcoming-appointments"')[1].split('id="past-appointments"')
    assert "Times in America/New York." in html
    assert "Tuesday November 24, 2026, 9:00 AM EST</a>, 50 min, with Tess Therapist" in upcoming
    assert "Monday November 16, 2026, 10:00 AM EST</a>, 50 min, with Tess Therapist" in past
    assert "No-show" in past
    book = re.search(r'<a class="button" href="([^"]*)">Book', html)
    assert book is not None
    form = fcast.client_for("therapist").get(book.group(1).replace("&amp;", "&"))
    page = form.content.decode()
    assert f'<option value="{fcast.client_with_portal.pk}" selected>' in page
    # The next free slot: now is 9:00 AM Monday.
    assert 'name="date" value="2026-11-23"' in page and 'name="time" value="09:00"' in page
    # Paul, Casey's other therapist, sees only his own appointments with her (none).
    paul = fcast.client_for("therapist_plain").get(url).content.decode()
    assert "No upcoming appointments." in paul and "November 24" not in paul


def test_the_month_shows_a_closed_day_without_a_new_link(fcast) -> None:
    Closure.objects.create(practice=fcast.practice, date=date(2026, 11, 26), name="Thanksgiving")
    html = (
        fcast.client_for("therapist")
        .get(SCHEDULE, {"view": "month", "date": "2026-11-10"})
        .content.decode()
    )
    assert "Closed: Thanksgiving" in html
    assert "appointment, Thursday November 26</span>" not in html
    assert "appointment, Friday November 27</span>" in html
