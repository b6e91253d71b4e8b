"""Double-booking is impossible even when many requests race for the same slot."""

from __future__ import annotations

import threading
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection, connections
from django.urls import reverse
from django.utils import timezone

from teletherapy.scheduling.models import Appointment
from teletherapy.test.personas import build_cast

URL = reverse("scheduling:new_appointment")
REQUESTS = 20


def race(personas: list[str]) -> list[tuple[int, str]]:
    """Post the same booking from each persona's session at the same moment, each request
    on its own thread (so its own database connection)."""
    cast = build_cast()
    start = timezone.localtime(timezone.now() + timedelta(days=3), ZoneInfo("America/New_York"))
    data = {
        "therapist": cast.therapist.pk,
        "client": cast.client_with_portal.pk,
        "date": start.date().isoformat(),
        "time": "10:00",
        "duration": "50",
        "service": "90834",
        "location": "office",
        # Three days ahead can be a weekend, outside the working hours: the race is the point.
        "outside_hours_ok": "1",
    }
    clients = [cast.client_for(persona) for persona in personas]
    barrier = threading.Barrier(len(clients))
    results: list[tuple[int, str]] = [(0, "")] * len(clients)
    errors: list[BaseException] = []

    def post(index: int) -> None:
        try:
            barrier.wait(timeout=30)
            response = clients[index].post(URL, data)
            results[index] = (response.status_code, response.content.decode())
        except BaseException as exc:  # the test fails with it below, not in a thread's log
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=post, args=(i,)) for i in range(len(clients))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
        assert not thread.is_alive(), "a request did not finish within 120 s"
    if errors:
        raise errors[0]
    assert (
        Appointment.objects.filter(therapist=cast.therapist, start__date=start.date()).count() == 1
    )
    return results


def check(results: list[tuple[int, str]]) -> None:
    statuses = sorted(status for status, _ in results)
    assert statuses == [200] * (REQUESTS - 1) + [302], statuses
    refused = [html for status, html in results if status == 200]
    assert all("This overlaps Casey Client&#x27;s appointment on" in html for html in refused)


PERSONAS = (["therapist", "owner", "manager", "scheduler"] * REQUESTS)[:REQUESTS]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_bookings_on_postgresql() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("needs DATABASE_URL pointing at PostgreSQL")
    check(race(PERSONAS))


@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_bookings_on_sqlite() -> None:
    if connection.vendor != "sqlite":
        pytest.skip("the PostgreSQL run has its own test")
    check(race(PERSONAS))
