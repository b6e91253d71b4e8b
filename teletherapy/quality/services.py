"""Keeping the call-quality reports, and reading a session's record for History."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction

from teletherapy.audit.models import Action, AuditEvent
from teletherapy.lib.clock import duration_text, time_text, viewer_zone
from teletherapy.quality import chart, summary
from teletherapy.quality.models import QualitySample
from teletherapy.scheduling.models import Appointment
from teletherapy.video.models import Participation, VideoSession
from teletherapy.video.reports import Report


def store_reports(*, participation_id: int, reports: list[Report]) -> int:
    """Keep a connection's accepted reports (see video/reports.py) under its own
    participation, whose person sent them; return how many were kept. Telemetry of the call,
    not a change anyone made: not audited."""
    row = Participation.objects.filter(pk=participation_id).values("session_id", "role").first()
    if row is None:  # the session record is gone
        return 0
    samples = [
        QualitySample(
            session_id=row["session_id"],
            participation_id=participation_id,
            role=row["role"],
            at=at,
            rtt_ms=None if report["rtt"] is None else round(report["rtt"]),
            jitter_ms=None if report["jitter"] is None else round(report["jitter"]),
            loss_percent=report["loss"],
            kbps_in=report["kbps_in"],
            kbps_out=report["kbps_out"],
            fps=None if report["fps"] is None else round(report["fps"]),
            width=report["width"],
            height=report["height"],
            local_type=report["local"] or "",
            remote_type=report["remote"] or "",
            audio_only=report["audio_only"],
            state=report["state"],
            drops=report["drops"],
        )
        for at, report in reports
    ]
    with transaction.atomic():
        QualitySample.objects.bulk_create(samples)
    return len(samples)


def _sample(row: QualitySample) -> summary.Sample:
    drops = tuple((int(d[0]), int(d[1])) for d in row.drops if isinstance(d, list) and len(d) == 2)
    return summary.Sample(
        role=row.role,
        at=row.at,
        rtt_ms=row.rtt_ms,
        loss_percent=row.loss_percent,
        kbps_in=row.kbps_in,
        height=row.height,
        local_type=row.local_type,
        remote_type=row.remote_type,
        audio_only=row.audio_only,
        drops=drops,
    )


@dataclass(frozen=True)
class QualityRecord:
    words: str
    chart: chart.Chart | None
    drops: list[dict[str, str]]
    reports: int


def _left_on_purpose(appointment: Appointment) -> list[tuple[str, datetime]]:
    """When each person pressed Leave (or End), from the session record's audit rows."""
    rows = AuditEvent.objects.filter(
        action=Action.SESSION_LEFT,
        practice_id=appointment.practice_id,
        object_type="appointment",
        object_id=str(appointment.pk),
        details__ended_session=True,
    ).values_list("details", "at")
    return [(details.get("role", ""), at) for details, at in rows if isinstance(details, dict)]


def quality_record(appointment: Appointment, user: Any) -> QualityRecord | None:
    """The session's call quality for the appointment's History (whose view checked access),
    times in the viewer's zone; None when the call never started."""
    session = VideoSession.objects.filter(appointment=appointment).first()
    if session is None or session.started_at is None:
        return None
    rows = QualitySample.objects.filter(session=session)
    samples = [_sample(row) for row in rows]
    left = _left_on_purpose(appointment)
    presences = [
        summary.Presence(
            role=p.role,
            joined_at=p.joined_at,
            left_at=p.left_at,
            on_purpose=p.left_at is not None
            and any(
                role == p.role and abs((at - p.left_at).total_seconds()) < 2 for role, at in left
            ),
        )
        for p in Participation.objects.filter(session=session)
    ]
    found = summary.drops(samples, presences)
    tz_name = viewer_zone(user)
    names = {"client": "client", "therapist": "therapist"}
    return QualityRecord(
        words=summary.in_words(samples, found, names),
        chart=chart.chart(samples, found, names, tz_name),
        drops=[
            {
                "at": time_text(d.start, tz_name),
                "length": duration_text(d.seconds, exact=True),
                "side": f"the {names[d.side]}'s side" if d.side else "between them",
            }
            for d in found
        ],
        reports=len(samples),
    )
