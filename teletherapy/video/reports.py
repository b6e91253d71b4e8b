"""Call-quality reports from the pages (messages.QualityMessage): at most one per
QUALITY_MIN_SECONDS per connection is kept, buffered in memory and written by a background
task, so relaying the call's other messages never waits on the database.

Where they are written is up to the app that keeps them (teletherapy.quality): it registers a
store here from its AppConfig.ready(), as video does not import the apps above it. Without
one, reports are validated and dropped.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from datetime import datetime

from channels.db import database_sync_to_async
from django.utils import timezone

from teletherapy.video.messages import QualityMessage

log = logging.getLogger(__name__)

# The pages report every 10 s; allow for timers firing early or a burst after a reconnect.
QUALITY_MIN_SECONDS = 5.0

Report = tuple[datetime, QualityMessage]
Store = Callable[..., object]  # store(*, participation_id: int, reports: list[Report])

_stores: list[Store] = []


def register(store: Store) -> None:
    """Keep every accepted report with `store` from now on (once, however often called)."""
    if store not in _stores:
        _stores.append(store)


def _write(participation_id: int, reports: list[Report]) -> None:
    for store in _stores:
        store(participation_id=participation_id, reports=reports)


class QualityInbox:
    """One connection's reports on their way to the database."""

    def __init__(self) -> None:
        self.last = float("-inf")
        self.buffer: list[tuple[int, Report]] = []
        self.task: asyncio.Task[None] | None = None

    def accept(self, participation_id: int, report: QualityMessage) -> bool:
        """Keep the report (written soon, in the background) unless it came too soon after
        the last one kept; return whether it was kept."""
        now = time.monotonic()
        if now - self.last < QUALITY_MIN_SECONDS:
            return False
        self.last = now
        self.buffer.append((participation_id, (timezone.now(), report)))
        if self.task is None or self.task.done():
            self.task = asyncio.create_task(self._flush())
        return True

    async def _flush(self) -> None:
        while self.buffer:
            batch, self.buffer = self.buffer, []
            by_participation: dict[int, list[Report]] = {}
            for participation_id, report in batch:
                by_participation.setdefault(participation_id, []).append(report)
            for participation_id, reports in by_participation.items():
                try:
                    # Off the shared sync thread: page loads and the relay never wait on it.
                    await database_sync_to_async(_write, thread_sensitive=False)(
                        participation_id, reports
                    )
                except Exception:
                    # A lost report is a gap in the record, never a reason to end the call.
                    log.warning("Could not store call-quality reports", exc_info=True)

    async def close(self) -> None:
        """Write what is still buffered (the connection is ending)."""
        if self.task is not None:
            await self.task
        if self.buffer:
            await self._flush()
