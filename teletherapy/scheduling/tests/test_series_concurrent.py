"""Two series racing for the same therapist's weeks: one is booked whole, the other refused
whole (its collisions named), never a mixture, on PostgreSQL and on SQLite."""

from __future__ import annotations

import threading
from datetime import date, time, timedelta

import pytest
from django.db import connection, connections
from django.utils import timezone

from teletherapy.lib import clock
from teletherapy.scheduling import recurrence, series
from teletherapy.scheduling.models import Appointment, AppointmentSeries
from teletherapy.test.personas import build_cast


def _race() -> None:
    cast = build_cast()
    today = clock.local(timezone.now(), "America/New_York").date()
    tuesday = today + timedelta(days=(1 - today.weekday()) % 7 + 7)
    # The second series starts two weeks later: its first four weeks overlap the first's.
    plans = [
        (cast.client_with_portal, tuesday),
        (cast.client_without_portal, tuesday + timedelta(weeks=2)),
    ]
    barrier = threading.Barrier(len(plans))
    outcomes: list[object] = [None] * len(plans)

    def book(index: int, client, first: date) -> None:  # type: ignore[no-untyped-def]
        try:
            barrier.wait(timeout=30)
            outcomes[index] = series.book_series(
                therapist=cast.therapist,
                client=client,
                first_day=first,
                at=time(10),
                repeats=recurrence.WEEKLY,
                count=6,
                by=cast.scheduler,
            )
        except BaseException as exc:  # judged below, not in a thread's log
            outcomes[index] = exc
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=book, args=(i, client, first))
        for i, (client, first) in enumerate(plans)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
        assert not thread.is_alive(), "a booking did not finish within 120 s"
    booked = [o for o in outcomes if isinstance(o, AppointmentSeries)]
    refused = [o for o in outcomes if isinstance(o, series.SeriesCollisions)]
    assert len(booked) == 1 and len(refused) == 1, outcomes
    assert len(refused[0].collisions) == 4
    assert AppointmentSeries.objects.count() == 1
    rows = Appointment.objects.filter(therapist=cast.therapist, series__isnull=False)
    assert rows.count() == 6
    assert {r.client_id for r in rows} == {booked[0].client_id}


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_racing_series_on_postgresql() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("needs DATABASE_URL pointing at PostgreSQL")
    _race()


@pytest.mark.django_db(transaction=True)
def test_racing_series_on_sqlite() -> None:
    if connection.vendor != "sqlite":
        pytest.skip("the PostgreSQL run has its own test")
    _race()
