"""Signals the scheduling services send for higher apps (reminders) to act on.

`appointment_saved` is sent after the booking, change or cancellation has committed, with the
appointment's id and `kind` ("booked", "changed" or "cancelled"). Receivers read the row
themselves; nothing else is passed, so a receiver can never act on a stale copy.
"""

from __future__ import annotations

from django.db import transaction
from django.dispatch import Signal

appointment_saved = Signal()


def announce(appointment_id: int, kind: str) -> None:
    """Inside the service's transaction: send appointment_saved once it has committed."""
    transaction.on_commit(
        lambda: appointment_saved.send(sender=None, appointment_id=appointment_id, kind=kind)
    )
