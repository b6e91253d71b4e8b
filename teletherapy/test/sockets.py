"""channels' WebSocket communicator with deadlines a busy machine meets.

channels waits 1 second by default for a connection, a message or a close; under load that
fails tests whose condition would have come. Here every wait for something to arrive has a
generous deadline (it returns as soon as the thing arrives). receive_nothing() keeps its short
default: it checks that nothing comes, and waiting longer would only slow the tests.
"""

from __future__ import annotations

from typing import Any

from channels.testing import WebsocketCommunicator as _WebsocketCommunicator

DEADLINE = 30.0


class WebsocketCommunicator(_WebsocketCommunicator):
    async def connect(self, timeout: float = DEADLINE) -> Any:
        return await super().connect(timeout)

    async def receive_from(self, timeout: float = DEADLINE) -> Any:
        return await super().receive_from(timeout)

    async def receive_json_from(self, timeout: float = DEADLINE) -> Any:
        return await super().receive_json_from(timeout)

    async def receive_output(self, timeout: float = DEADLINE) -> Any:
        return await super().receive_output(timeout)

    async def disconnect(self, code: int = 1000, timeout: float = DEADLINE) -> None:
        await super().disconnect(code, timeout)
