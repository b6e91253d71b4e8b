"""The channel layers, configured for many connections per app process.

Through Redis this uses channels-redis's pub/sub layer, not its list-based one. Measured
(bench/bench_signaling.py, 50 rooms, 2,000 messages a second offered), the list-based layer
relayed under 10 messages a second: every send costs four round trips (trim, count, add,
expire), and the app process's one shared inbox is drained one message at a time, four more
round trips each, behind one lock; the backlog grows without end. With pub/sub a send is one
PUBLISH and the process's one subscriber connection reads what arrives in bulk. What pub/sub
does not do, and the signaling does not need: keep a message for a channel that is not being
listened to (the peer's connection is gone; its page re-joins and the call renegotiates).
Groups stay: each process subscribes to the groups its connections are in (the revoke pushes).

Here, too, the sends of one process are written to Redis in batches (one pipeline for every
message queued while the previous batch was on its way, in order), the pool waits for a free
connection instead of refusing, commands are retried on a dropped connection, and the socket
timeout is far above the subscriber's 0.1 s poll.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from channels.layers import InMemoryChannelLayer as BaseInMemoryChannelLayer
from channels_redis.pubsub import RedisPubSubChannelLayer as BaseRedisPubSubChannelLayer
from channels_redis.pubsub import RedisPubSubLoopLayer, RedisSingleShardConnection
from channels_redis.utils import _wrap_close
from redis import asyncio as aioredis
from redis.asyncio import BlockingConnectionPool
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff
from redis.exceptions import ConnectionError, TimeoutError

SOCKET_TIMEOUT_SECONDS = 10


class InMemoryChannelLayer(BaseInMemoryChannelLayer):
    """Channels' in-memory layer (one process), sweeping expired messages and group
    memberships at most once a second: its sweep walks every channel and group, and it ran
    on every send and receive, so each relayed message cost time in proportion to the
    number of open connections (45 % of the consumer's time at 100 connections)."""

    _swept_at = 0.0

    def _clean_expired(self) -> None:
        now = time.monotonic()
        if now - self._swept_at >= 1.0:
            self._swept_at = now
            super()._clean_expired()


def _pool(host: dict[str, Any]) -> BlockingConnectionPool:
    host = dict(host)
    address = host.pop("address")
    host.setdefault("retry", Retry(ExponentialBackoff(cap=1.0, base=0.05), 3))
    host.setdefault("retry_on_error", [ConnectionError, TimeoutError])
    return BlockingConnectionPool.from_url(address, **host)


class _Shard(RedisSingleShardConnection):
    """One Redis server's connections for one event loop: publishes batched in a pipeline."""

    _redis: Any
    _pubsub: Any

    def __init__(self, host: dict[str, Any], channel_layer: Any) -> None:
        super().__init__(host, channel_layer)
        self._outbox: list[tuple[str, bytes, asyncio.Future[None]]] = []
        self._writer: asyncio.Task[None] | None = None

    def _ensure_redis(self) -> None:
        if self._redis is None:
            self._redis = aioredis.Redis(connection_pool=_pool(self.host))
            self._pubsub = self._redis.pubsub()

    async def publish(self, channel: str, message: bytes) -> None:
        done = asyncio.get_running_loop().create_future()
        self._outbox.append((channel, message, done))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.ensure_future(self._write())
        await done

    async def _write(self) -> None:
        while self._outbox:
            batch, self._outbox = self._outbox, []
            failure: BaseException | None = None
            try:
                self._ensure_redis()
                async with self._redis.pipeline(transaction=False) as pipe:
                    for channel, message, _done in batch:
                        pipe.publish(channel, message)
                    # A Redis pipeline of PUBLISH commands, not SQL.
                    await pipe.execute()  # nosemgrep: no-raw-sql
            except Exception as exc:
                failure = exc
            for _channel, _message, done in batch:
                if not done.done():
                    if failure is None:
                        done.set_result(None)
                    else:
                        done.set_exception(failure)


class _LoopLayer(RedisPubSubLoopLayer):
    _shards: list[Any]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._shards = [_Shard(shard.host, self) for shard in self._shards]


class RedisPubSubChannelLayer(BaseRedisPubSubChannelLayer):
    """channels-redis's pub/sub layer with the shards above (see the module's docstring)."""

    def _get_layer(self) -> Any:
        loop = asyncio.get_running_loop()
        if loop not in self._layers:
            self._layers[loop] = _LoopLayer(*self._args, **self._kwargs, channel_layer=self)
            _wrap_close(self, loop)
        return self._layers[loop]


def redis_layer(url: str, *, max_connections: int = 200) -> dict[str, Any]:
    """CHANNEL_LAYERS["default"] for the Redis at `url`."""
    return {
        "BACKEND": "teletherapy.lib.channel_layer.RedisPubSubChannelLayer",
        "CONFIG": {
            "hosts": [
                {
                    "address": url,
                    # Per app process and event loop (one subscriber connection, the batched
                    # publishes); a command waits up to `timeout` for a free connection.
                    "max_connections": max_connections,
                    "timeout": SOCKET_TIMEOUT_SECONDS,
                    "socket_connect_timeout": 3,
                    "socket_timeout": SOCKET_TIMEOUT_SECONDS,
                    "health_check_interval": 30,
                }
            ],
        },
    }


def in_memory_layer() -> dict[str, Any]:
    """CHANNEL_LAYERS["default"] for one process without Redis."""
    return {
        "BACKEND": "teletherapy.lib.channel_layer.InMemoryChannelLayer",
        # Per channel: room for a full ICE burst (see SIGNALING_BURST) and then some.
        "CONFIG": {"capacity": 1000},
    }
