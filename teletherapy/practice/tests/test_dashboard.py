from __future__ import annotations

from datetime import datetime, timedelta

import pytest
import time_machine
from django.urls import reverse

from teletherapy.scheduling.models import Appointment
from teletherapy.test.personas import make_client

pytestmark = pytest.mark.django_db
NOW = datetime.fromisoformat("2026-07-01 14:00:00+00:00")


def _book(cast, start: datetime, **fields) -> Appointment:
    fields.setdefault("therapist", cast.therapist)
    fields.setdefault("client", cast.client_without_portal)
    return Appointment.objects.create(
        practice=cast.practice, start=start, end=start + timedelta(minutes=50), **fields
    )


@time_machine.travel(NOW, tick=False)
def test_therapist_sees_the_next_seven_days_in_their_zone(cast) -> None:
    Appointment.objects.all().delete()
    soon = _book(cast, NOW + timedelta(hours=2), is_teletherapy=True, location="teletherapy")
    _book(cast, NOW - timedelta(minutes=1))  # already started
    _book(cast, NOW + timedelta(days=7, seconds=1))  # beyond the week
    _book(cast, NOW + timedelta(hours=3), status=Appointment.Status.CANCELLED)
    _book(cast, NOW + timedelta(hours=4), therapist=cast.therapist_plain)
    response = cast.client_for("therapist").get(reverse("practice:dashboard"))
    assert [a.pk for a in response.context["appointments"]] == [soon.pk]
    page = response.content.decode()
    assert "Wed, Jul 1, 2026, 12:00 PM EDT" in page and "America/New York" in page
    assert "Nora Noportal" in page and "Teletherapy" in page
    assert "Welcome, Tess Therapist" in page


@time_machine.travel(NOW, tick=False)
def test_dashboard_query_count_does_not_grow(cast, django_assert_max_num_queries) -> None:
    http = cast.client_for("therapist")
    # One appointment listed already, so the queries that run only when there are some
    # (the clients of joint sessions, prefetched) count in both measures.
    first = make_client(cast.practice, "First", "Person", therapists=[cast.therapist])
    _book(cast, NOW + timedelta(minutes=30), client=first)
    http.get(reverse("practice:dashboard"))
    with django_assert_max_num_queries(12) as before:
        http.get(reverse("practice:dashboard"))
    for i in range(8):
        who = make_client(cast.practice, f"Extra{i}", "Person", therapists=[cast.therapist])
        _book(cast, NOW + timedelta(hours=i + 1), client=who)
    with django_assert_max_num_queries(len(before.captured_queries)) as after:
        response = http.get(reverse("practice:dashboard"))
    assert len(response.context["appointments"]) >= 8
    assert len(after.captured_queries) == len(before.captured_queries)


def test_non_therapists_get_a_welcome_without_appointments(cast) -> None:
    page = cast.client_for("scheduler").get(reverse("practice:dashboard")).content.decode()
    assert "Welcome, Sam Scheduler" in page
    assert "Your appointments" not in page
