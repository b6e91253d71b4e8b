"""Real-time messages from services: sent on the channel layer once the change commits.

A service that changes state and tells a connected browser about it calls send_after_commit
inside its transaction: a rolled-back change sends nothing, and the receiver that looks the
state up finds it already saved.
"""

from __future__ import annotations

from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction


def send_after_commit(channel: str, message: dict[str, Any]) -> None:
    """Send `message` to one channel after the current transaction commits (at once when
    there is none)."""

    def send() -> None:
        layer = get_channel_layer()
        if layer is not None:
            async_to_sync(layer.send)(channel, message)

    transaction.on_commit(send)
