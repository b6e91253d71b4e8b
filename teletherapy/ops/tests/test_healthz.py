"""/healthz: 200 when the database, the channel layer and the task queue answer; 503 with
the failing check named when one does not. Failures are real: a task row left waiting, a
channel layer whose Redis does not answer, a database that is not there."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from teletherapy.test.browser import free_port


def _get(client: Client) -> tuple[int, dict[str, Any]]:
    response = client.get("/healthz")
    assert response["Content-Type"] == "application/json"
    assert "no-store" in response["Cache-Control"]
    return response.status_code, response.json()


@pytest.fixture
def database_tasks(settings):  # type: ignore[no-untyped-def]
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def _ready_task(*, age: timedelta, run_after: timedelta | None = None) -> None:
    from django_tasks_db.models import DBTaskResult, get_date_max

    row = DBTaskResult.objects.create(
        args_kwargs={"args": [], "kwargs": {}},
        task_path="teletherapy.scheduling.tasks.send_appointment_email",
        backend_name="default",
        run_after=get_date_max() if run_after is None else timezone.now() - run_after,
    )
    # enqueued_at is auto_now_add: move it back afterwards.
    DBTaskResult.objects.filter(pk=row.pk).update(enqueued_at=timezone.now() - age)


@pytest.mark.django_db
def test_healthy_and_public(database_tasks: None) -> None:
    _ready_task(age=timedelta(seconds=5))  # a fresh task is normal
    status, body = _get(Client())  # no one signed in
    assert status == 200, body
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"database", "channel_layer", "tasks"}
    assert all(check["ok"] for check in body["checks"].values())
    assert body["checks"]["tasks"]["ready"] == 1
    assert 4 <= body["checks"]["tasks"]["oldest_ready_seconds"] < 60


@pytest.mark.django_db
def test_a_task_waiting_longer_than_the_limit_is_unhealthy(database_tasks: None, settings) -> None:  # type: ignore[no-untyped-def]
    settings.TASK_QUEUE_MAX_AGE_SECONDS = 300
    _ready_task(age=timedelta(minutes=10))
    status, body = _get(Client())
    assert status == 503
    assert body["status"] == "fail"
    assert body["checks"]["tasks"]["ok"] is False
    assert body["checks"]["tasks"]["older_than_limit"] == 1
    assert body["checks"]["tasks"]["oldest_ready_seconds"] >= 600
    assert body["checks"]["database"]["ok"] and body["checks"]["channel_layer"]["ok"]


@pytest.mark.django_db
def test_a_task_deferred_until_recently_counts_from_its_run_after(database_tasks: None) -> None:
    # Enqueued an hour ago to run a minute ago: it has waited one minute, not an hour.
    _ready_task(age=timedelta(hours=1), run_after=timedelta(minutes=1))
    status, body = _get(Client())
    assert status == 200, body
    assert 55 <= body["checks"]["tasks"]["oldest_ready_seconds"] < 120


@pytest.mark.django_db
def test_a_finished_or_running_task_is_not_waiting(database_tasks: None) -> None:
    from django_tasks_db.models import DBTaskResult

    _ready_task(age=timedelta(hours=1))
    DBTaskResult.objects.update(status="SUCCESSFUL")
    status, body = _get(Client())
    assert status == 200, body
    assert body["checks"]["tasks"]["ready"] == 0


@pytest.mark.django_db
def test_a_channel_layer_that_does_not_answer_is_unhealthy(settings) -> None:  # type: ignore[no-untyped-def]
    # A Redis URL where nothing listens: the connection is refused.
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [f"redis://127.0.0.1:{free_port()}/0"]},
        }
    }
    status, body = _get(Client())
    assert status == 503
    assert body["checks"]["channel_layer"] == {"ok": False, "error": "ConnectionError"}
    assert body["checks"]["database"]["ok"] is True
    # Nothing about the address goes out.
    assert "127.0.0.1" not in json.dumps(body)


def test_a_database_that_is_not_there_is_unhealthy(live_server_factory) -> None:  # type: ignore[no-untyped-def]
    # The real app in its own process, pointed at a PostgreSQL port where nothing listens.
    server = live_server_factory(
        env={"DATABASE_URL": f"postgres://nobody:secret@127.0.0.1:{free_port()}/nothing"}
    )
    try:
        urllib.request.urlopen(server.url + "/healthz", timeout=30)
    except urllib.error.HTTPError as error:
        status, body = error.code, json.loads(error.read())
    else:
        raise AssertionError("/healthz answered 200 without a database")
    assert status == 503
    assert body["checks"]["database"] == {"ok": False, "error": "OperationalError"}
    assert body["checks"]["tasks"]["ok"] is False
    assert body["checks"]["channel_layer"]["ok"] is True
    assert "secret" not in json.dumps(body) and "nobody" not in json.dumps(body)


@pytest.mark.redis
@pytest.mark.django_db
def test_healthy_through_redis(settings) -> None:  # type: ignore[no-untyped-def]
    import os

    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [os.environ["REDIS_URL"]]},
        }
    }
    status, body = _get(Client())
    assert status == 200, body
    assert body["checks"]["channel_layer"]["ok"] is True


@pytest.mark.django_db
def test_the_load_balancer_may_ask_over_plain_http_behind_tls(settings) -> None:  # type: ignore[no-untyped-def]
    # HTTPS=1 redirects everything to https, except the health check that balancers send to
    # each app process directly.
    settings.SECURE_SSL_REDIRECT = True
    assert Client().get("/accounts/sign-in/").status_code == 301
    status, body = _get(Client())
    assert status == 200, body
