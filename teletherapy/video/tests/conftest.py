"""Fixtures for the video app's tests: a Teletherapy appointment whose window is open now."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from teletherapy.scheduling.models import Appointment


def make_tele_appointment(cast, *, start=None, minutes: int = 50, **fields) -> Appointment:
    start = start or (timezone.now() + timedelta(minutes=5)).replace(microsecond=0)
    defaults = {
        "practice": cast.practice,
        "therapist": cast.therapist,
        "client": cast.client_with_portal,
        "start": start,
        "end": start + timedelta(minutes=minutes),
        "is_teletherapy": True,
        "location": Appointment.Location.TELETHERAPY,
        "created_by": cast.therapist.user,
    }
    defaults.update(fields)
    return Appointment.objects.create(**defaults)


@pytest.fixture
def open_call(cast):
    """Casey's Teletherapy appointment with Tess, starting in five minutes."""
    return make_tele_appointment(cast)


@pytest.fixture
def located(open_call):  # type: ignore[no-untyped-def]
    """The client has said they are in New Jersey."""
    from teletherapy.video.models import VideoSession

    VideoSession.objects.create(appointment=open_call, client_location="NJ")
    return open_call


@pytest.fixture(autouse=True)
def _fresh_refusal_tally():  # type: ignore[no-untyped-def]
    """Refusals are aggregated per process; each test starts with none counted."""
    from teletherapy.video.consumers import REFUSALS

    REFUSALS.clear()
