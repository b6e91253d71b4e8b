"""Signals the scheduling services send for higher apps (reminders) to act on.

`appointment_saved` is sent after the booking, change or cancellation has committed, with the
appointment's id and `kind` ("booked", "changed" or "cancelled"). Receivers read the row
themselves; nothing else is passed, so a receiver can never act on a stale copy.
"""

from __future__ import annotations

import logging

from django.db import transaction
from django.dispatch import Signal

log = logging.getLogger(__name__)

appointment_saved = Signal()


def announce(appointment_id: int, kind: str) -> None:
    """Inside the service's transaction: send appointment_saved once it has committed. A
    receiver that fails is logged; the change itself is already saved, never a 500."""

    def send() -> None:
        for receiver, result in appointment_saved.send_robust(
            sender=None, appointment_id=appointment_id, kind=kind
        ):
            if isinstance(result, Exception):
                log.error(
                    "appointment_saved receiver %s failed for appointment %s: %s",
                    getattr(receiver, "__qualname__", receiver),
                    appointment_id,
                    type(result).__name__,
                )

    transaction.on_commit(send)
