"""My Schedule: the Day and Week grid, who sees whose schedule, and its query count."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from teletherapy.scheduling.models import Appointment

URL = reverse("scheduling:my_schedule")


def slot_names(html: str) -> list[str]:
    return re.findall(r'<a class="slot" href="[^"]*"><span class="visually-hidden">([^<]*)<', html)


def appointment_links(html: str) -> list[str]:
    links = re.findall(r'<a class="appt[^"]*" href="[^"]*"[^>]*>(.*?)</a>', html, re.S)
    return [" ".join(re.sub(r"<[^>]+>", " ", link).split()) for link in links]


def test_week_shows_the_therapists_own_appointments(fcast) -> None:
    response = fcast.client_for("therapist").get(URL)
    html = response.content.decode()
    assert response.status_code == 200
    assert "Times in <strong>America/New York</strong> (EST)" in html
    assert "Week of Sunday November 22, 2026" in html
    # Each appointment is one link named with its time, client and a Teletherapy mark.
    assert appointment_links(html) == [
        "9:00 AM–9:50 AM EST Casey Client Teletherapy",
        "11:00 AM–11:50 AM EST Nora Noportal",
    ]
    assert "ZZSECRET" not in html


def test_every_empty_future_slot_is_a_named_link(fcast) -> None:
    html = fcast.client_for("therapist").get(URL).content.decode()
    names = slot_names(html)
    assert "New appointment, Tuesday November 24, 9:15 AM" not in names  # inside an appointment
    assert "New appointment, Tuesday November 24, 10:00 AM" in names
    assert "New appointment, Monday November 23, 9:15 AM" in names  # now is 9:00 AM
    assert "New appointment, Monday November 23, 8:45 AM" not in names  # the past
    # Monday is partly past; Tuesday's 7:00-20:00 grid has 52 rows minus 8 for appointments.
    assert len([n for n in names if "Tuesday" in n]) == 52 - 8
    # The link opens the New appointment form prefilled with that day and time.
    link = re.search(
        r'href="([^"]*)"><span class="visually-hidden">New appointment, Tuesday '
        r"November 24, 10:00 AM<",
        html,
    )
    assert link is not None
    response = fcast.client_for("therapist").get(link.group(1).replace("&amp;", "&"))
    assert 'name="date" value="2026-11-24"' in response.content.decode()
    assert 'name="time" value="10:00"' in response.content.decode()


def test_today_and_now_are_marked_and_hours_shaded(fcast) -> None:
    html = fcast.client_for("therapist").get(URL).content.decode()
    assert re.search(r'<th scope="col" class="today" aria-current="date">.*?Mon 11/23', html)
    assert html.count("Current time") == 1
    assert 'class="work now"' in html  # 9:00 AM, inside working hours
    assert 'class="work"' in html and re.search(r'<td class="(past off|off)"', html)


def test_navigation_and_day_view(fcast) -> None:
    http = fcast.client_for("therapist")
    html = http.get(URL, {"date": "2026-11-24"}).content.decode()
    assert "date=2026-11-15" in html and "date=2026-11-29" in html  # previous and next week
    day = http.get(URL, {"view": "day", "date": "2026-11-24"}).content.decode()
    assert "Tuesday November 24, 2026" in day
    assert appointment_links(day)[0].startswith("9:00 AM–9:50 AM EST Casey Client")
    assert "date=2026-11-23" in day and "date=2026-11-25" in day
    assert all("Tuesday" in name for name in slot_names(day))


def test_schedulers_choose_a_therapist(fcast) -> None:
    http = fcast.client_for("scheduler")
    html = http.get(URL, {"therapist": fcast.therapist_plain.pk}).content.decode()
    assert 'id="therapist-select"' in html
    assert "Tess Therapist (Teletherapy)" in html
    assert appointment_links(html) == []
    html = http.get(URL, {"therapist": fcast.therapist.pk}).content.decode()
    assert len(appointment_links(html)) == 2
    # Another practice's therapist is not theirs to see.
    assert http.get(URL, {"therapist": fcast.other_therapist.pk}).status_code == 404


def test_a_therapist_cannot_open_a_colleagues_schedule(fcast) -> None:
    http = fcast.client_for("therapist_plain")
    assert http.get(URL, {"therapist": fcast.therapist.pk}).status_code == 404
    html = http.get(URL).content.decode()
    assert 'id="therapist-select"' not in html
    assert appointment_links(html) == []


def test_viewer_zone_is_used(fcast) -> None:
    fcast.scheduler.time_zone = "America/Phoenix"
    fcast.scheduler.save()
    html = fcast.client_for("scheduler").get(URL, {"therapist": fcast.therapist.pk}).content
    assert "Times in <strong>America/Phoenix</strong> (MST)" in html.decode()
    assert appointment_links(html.decode())[0] == "7:00 AM–7:50 AM MST Casey Client Teletherapy"


def test_cancelled_appointments_leave_the_grid(fcast) -> None:
    fcast.office_appointment.status = Appointment.Status.CANCELLED
    fcast.office_appointment.save()
    html = fcast.client_for("therapist").get(URL).content.decode()
    assert len(appointment_links(html)) == 1
    assert "New appointment, Tuesday November 24, 11:00 AM" in slot_names(html)


def _fill_week(cast, count: int) -> None:
    Appointment.objects.filter(therapist=cast.therapist).delete()
    base = datetime(2026, 11, 23, 13, 0, tzinfo=UTC)  # Monday 8:00 AM EST
    Appointment.objects.bulk_create(
        Appointment(
            practice=cast.practice,
            therapist=cast.therapist,
            client=cast.client_with_portal if i % 2 else cast.client_without_portal,
            start=base + timedelta(days=i % 5, minutes=60 * (i // 5)),
            end=base + timedelta(days=i % 5, minutes=60 * (i // 5) + 45),
            is_teletherapy=bool(i % 2),
        )
        for i in range(count)
    )


@pytest.mark.parametrize("persona", ["therapist", "scheduler"])
def test_week_query_count_does_not_grow(fcast, persona: str) -> None:
    http = fcast.client_for(persona)
    http.get(URL)  # the first request of a session also writes the session
    counts = []
    for n in (1, 30):
        _fill_week(fcast, n)
        with CaptureQueriesContext(connection) as queries:
            response = http.get(URL, {"therapist": fcast.therapist.pk})
        assert len(appointment_links(response.content.decode())) == n
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_week_query_count_is_fixed(fcast, django_assert_num_queries) -> None:
    http = fcast.client_for("therapist")
    _fill_week(fcast, 30)
    http.get(URL)  # the first request of a session also writes the session
    # session, user, staff member, practice (menu), the week's appointments with clients;
    # the working hours, the week's closures, and for the next free slot the closures and
    # the appointments ahead.
    # The clients of joint appointments: one query for all of them.
    with django_assert_num_queries(10):
        http.get(URL)


def test_month_view(fcast, django_assert_max_num_queries) -> None:
    http = fcast.client_for("therapist")
    http.get(URL)
    # As before, plus the next free slot (working hours, closures, appointments) and the
    # month's closures.
    with django_assert_max_num_queries(10):
        response = http.get(URL, {"view": "month", "date": "2026-11-10"})
    html = response.content.decode()
    assert "November 2026" in html
    assert 'aria-current="page">Month</a>' in html
    assert appointment_links(html) == [
        "9:00 AM–9:50 AM EST, Tuesday November 24 Casey Client Teletherapy",
        "11:00 AM–11:50 AM EST, Tuesday November 24 Nora Noportal",
    ]
    # Days from today on offer a New appointment link; earlier days do not.
    assert 'New<span class="visually-hidden"> appointment, Monday November 23</span>' in html
    assert "appointment, Sunday November 22</span>" not in html
    assert "date=2026-10-31" in html and "date=2026-12-01" in html  # previous / next month
    # Six weeks from the Sunday before the 1st: November 1, 2026 is a Sunday.
    assert html.count('class="month-day"') == 42
    assert 'aria-label="Sunday November 1, Day view"' in html
