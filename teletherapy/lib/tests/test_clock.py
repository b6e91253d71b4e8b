"""The one clock: formats with the zone named, wall-clock times, and the viewer's zone."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest
from django.template import engines

from teletherapy.lib import clock

WINTER = datetime(2026, 11, 24, 14, 15, tzinfo=UTC)  # 9:15 AM EST
SUMMER = datetime(2026, 7, 1, 16, 5, tzinfo=UTC)  # 12:05 PM EDT


def test_formats_name_the_zone() -> None:
    ny = "America/New_York"
    assert clock.time_text(WINTER, ny) == "9:15 AM EST"
    assert clock.date_time_text(WINTER, ny) == "Tuesday November 24, 2026, 9:15 AM EST"
    assert clock.short_date_time_text(SUMMER, ny) == "Wed, Jul 1, 2026, 12:05 PM EDT"
    assert clock.short_date_text(WINTER, ny) == "Tue, Nov 24"
    assert clock.span_text(WINTER, SUMMER, "UTC") == "2:15 PM–4:05 PM"
    assert clock.named(clock.time_text(WINTER, ny), ny) == "9:15 AM EST (America/New York)"
    assert clock.time_text(WINTER, "America/Los_Angeles") == "6:15 AM PST"


def test_a_bad_or_blank_zone_is_utc_not_an_error() -> None:
    assert clock.zone("Not/AZone").key == "UTC"
    assert clock.zone("").key == "UTC"
    assert clock.short_date_time_text(None, "America/New_York") == ""


def test_wall_clock_times_across_the_clock_changes() -> None:
    ny = clock.zone("America/New_York")
    assert clock.make_local(date(2027, 3, 14), time(2, 30), ny) is None  # skipped
    ambiguous = clock.make_local(date(2026, 11, 1), time(1, 30), ny)
    assert ambiguous is not None and ambiguous.tzname() == "EDT"  # the first one
    assert clock.clock_time(time(0, 5)) == "12:05 AM"
    assert clock.day_text(date(2026, 11, 24)) == "Tuesday November 24"


def test_the_in_zone_filter_is_the_short_format() -> None:
    rendered = engines["django"].from_string(
        "{% load clock %}{{ at|in_zone:z }} / {{ z|zone_label }}"
    )
    html = rendered.render({"at": SUMMER, "z": "America/New_York"})
    assert html == "Wed, Jul 1, 2026, 12:05 PM EDT / America/New York"


@pytest.mark.django_db
def test_the_viewer_zone_is_their_own_then_their_practices(cast) -> None:  # type: ignore[no-untyped-def]
    from django.contrib.auth.models import AnonymousUser

    assert clock.viewer_zone(cast.other_owner.user) == "America/Los_Angeles"
    assert clock.viewer_zone(cast.therapist) == cast.therapist.time_zone
    client = cast.client_with_portal
    assert clock.viewer_zone(client.user) == client.time_zone
    assert clock.viewer_zone(AnonymousUser()) == "UTC"
    cast.therapist.time_zone = ""
    assert clock.viewer_zone(cast.therapist) == cast.practice.time_zone
