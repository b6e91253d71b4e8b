"""Small rules shared by planning (services.py) and sending (tasks.py): quiet hours, the
client's consent to texts, withdrawing a planned reminder."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from teletherapy.accounts import links
from teletherapy.clients.models import Client
from teletherapy.lib import clock
from teletherapy.reminders.models import Reminder, TextConsent

QUIET_FROM = time(21, 0)
QUIET_UNTIL = time(8, 0)


def after_quiet_hours(when: datetime, tz: clock.Zone) -> datetime:
    """`when`, or 8:00 AM in zone `tz` when `when` falls in the quiet hours (9 PM-8 AM)."""
    local = clock.local(when, tz)
    if QUIET_UNTIL <= local.time() < QUIET_FROM:
        return when
    day = local.date() if local.time() < QUIET_UNTIL else local.date() + timedelta(days=1)
    morning = clock.make_local(day, QUIET_UNTIL, tz)
    assert morning is not None  # no zone skips 8:00 AM
    return morning


def active_consent(client: Client) -> TextConsent | None:
    """The client's current consent to texts for their current mobile number, or None."""
    if not client.mobile_phone:
        return None
    return (
        TextConsent.objects.filter(
            client=client, phone=client.mobile_phone, withdrawn_at__isnull=True
        )
        .order_by("-consented_at")
        .first()
    )


def withdraw(reminder: Reminder, note: str) -> None:
    """Stop a planned reminder: delete its waiting task row, mark it withdrawn, void its
    links."""
    from django_tasks_db.models import DBTaskResult

    if reminder.task_id:
        DBTaskResult.objects.filter(pk=reminder.task_id, status="READY").delete()
    reminder.status = Reminder.Status.WITHDRAWN
    reminder.note = note
    reminder.save(update_fields=["status", "note", "updated_at"])
    links.void(reminder.links.all())
