"""What the reminders app shows on the lower apps' pages (their slots; apps.py registers)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from django.db.models import Exists, OuterRef
from django.template.context import Context
from django.utils import timezone

from teletherapy.clients.models import Client
from teletherapy.lib import clock
from teletherapy.reminders.models import Answer, Reminder, TextConsent
from teletherapy.reminders.planning import active_consent
from teletherapy.reminders.services import consent_wording
from teletherapy.scheduling.models import Appointment


def answer_of(appointment: Appointment) -> Answer | None:
    """The client's answer that still counts (a confirmation of the current time)."""
    answer = Answer.objects.filter(appointment=appointment).first()
    if answer is None:
        return None
    if answer.kind == Answer.Kind.CONFIRMED and answer.for_start != appointment.start:
        return None
    return answer


def confirmed_ids(appointment_ids: list[int]) -> set[int]:
    """Which of these appointments the client confirmed for their current time (one query)."""
    from django.db.models import F

    return set(
        Answer.objects.filter(
            appointment_id__in=appointment_ids,
            kind=Answer.Kind.CONFIRMED,
            for_start=F("appointment__start"),
        ).values_list("appointment_id", flat=True)
    )


def confirmed_condition() -> Exists:
    """scheduling.marks: true for an appointment the client confirmed for its current time."""
    return Exists(
        Answer.objects.filter(
            appointment=OuterRef("pk"), kind=Answer.Kind.CONFIRMED, for_start=OuterRef("start")
        )
    )


def appointment_answer_context(context: Context) -> Mapping[str, Any]:
    appointment: Appointment = context["appointment"]
    failed = appointment.reminders.filter(status=Reminder.Status.FAILED).exists()
    return {"reminder_answer": answer_of(appointment), "reminder_failed": failed}


def appointment_history_context(context: Context) -> Mapping[str, Any]:
    appointment: Appointment = context["appointment"]
    viewer = context.get("request").user if context.get("request") else None  # type: ignore[union-attr]
    tz = clock.viewer_zone(viewer) if viewer is not None else "UTC"
    # A joint session's reminders go to each client: say to whom (staff only).
    joint = appointment.is_group
    rows = [
        {
            "reminder": reminder,
            "when": clock.short_date_time_text(reminder.sent_at or reminder.send_at, tz),
            "to": reminder.recipient.full_name if joint else "",
        }
        for reminder in appointment.reminders.select_related("client")
    ]
    return {"reminder_rows": rows, "reminders_joint": joint}


def upcoming_teletherapy(client: Client, now: datetime | None = None) -> Appointment | None:
    """The client's next Teletherapy Session that has not ended, or None."""
    now = now or timezone.now()
    return (
        Appointment.objects.of_client(client)
        .teletherapy_sessions()
        .filter(end__gte=now)
        .select_related("therapist__user")
        .order_by("start")
        .first()
    )


def portal_device_check_context(context: Context) -> Mapping[str, Any]:
    client = context.get("client")
    return {"device_check_for": upcoming_teletherapy(client) if client is not None else None}


def client_texts_context(context: Context) -> Mapping[str, Any]:
    client: Client = context["client"]
    return {
        "text_consent": active_consent(client),
        "text_consent_history": list(TextConsent.objects.filter(client=client)[:5]),
        "text_consent_wording": consent_wording(client) if client.mobile_phone else "",
    }
