"""Two Owners or Managers saving the practice's reminder choices for the first time at once:
both saves succeed, one after the other, and the practice has one row of choices."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from teletherapy.reminders import services
from teletherapy.reminders.models import ReminderSettings
from teletherapy.test.personas import build_cast


def _race() -> None:
    cast = build_cast()
    people = [(cast.owner, 2), (cast.manager, 3)]
    barrier = threading.Barrier(len(people))
    outcomes: list[object] = [None] * len(people)

    def save(index: int, by, days: int) -> None:  # type: ignore[no-untyped-def]
        try:
            barrier.wait(timeout=30)
            outcomes[index] = services.update_reminder_settings(by=by, days_before=days)
        except BaseException as exc:  # judged below, not in a thread's log
            outcomes[index] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=save, args=(i, *p)) for i, p in enumerate(people)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
        assert not thread.is_alive(), "a save did not finish within 120 s"
    assert all(isinstance(o, ReminderSettings) for o in outcomes), outcomes
    [row] = ReminderSettings.objects.filter(practice=cast.practice)
    assert row.days_before in (2, 3)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_first_saves_racing_on_postgresql() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("needs DATABASE_URL pointing at PostgreSQL")
    _race()


@pytest.mark.django_db(transaction=True)
def test_first_saves_racing_on_sqlite() -> None:
    if connection.vendor != "sqlite":
        pytest.skip("the PostgreSQL run has its own test")
    _race()
