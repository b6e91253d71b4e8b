"""Push check-in changes to the alert sockets of the people concerned, through the channel
layer after the transaction commits (so it reaches every app process on Redis).

The video app knows nothing of alerts: this module connects to its Participation rows being
saved (someone arriving, replaced or leaving, also expired), and the alert consumer of each
recipient works out again what that viewer may see (access is checked there, per event).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction
from django.db.models.signals import post_save

from teletherapy.practice.models import StaffMember
from teletherapy.scheduling.models import Appointment

log = logging.getLogger(__name__)


def user_group(user_id: int) -> str:
    """The alert socket's group of one signed-in person (all their tabs, on every process)."""
    return f"alerts-user-{user_id}"


def recipients(appointment: Appointment) -> list[int]:
    """The users told about this appointment's check-in: every active staff member of its
    practice who may see it on the schedule (Appointment.is_visible_to: its therapist, and
    Owners, Managers and Schedulers). A Biller, or another therapist, is not told."""
    staff = StaffMember.objects.of_practice(appointment.practice).filter(user__is_active=True)
    return [s.user_id for s in staff if appointment.is_visible_to(s)]


def _send(groups: Iterable[str], event: dict[str, Any]) -> None:
    layer = get_channel_layer()
    if layer is None:
        return

    async def send_all() -> None:
        for group in groups:
            await layer.group_send(group, event)

    try:
        async_to_sync(send_all)()
    except Exception:
        # The sockets' periodic refresh shows the change a few seconds later.
        log.warning("Could not push a check-in change", exc_info=True)


def appointment_changed(appointment_id: int) -> None:
    """After the commit, tell the recipients' sockets to look at this appointment again."""

    def push() -> None:
        appointment = Appointment.objects.filter(pk=appointment_id).select_related("practice")
        found = appointment.first()
        if found is None:
            return
        _send(
            [user_group(pk) for pk in recipients(found)],
            {"type": "alert.changed", "appointment_id": appointment_id},
        )

    transaction.on_commit(push)


def word_sent(word: Any) -> None:
    """After the commit, give the word to the waiting client's page and tell the staff."""
    appointment = word.session.appointment
    # The one client it is for, or everyone who may join (a couple, a family): never a
    # client it is not for.
    people = [word.to] if word.to is not None else appointment.attendees()
    users = [c.user_id for c in people if c.user_id is not None]

    def push() -> None:
        if users:
            _send(
                [user_group(u) for u in users],
                {"type": "alert.word", "appointment_id": appointment.pk, "word_id": word.pk},
            )

    transaction.on_commit(push)
    appointment_changed(appointment.pk)


def _participation_saved(sender: Any, instance: Any, created: bool, **kwargs: Any) -> None:
    session_id = instance.session_id
    from teletherapy.video.models import VideoSession

    appointment_id = (
        VideoSession.objects.filter(pk=session_id).values_list("appointment_id", flat=True).first()
    )
    if appointment_id is not None:
        appointment_changed(appointment_id)


def connect_receivers() -> None:
    from teletherapy.video.models import Participation

    post_save.connect(
        _participation_saved, sender=Participation, dispatch_uid="alerts.push.participation"
    )
