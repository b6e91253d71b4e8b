"""The channel layers, configured for many connections per app process.

Measured under load with channels-redis's defaults, calls died on "Too many connections"
(redis-py's pool of 100 refuses instead of waiting), ChannelFull (the capacity counts every
message queued for one app process's shared inbox, not one connection's) and read timeouts
(redis-py's socket timeout equalled the 5 s blocking pop). Here the pool waits for a free
connection, the blocking pop is well inside the socket timeout, commands are retried on a
dropped connection, and the process inbox has room for a busy server.
"""

from __future__ import annotations

import time
from typing import Any

from channels.layers import InMemoryChannelLayer as BaseInMemoryChannelLayer
from channels_redis.core import RedisChannelLayer as BaseRedisChannelLayer
from redis.asyncio import BlockingConnectionPool
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff
from redis.exceptions import ConnectionError, TimeoutError

BLOCKING_POP_SECONDS = 2
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


class RedisChannelLayer(BaseRedisChannelLayer):
    brpop_timeout = BLOCKING_POP_SECONDS

    def create_pool(self, index: int) -> Any:
        host = dict(self.hosts[index])
        address = host.pop("address")
        host.setdefault("retry", Retry(ExponentialBackoff(cap=1.0, base=0.05), 3))
        host.setdefault("retry_on_error", [ConnectionError, TimeoutError])
        return BlockingConnectionPool.from_url(address, **host)


def redis_layer(url: str, *, max_connections: int = 200) -> dict[str, Any]:
    """CHANNEL_LAYERS["default"] for the Redis at `url`."""
    return {
        "BACKEND": "teletherapy.lib.channel_layer.RedisChannelLayer",
        "CONFIG": {
            "hosts": [
                {
                    "address": url,
                    # Per app process; a send waits up to `timeout` for a free connection.
                    "max_connections": max_connections,
                    "timeout": SOCKET_TIMEOUT_SECONDS,
                    "socket_connect_timeout": 3,
                    # Above the blocking pop, so an idle inbox is never a read timeout.
                    "socket_timeout": SOCKET_TIMEOUT_SECONDS,
                    "health_check_interval": 30,
                }
            ],
            # Messages buffered per connection inside a process.
            "capacity": 1000,
            # Consumers' channels ("specific.<process>!<connection>") share one inbox per
            # process in Redis, and that inbox is what the capacity is counted on.
            "channel_capacity": {"specific.*": 50_000},
            "expiry": 30,
            "group_expiry": 24 * 60 * 60,
        },
    }


def in_memory_layer() -> dict[str, Any]:
    """CHANNEL_LAYERS["default"] for one process without Redis."""
    return {
        "BACKEND": "teletherapy.lib.channel_layer.InMemoryChannelLayer",
        # Per channel: room for a full ICE burst (see SIGNALING_BURST) and then some.
        "CONFIG": {"capacity": 1000},
    }
