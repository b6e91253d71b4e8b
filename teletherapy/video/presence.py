"""One presence refresh per app process, not one per connection.

Every SIGNALING_RECHECK_SECONDS each open call connection must say it is still there (so that a
connection whose app process died is seen gone within TELETHERAPY_PRESENCE_SECONDS) and learn
the other participant's current channel. Done by each connection, that was three queries
through the thread pool per connection per period: at a few hundred connections it took as
much of the server's core as relaying the messages did. Here one task per event loop (one per
app process) refreshes all of that process's connections in four queries, whatever their
number, and hands each connection its answer.

What lives in this process's memory is only the list of its own open connections, which dies
with the process and with them; presence itself is in the database, as before.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from typing import Protocol

from channels.db import database_sync_to_async
from django.conf import settings

from teletherapy.video import services

log = logging.getLogger(__name__)


class Beating(Protocol):
    """A call connection, as the beater sees it."""

    channel_name: str
    participation_id: int | None
    session_id: int | None
    role: str

    async def beaten(self, *, current: bool, peer_channel: str | None) -> None: ...


class Beater:
    """The open call connections of one event loop, refreshed together."""

    def __init__(self) -> None:
        self.members: set[Beating] = set()
        self.task: asyncio.Task[None] | None = None

    def add(self, member: Beating) -> None:
        self.members.add(member)
        if self.task is None or self.task.done():
            self.task = asyncio.get_running_loop().create_task(self._run())

    def discard(self, member: Beating) -> None:
        self.members.discard(member)

    async def _run(self) -> None:
        while self.members:
            await asyncio.sleep(float(settings.SIGNALING_RECHECK_SECONDS))
            try:
                await self.beat_once()
            except Exception:
                # A database hiccup is not a revoke; the next beat tries again.
                log.warning("Could not refresh the presence of call connections", exc_info=True)

    async def beat_once(self) -> None:
        present = [
            m for m in self.members if m.participation_id is not None and m.session_id is not None
        ]
        if not present:
            return
        connections = {
            m.participation_id: m.channel_name for m in present if m.participation_id is not None
        }
        result = await database_sync_to_async(services.beat_many, thread_sensitive=False)(
            connections
        )
        answers = []
        for member in present:
            pid, session_id = member.participation_id, member.session_id
            if pid is None or session_id is None or connections.get(pid) != member.channel_name:
                continue  # it left or was replaced meanwhile: its own path says so
            answers.append(
                member.beaten(
                    current=pid in result.current,
                    peer_channel=result.channel_of(session_id, services.other_role(member.role)),
                )
            )
        for outcome in await asyncio.gather(*answers, return_exceptions=True):
            if isinstance(outcome, Exception):
                log.warning("A call connection failed on its presence answer", exc_info=outcome)


_beaters: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Beater] = weakref.WeakKeyDictionary()


def beater() -> Beater:
    """This event loop's beater (an app process runs one loop; tests run one per test)."""
    loop = asyncio.get_running_loop()
    found = _beaters.get(loop)
    if found is None:
        found = _beaters[loop] = Beater()
    return found
