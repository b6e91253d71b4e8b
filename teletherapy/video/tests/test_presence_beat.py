"""One presence refresh per app process (presence.py, services.beat_many): every connection
of the process refreshed in the same few queries however many there are, a replaced
connection not counted as current, and each session's newest channel per role."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from teletherapy.video import services
from teletherapy.video.models import Participation, VideoSession
from teletherapy.video.tests.conftest import make_tele_appointment

pytestmark = pytest.mark.django_db


def _connections(cast: Any, count: int) -> dict[int, str]:
    """`count` calls, each with the client present, seen a minute ago."""
    now = timezone.now()
    out = {}
    for n in range(count):
        appointment = make_tele_appointment(
            cast, start=(now + timedelta(minutes=5, hours=2 * n)).replace(microsecond=0)
        )
        session = VideoSession.objects.create(appointment=appointment, started_at=now)
        row = Participation.objects.create(
            session=session,
            user=cast.client_with_portal.user,
            role="client",
            channel_name=f"specific.process!{n}",
            joined_at=now - timedelta(minutes=1),
            seen_at=now - timedelta(seconds=10),
        )
        out[row.pk] = row.channel_name
    return out


def test_many_connections_cost_the_same_queries_as_two(cast, settings) -> None:  # type: ignore[no-untyped-def]
    settings.TELETHERAPY_PRESENCE_SECONDS = 60
    few, many = _connections(cast, 2), _connections(cast, 12)
    with CaptureQueriesContext(connection) as two:
        services.beat_many(few)
    with CaptureQueriesContext(connection) as twelve:
        beats = services.beat_many(many)
    assert len(twelve) == len(two) <= 8, [q["sql"] for q in twelve.captured_queries]
    assert beats.current == set(many)
    fresh = Participation.objects.filter(
        pk__in=many, seen_at__gte=timezone.now() - timedelta(seconds=5)
    )
    assert fresh.count() == 12


def test_a_replaced_connection_is_not_current_and_the_newest_channel_wins(cast, settings) -> None:  # type: ignore[no-untyped-def]
    settings.TELETHERAPY_PRESENCE_SECONDS = 60
    ((pid, channel),) = _connections(cast, 1).items()
    row = Participation.objects.get(pk=pid)
    therapist = [
        Participation.objects.create(
            session=row.session,
            user=cast.therapist.user,
            role="therapist",
            channel_name=f"specific.therapist!{n}",
            joined_at=timezone.now() - timedelta(seconds=30 - n),
            seen_at=timezone.now(),
        )
        for n in range(2)
    ]
    beats = services.beat_many({pid: channel, therapist[0].pk: "specific.elsewhere!0"})
    # The therapist's first row is not on the channel that asked: not current, not refreshed.
    assert beats.current == {pid}
    assert beats.channel_of(row.session_id, "therapist") == "specific.therapist!1"
    assert beats.channel_of(row.session_id, "client") == channel
    # Replaced by a reload: no longer current, and its presence is left alone.
    Participation.objects.filter(pk=pid).update(left_at=timezone.now())
    before = Participation.objects.get(pk=pid).seen_at
    assert services.beat_many({pid: channel}).current == frozenset()
    assert Participation.objects.get(pk=pid).seen_at == before


def test_a_stale_connection_elsewhere_is_expired_by_the_beat(cast, settings) -> None:  # type: ignore[no-untyped-def]
    settings.TELETHERAPY_PRESENCE_SECONDS = 15
    ((pid, channel),) = _connections(cast, 1).items()
    ghost = Participation.objects.create(
        session=Participation.objects.get(pk=pid).session,
        user=cast.therapist.user,
        role="therapist",
        channel_name="specific.deadprocess!gone",
        joined_at=timezone.now() - timedelta(minutes=3),
        seen_at=timezone.now() - timedelta(seconds=20),
    )
    beats = services.beat_many({pid: channel})
    ghost.refresh_from_db()
    assert ghost.left_at == ghost.seen_at
    assert beats.channel_of(ghost.session_id, "therapist") is None
