"""The checks behind /healthz: the database, the channel layer and the task queue.

Each answers a small dict of numbers and booleans only: the endpoint is public, so nothing
about a person, a practice or the infrastructure (no host names, no error messages) goes out.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from datetime import timedelta
from typing import Any

from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import connection
from django.db.models import Q
from django.utils import timezone

CHECK_TIMEOUT_SECONDS = 3.0


def _failure(exc: BaseException) -> dict[str, Any]:
    # The class name says what broke; the message could name hosts or credentials.
    return {"ok": False, "error": type(exc).__name__}


def check_database() -> dict[str, Any]:
    started = time.monotonic()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # noqa: BLE001 - any failure is an unhealthy answer
        return _failure(exc)
    return {"ok": True, "ms": round((time.monotonic() - started) * 1000, 1)}


async def check_channel_layer() -> dict[str, Any]:
    """A send and receive round trip on a throwaway channel of the layer the consumers use."""
    started = time.monotonic()
    layer = get_channel_layer()
    if layer is None:
        return {"ok": False, "error": "NoChannelLayer"}
    nonce = secrets.token_hex(8)
    try:
        async with asyncio.timeout(CHECK_TIMEOUT_SECONDS):
            channel = await layer.new_channel("healthz.")
            await layer.send(channel, {"type": "healthz.ping", "nonce": nonce})
            message = await layer.receive(channel)
    except Exception as exc:  # noqa: BLE001 - TimeoutError, ConnectionError, ChannelFull...
        return _failure(exc)
    if message.get("nonce") != nonce:
        return {"ok": False, "error": "WrongMessage"}
    return {"ok": True, "ms": round((time.monotonic() - started) * 1000, 1)}


def check_task_queue() -> dict[str, Any]:
    """Unhealthy when a task has been ready to run for longer than TASK_QUEUE_MAX_AGE_SECONDS:
    no worker is taking work off the queue (or they cannot keep up)."""
    if settings.TASKS["default"]["BACKEND"] != "django_tasks_db.DatabaseBackend":
        return {"ok": True, "backend": "immediate"}
    from django_tasks_db.models import DBTaskResult, get_date_max

    limit = settings.TASK_QUEUE_MAX_AGE_SECONDS
    now = timezone.now()
    try:
        ready = DBTaskResult.objects.ready().values_list("enqueued_at", "run_after")
        oldest = ready.order_by("enqueued_at").first()
        cutoff = now - timedelta(seconds=limit)
        stale = ready.filter(enqueued_at__lte=cutoff).filter(
            Q(run_after=get_date_max()) | Q(run_after__lte=cutoff)
        )
        stale_count = stale.count()
        ready_count = ready.count()
    except Exception as exc:  # noqa: BLE001
        return _failure(exc)
    oldest_seconds = 0
    if oldest is not None:
        enqueued_at, run_after = oldest
        since = enqueued_at if run_after == get_date_max() else max(enqueued_at, run_after)
        oldest_seconds = max(0, int((now - since).total_seconds()))
    return {
        "ok": stale_count == 0,
        "ready": ready_count,
        "older_than_limit": stale_count,
        "oldest_ready_seconds": oldest_seconds,
        "limit_seconds": limit,
    }


async def run_checks() -> dict[str, dict[str, Any]]:
    database = await sync_to_async(check_database)()
    layer = await check_channel_layer()
    if database["ok"]:
        tasks = await sync_to_async(check_task_queue)()
    else:
        tasks = {"ok": False, "error": "DatabaseUnavailable"}
    return {"database": database, "channel_layer": layer, "tasks": tasks}
