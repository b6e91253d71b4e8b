"""Two Owners removing each other at the same moment: one wins, the practice keeps an Owner."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections
from django.urls import reverse

from teletherapy.practice.models import StaffMember
from teletherapy.test.personas import build_cast, make_staff


def _race(action: str) -> list[int]:
    cast = build_cast()
    second = make_staff(cast.practice, "o2@maple.test", "Second Owner", is_owner=True)
    second_http = cast.client_for("owner")
    second_http.force_login(second.user, backend="django.contrib.auth.backends.ModelBackend")
    jobs = [
        (cast.client_for("owner"), second),  # the first Owner acts on the second...
        (second_http, cast.owner),  # ...while the second acts on the first
    ]
    barrier = threading.Barrier(len(jobs))
    statuses = [0] * len(jobs)
    errors: list[BaseException] = []

    def act(index: int) -> None:
        http, target = jobs[index]
        try:
            barrier.wait(timeout=30)
            if action == "roles":
                url = reverse("practice:staff_roles", args=[target.pk])
                statuses[index] = http.post(url, {"roles": ["therapist"]}).status_code
            else:
                url = reverse("practice:staff_deactivate", args=[target.pk])
                statuses[index] = http.post(url, {"confirmed": "yes"}).status_code
        except BaseException as exc:  # the test fails with it below, not in a thread's log
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=act, args=(i,)) for i in range(len(jobs))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
        assert not thread.is_alive(), "a request did not finish within 120 s"
    if errors:
        raise errors[0]
    owners = StaffMember.objects.filter(
        practice=cast.practice, is_owner=True, user__is_active=True
    ).count()
    assert owners == 1
    return statuses


# One request wins (302). The other finds a single Owner left (400), or arrives after it
# lost the role (403) or was deactivated and signed out (302 to sign in).
ALLOWED = {"roles": ([302, 400], [302, 403]), "deactivate": ([302, 400], [302, 302])}


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("action", ["roles", "deactivate"])
def test_the_last_owner_survives_a_race_on_postgresql(action: str) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("needs DATABASE_URL pointing at PostgreSQL")
    assert sorted(_race(action)) in ALLOWED[action]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("action", ["roles", "deactivate"])
def test_the_last_owner_survives_a_race_on_sqlite(action: str) -> None:
    if connection.vendor != "sqlite":
        pytest.skip("the PostgreSQL run has its own test")
    assert sorted(_race(action)) in ALLOWED[action]
