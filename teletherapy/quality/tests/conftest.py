from datetime import timedelta

import pytest

from teletherapy.quality.models import QualitySample
from teletherapy.video.models import Participation, VideoSession
from teletherapy.video.tests.conftest import (  # noqa: F401 - fixtures for this app's tests
    _fresh_refusal_tally,
    located,
    open_call,
)


@pytest.fixture
def record(cast, open_call):  # type: ignore[no-untyped-def]  # noqa: F811 - the fixture above
    """Ten minutes of a call's reports, relayed at 720p; the client away for 12 s."""
    start = open_call.start
    session = VideoSession.objects.create(
        appointment=open_call,
        client_location="NJ",
        started_at=start,
        ended_at=start + timedelta(minutes=10),
    )
    rows = {}
    for role, user in (
        ("client", cast.client_with_portal.user),
        ("therapist", cast.therapist.user),
    ):
        rows[role] = Participation.objects.create(
            session=session, user=user, role=role, channel_name=role, joined_at=start
        )
    # The client's page went away for 12 s and came back (a second participation).
    rows["client"].left_at = start + timedelta(seconds=200)
    rows["client"].save()
    back = Participation.objects.create(
        session=session,
        user=cast.client_with_portal.user,
        role="client",
        channel_name="client-2",
        joined_at=start + timedelta(seconds=212),
    )
    samples = []
    for second in range(10, 600, 10):
        for role in ("client", "therapist"):
            if role == "client" and 190 < second < 230:
                continue
            participation = back if role == "client" and second > 212 else rows[role]
            samples.append(
                QualitySample(
                    session=session,
                    participation=participation,
                    role=role,
                    at=start + timedelta(seconds=second),
                    rtt_ms=35,
                    loss_percent=0.1,
                    kbps_in=1200 + second,
                    kbps_out=1300,
                    fps=30,
                    width=1280,
                    height=720,
                    local_type="relay",
                    remote_type="srflx",
                    state="connected",
                )
            )
    QualitySample.objects.bulk_create(samples)
    return session
