from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from teletherapy.test.messages_api import MessagesApi

SID = "AC" + "0" * 32
AUTH_TOKEN = "test-auth-token-for-the-local-messages-api"
CASEY_PHONE = "+12125550123"


@pytest.fixture
def messages_api(settings: Any) -> Iterator[MessagesApi]:
    """The local Messages API server, and the Twilio backend pointed at it."""
    api = MessagesApi(account_sid=SID, auth_token=AUTH_TOKEN)
    api.start()
    settings.SMS_BACKEND = "twilio"
    settings.TWILIO_ACCOUNT_SID = SID
    settings.TWILIO_AUTH_TOKEN = AUTH_TOKEN
    settings.TWILIO_FROM_NUMBER = "+15005550006"
    settings.TWILIO_API_URL = api.url
    try:
        yield api
    finally:
        api.stop()


@pytest.fixture
def database_tasks(settings: Any) -> None:
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


@pytest.fixture
def run_worker() -> Callable[[], int]:
    """The project's task worker (ops/worker.py ReliableWorker) run in this process, so
    time-machine's clock is its clock: it runs every task due now, then returns how many."""
    from django_tasks_db.management.commands.db_worker import Worker

    from teletherapy.ops.worker import ReliableWorker

    def run() -> int:
        worker = ReliableWorker(
            queue_names=["default"],
            interval=0,
            batch=True,
            backend_name="default",
            startup_delay=False,
            max_tasks=None,
            worker_id="test-worker",
            excluded_queue_names=[],
        )
        # Worker.run, the batch loop, without the reaper thread (nothing is abandoned here).
        Worker.run(worker)
        return worker._run_tasks

    return run
