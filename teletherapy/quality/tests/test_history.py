"""The call-quality record on the appointment's History: words and a server-drawn SVG, for
whoever may see the appointment's History (the same view and access rule); kept and deleted
with the session record."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.urls import reverse

from teletherapy.quality.models import QualitySample
from teletherapy.video.models import Participation, VideoSession

pytestmark = pytest.mark.django_db


def _history(cast, persona: str, appointment):  # type: ignore[no-untyped-def]
    return cast.client_for(persona).get(
        reverse("scheduling:appointment_history", args=[appointment.pk])
    )


def test_history_shows_the_quality_in_words_and_as_a_chart(cast, open_call, record) -> None:
    html = _history(cast, "therapist", open_call).content.decode()
    summary = re.search(r'<p id="call-quality-summary">(.*?)</p>', html)
    assert summary is not None
    assert summary.group(1) == (
        "Video 720p most of the time; 1 drop of 12 s on the client&#x27;s side; relayed through "
        "TURN; round trip 35 ms typically, packet loss under 1%."
    )
    svg = re.search(r"<svg id=\"call-quality-chart\".*?</svg>", html, re.S)
    assert svg is not None
    chart = svg.group(0)
    assert 'role="img"' in chart and 'aria-labelledby="call-quality-chart-title"' in chart
    assert '<title id="call-quality-chart-title">Call quality over time</title>' in chart
    desc = re.search(r'<desc id="call-quality-chart-desc">(.*?)</desc>', chart)
    assert desc is not None and "typically the client" in desc.group(1)
    assert "Drops shaded at" in desc.group(1) and "(12 s)" in desc.group(1)
    assert chart.count("<polyline") == 3  # the client's line broken by the drop, the therapist's
    assert "<script" not in chart and "style=" not in chart
    assert "Drop at" in html and "12 s, the client&#x27;s side" in html


def test_everyone_who_sees_the_history_sees_the_record(cast, open_call, record) -> None:
    for persona in ("owner", "manager", "scheduler", "therapist"):
        response = _history(cast, persona, open_call)
        assert response.status_code == 200, persona
        assert "call-quality-summary" in response.content.decode(), persona
    for persona, status in (("other_owner", 404), ("therapist_plain", 404), ("biller", 403)):
        assert _history(cast, persona, open_call).status_code == status, persona


def test_nothing_shows_before_the_call_started(cast, open_call) -> None:
    VideoSession.objects.create(appointment=open_call, client_location="NJ")
    assert "call-quality" not in _history(cast, "therapist", open_call).content.decode()


def test_the_reports_go_with_the_session_record(cast, open_call, record) -> None:
    assert QualitySample.objects.filter(session=record).count() > 100
    record.delete()
    assert not QualitySample.objects.exists()


def test_leaving_on_purpose_and_coming_back_is_not_a_drop(cast, open_call, record) -> None:
    from django.utils import timezone

    from teletherapy.video import services

    therapist = Participation.objects.get(session=record, role="therapist")
    services.leave_call(participation_id=therapist.pk, ended=True)  # Leave
    Participation.objects.create(
        session=record,
        user=cast.therapist.user,
        role="therapist",
        channel_name="therapist-2",
        joined_at=timezone.now() + timedelta(seconds=30),
    )
    html = _history(cast, "therapist", open_call).content.decode()
    assert "1 drop of 12 s on the client&#x27;s side;" in html  # only the client's, as before
