"""The reminder task: queued with run_after at planning time; takes only the reminder's id.
It sends the reminder only when it is still due: still planned, the appointment still
scheduled and at the start it was planned for."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django_tasks import task

from teletherapy.accounts import links
from teletherapy.accounts.mfa import uses_two_step
from teletherapy.lib import clock, sms
from teletherapy.lib.mailer import build_email, send_with_retries
from teletherapy.reminders.models import Reminder, ReminderLink, ReminderSettings
from teletherapy.reminders.planning import active_consent, after_quiet_hours, withdraw
from teletherapy.scheduling.guardians import wards_label
from teletherapy.scheduling.models import Appointment

log = logging.getLogger(__name__)


@task()
def send_reminder(reminder_id: int) -> str:
    """Send reminder `reminder_id` if it is still due (send_reminder_now)."""
    return send_reminder_now(reminder_id=reminder_id)


def enqueue(reminder: Reminder) -> None:
    """Queue the reminder's task to run at its send_at (on the database backend, in the
    caller's transaction). A backend that cannot defer a task (the immediate one some tests
    and demos use) queues nothing: the reminder stays planned, with a note."""
    if not send_reminder.get_backend().supports_defer:
        reminder.note = "Not queued: the task backend cannot run tasks later"
        reminder.save(update_fields=["note", "updated_at"])
        return
    result = send_reminder.using(run_after=reminder.send_at).enqueue(reminder.pk)
    reminder.task_id = str(result.id)
    reminder.save(update_fields=["task_id", "updated_at"])


def _still_due(reminder: Reminder) -> str:
    """Why the reminder must not go out now ('' when it must)."""
    appointment = reminder.appointment
    if reminder.status != Reminder.Status.PLANNED:
        return "not planned"
    if appointment.is_cancelled or appointment.status != Appointment.Status.SCHEDULED:
        return "Cancelled"
    if appointment.start != reminder.for_start:
        return "The appointment moved"
    if appointment.start <= timezone.now():
        return "The appointment has started"
    return ""


def _issue_links(reminder: Reminder, choice: ReminderSettings) -> dict[str, str]:
    """Mint the reminder's Confirm and Cancel links (and Join, when the practice allows it
    and this is a Teletherapy Session); {kind: absolute URL}."""
    appointment = reminder.appointment
    kinds = [ReminderLink.Kind.CONFIRM, ReminderLink.Kind.CANCEL]
    recipient = reminder.recipient
    if (
        choice.join_link
        and appointment.is_teletherapy_session
        and recipient.user_id
        and not uses_two_step(recipient.user)
    ):
        kinds.append(ReminderLink.Kind.JOIN)
    urls: dict[str, str] = {}
    for kind in kinds:
        until = (
            appointment.end + timedelta(minutes=settings.TELETHERAPY_GRACE_MINUTES)
            if kind == ReminderLink.Kind.JOIN
            else appointment.start
        )
        # A newer reminder's link replaces the older one of the same kind; the email and
        # the text of the same reminder (same time, same start) keep theirs side by side.
        link = links.issue(
            ReminderLink,
            earlier=ReminderLink.objects.filter(
                appointment=appointment, kind=kind, reminder__client=reminder.client
            ).exclude(reminder__label=reminder.label, reminder__for_start=reminder.for_start),
            expires_at=until,
            reminder=reminder,
            appointment=appointment,
            kind=kind,
        )
        raw = links.mint(link)
        if raw is not None:
            urls[str(kind)] = settings.SITE_URL + reverse(f"reminders:{kind}_link", args=[raw])
    return urls


def summary(reminder: Reminder, choice: ReminderSettings) -> dict[str, Any]:
    """What a reminder says of its appointment, in the zone of the client it went to (each
    of a couple has their own): the reminder itself and its links' pages both show this."""
    appointment = reminder.appointment
    tz = clock.viewer_zone(reminder.recipient)
    return {
        # The minor a guardian's reminder is for, named to that guardian only.
        "ward": wards_label(appointment.all_clients(), reminder.recipient),
        "practice_name": appointment.practice.name,
        "therapist_name": appointment.therapist.name,
        "when": clock.named(clock.date_time_text(appointment.start, tz), tz),
        "is_teletherapy": appointment.is_teletherapy_session,
        "policy": choice.policy_text,
        "cancel_by": clock.named(clock.date_time_text(choice.cancel_deadline(appointment), tz), tz),
    }


def _context(reminder: Reminder, choice: ReminderSettings, urls: dict[str, str]) -> dict[str, Any]:
    client = reminder.recipient
    told = summary(reminder, choice)
    return {
        **told,
        "first_name": client.preferred_name or client.first_name,
        "confirm_url": urls.get("confirm", ""),
        "cancel_url": urls.get("cancel", ""),
        "join_url": urls.get("join", ""),
        "device_check_url": settings.SITE_URL + reverse("reminders_portal:device_check")
        if told["is_teletherapy"]
        else "",
        "portal_url": settings.SITE_URL + reverse("portal:sign_in"),
    }


def text_body(context: dict[str, Any]) -> str:
    """A reminder text: no clinical details, as short as it can be."""
    kind = "Teletherapy Session" if context["is_teletherapy"] else "appointment"
    whose = f"{context['ward']}'s" if context.get("ward") else "your"
    lines = [
        f"{context['practice_name']}: reminder of {whose} {kind} with "
        f"{context['therapist_name']} on {context['when']}.",
        f"Confirm: {context['confirm_url']}",
        f"Cancel: {context['cancel_url']}",
    ]
    if context["join_url"]:
        lines.append(f"Join: {context['join_url']}")
    if context["device_check_url"]:
        lines.append(f"Test your camera and microphone now: {context['device_check_url']}")
    lines.append("Reply STOP to stop texts.")
    return "\n".join(lines)


def send_reminder_now(*, reminder_id: int) -> str:
    """The task's body: send the reminder when it is still due; returns its status.

    Runs once per reminder (a second run finds it no longer planned). A text in the client's
    quiet hours is put off to 8:00 AM in their zone (a new task), not sent."""
    reminder = (
        Reminder.objects.select_related(
            "appointment__client__user",
            "appointment__practice",
            "appointment__therapist__user",
            "client__user",
        )
        .filter(pk=reminder_id)
        .first()
    )
    if reminder is None:
        return "missing"
    why_not = _still_due(reminder)
    if why_not:
        if reminder.status == Reminder.Status.PLANNED:
            withdraw(reminder, why_not)
        return "withdrawn"
    appointment = reminder.appointment
    client = reminder.recipient
    choice = ReminderSettings.of(appointment.practice)
    consent = None
    if reminder.channel == Reminder.Channel.TEXT:
        consent = active_consent(client)
        if consent is None:
            withdraw(reminder, "The client does not take texts (STOP or no consent)")
            return "withdrawn"
        later = after_quiet_hours(timezone.now(), clock.viewer_zone(client))
        if later > timezone.now():
            if later >= appointment.start:
                _finish(reminder, Reminder.Status.SKIPPED, "Quiet hours until the start")
                return str(Reminder.Status.SKIPPED)
            reminder.send_at = later
            reminder.note = "Put off to 8:00 AM (quiet hours)"
            reminder.save(update_fields=["send_at", "note", "updated_at"])
            enqueue(reminder)
            return "postponed"
    # Claim it: a second run of the task (a worker died after sending) finds it claimed.
    claimed = Reminder.objects.filter(pk=reminder.pk, status=Reminder.Status.PLANNED).update(
        status=Reminder.Status.SENT, sent_at=timezone.now()
    )
    if not claimed:
        return "already sent"
    urls = _issue_links(reminder, choice)
    context = _context(reminder, choice, urls)
    if reminder.channel == Reminder.Channel.EMAIL:
        message = build_email("appointment_reminder", to=client.email, context=context)
        ok = send_with_retries(message)
        _finish(reminder, Reminder.Status.SENT if ok else Reminder.Status.FAILED, "")
    else:
        assert consent is not None
        callback = settings.SITE_URL + reverse("reminders:twilio_status")
        result = sms.send_text(to=consent.phone, body=text_body(context), status_callback=callback)
        status = Reminder.Status.SENT if result.ok else Reminder.Status.FAILED
        _finish(reminder, status, result.error, provider_id=result.provider_id)
    if reminder.status == Reminder.Status.FAILED:
        log.warning("reminder %s (%s) not delivered", reminder.pk, reminder.channel)
    return str(reminder.status)


def _finish(reminder: Reminder, status: str, note: str, *, provider_id: str = "") -> None:
    reminder.status = status
    reminder.note = note[:200]
    reminder.provider_id = provider_id
    reminder.save(update_fields=["status", "note", "provider_id", "updated_at"])
