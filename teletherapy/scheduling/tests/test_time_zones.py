"""Times are stored in UTC, shown in the viewer's zone, and emailed in the client's zone,
across daylight-saving changes."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
import time_machine
from django.core import mail
from django.urls import reverse

from teletherapy.scheduling.models import Appointment
from teletherapy.test.personas import build_cast

NEW = reverse("scheduling:new_appointment")
SCHEDULE = reverse("scheduling:my_schedule")


@pytest.fixture
def march_cast(db):
    with time_machine.travel(datetime(2027, 3, 1, 15, 0, tzinfo=UTC), tick=False) as traveller:
        cast = build_cast()
        cast.traveller = traveller  # type: ignore[attr-defined]
        yield cast


def book(cast, persona: str, day: str, at: str, **extra):
    data = {
        "therapist": cast.therapist.pk,
        "client": cast.client_with_portal.pk,
        "date": day,
        "time": at,
        "duration": "50",
        "service": "90834",
        "location": "office",
        # Sundays and early mornings are outside the default working hours: confirmed.
        "outside_hours_ok": "1",
    }
    data.update(extra)
    return cast.client_for(persona).post(NEW, data)


@pytest.mark.parametrize(
    ("zone", "day", "utc_hour"),
    [
        ("America/New_York", "2027-03-13", 14),  # Saturday before spring forward: EST
        ("America/New_York", "2027-03-14", 13),  # spring-forward day: 9:00 EDT
        ("America/New_York", "2027-11-06", 13),  # Saturday before fall back: EDT
        ("America/New_York", "2027-11-07", 14),  # fall-back day: 9:00 EST
        ("America/Phoenix", "2027-03-14", 16),  # no DST in Arizona
        ("America/Phoenix", "2027-11-07", 16),
    ],
)
def test_nine_am_is_nine_am_local(march_cast, zone: str, day: str, utc_hour: int) -> None:
    march_cast.therapist.time_zone = zone
    march_cast.therapist.save()
    response = book(march_cast, "therapist", day, "09:00")
    assert response.status_code == 302, response.content.decode()
    appointment = Appointment.objects.get(start__date=day)
    assert appointment.start == datetime.fromisoformat(f"{day}T{utc_hour:02d}:00:00+00:00")
    html = march_cast.client_for("therapist").get(SCHEDULE, {"date": day}).content.decode()
    assert "9:00 AM–9:50 AM" in html


def test_a_time_the_clocks_skip_is_refused(march_cast) -> None:
    march_cast.therapist.time_zone = "America/New_York"
    march_cast.therapist.save()
    response = book(march_cast, "therapist", "2027-03-14", "02:30")
    assert response.status_code == 200
    assert "That time does not exist on that day" in response.content.decode()
    assert not Appointment.objects.filter(start__date="2027-03-14").exists()


def test_spring_forward_week_grid(march_cast) -> None:
    html = march_cast.client_for("therapist").get(SCHEDULE, {"date": "2027-03-14"}).content
    names = re.findall(
        r'visually-hidden">(New appointment, Sunday March 14, [^<]*)<', html.decode()
    )
    # A Sunday: outside the default working hours, and it says so.
    assert "New appointment, Sunday March 14, 9:00 AM, outside working hours" in names
    link = re.search(
        r'href="([^"]*)"><span class="visually-hidden">New appointment, Sunday March 14, '
        r"9:00 AM, outside working hours<",
        html.decode(),
    )
    assert link and "time=09%3A00" in link.group(1) and "date=2027-03-14" in link.group(1)


def test_therapist_and_client_in_different_zones(
    march_cast, django_capture_on_commit_callbacks
) -> None:
    cast = march_cast
    cast.therapist.time_zone = "America/New_York"
    cast.therapist.save()
    cast.client_with_portal.time_zone = "America/Los_Angeles"
    cast.client_with_portal.state = "CA"
    cast.client_with_portal.save()
    cast.scheduler.time_zone = "America/Phoenix"
    cast.scheduler.save()
    with django_capture_on_commit_callbacks(execute=True):
        response = book(cast, "therapist", "2027-03-15", "12:00", teletherapy="on")
    assert response.status_code == 302
    appointment = Appointment.objects.get(start__date="2027-03-15")
    assert appointment.start == datetime(2027, 3, 15, 16, 0, tzinfo=UTC)  # 12:00 EDT
    # The client reads it in Los Angeles time (PDT), with the zone named.
    [message] = mail.outbox
    assert "Monday March 15, 2027, 9:00 AM PDT (America/Los Angeles)" in message.body
    # A scheduler in Phoenix (MST, no DST) sees it at 9:00 AM too, in their own zone.
    html = (
        cast.client_for("scheduler")
        .get(SCHEDULE, {"therapist": cast.therapist.pk, "date": "2027-03-15"})
        .content.decode()
    )
    assert "Times in <strong>America/Phoenix</strong> (MST)" in html
    assert '9:00 AM–9:50 AM<span class="visually-hidden"> MST' in html


def test_fall_back_ambiguous_time_means_the_first(march_cast) -> None:
    march_cast.traveller.move_to(datetime(2027, 11, 1, 15, 0, tzinfo=UTC))
    march_cast.therapist.time_zone = "America/New_York"
    march_cast.therapist.save()
    response = book(march_cast, "therapist", "2027-11-07", "01:30", duration="15")
    assert response.status_code == 302
    appointment = Appointment.objects.get(start__date="2027-11-07")
    assert appointment.start == datetime(2027, 11, 7, 5, 30, tzinfo=UTC)  # 1:30 EDT
