"""The test run itself: the cast shared per module and rolled back, each run's own database,
async code still refused the ORM."""

from __future__ import annotations

import asyncio
import os
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.core.exceptions import SynchronousOnlyOperation
from django.db import connection

from teletherapy.practice.models import Practice, StaffMember

_built: list[int] = []


def test_a_test_may_change_the_cast(cast) -> None:
    cast.therapist.teletherapy_enabled = False
    cast.therapist.save()
    Practice.objects.create(name="Extra", state="NY", time_zone="America/New_York")
    _built.append(cast.practice.pk)


def test_the_next_test_gets_the_cast_as_built(cast) -> None:
    assert cast.therapist.teletherapy_enabled  # on its own copy of the objects
    assert StaffMember.objects.get(pk=cast.therapist.pk).teletherapy_enabled  # rolled back
    assert Practice.objects.count() == 2
    assert _built == [cast.practice.pk]  # the same rows: built once for the module


@pytest.mark.django_db
def test_a_test_without_the_cast_sees_an_empty_database() -> None:
    # Defined last, run first: the module's tests without the cast run before it is built.
    assert not Practice.objects.exists()
    assert _built == []


@pytest.mark.django_db
def test_the_database_is_this_runs_own() -> None:
    name = str(connection.settings_dict["NAME"])
    assert (
        connection.vendor != "sqlite"
        or "memorydb" in name
        or name.startswith(os.path.dirname(os.environ["SQLITE_TEST_PATH"]))
    )


# Transactional, so it runs among the browser tests, after tests/test_home_browser.py.
@pytest.mark.django_db(transaction=True)
def test_async_code_is_still_refused_the_orm() -> None:
    async def count() -> int:
        return Practice.objects.count()

    # On a thread of its own, as the consumer tests run (Playwright may hold this one's loop).
    with ThreadPoolExecutor(max_workers=1) as pool:
        with pytest.raises(SynchronousOnlyOperation):
            pool.submit(asyncio.run, count()).result()
