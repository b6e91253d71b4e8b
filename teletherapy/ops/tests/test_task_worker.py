"""A task worker killed mid-task (SIGKILL, a real `manage.py task_worker` process): another
worker runs the task, and the email is sent exactly once, with a link that works. A worker that
is only slow keeps its task (PostgreSQL: its row lock). The mail server is the real SMTP
fixture; a server that accepts connections and never answers stands for one that hung."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings as django_settings

from teletherapy.test.browser import ROOT, _database_env, text_of

DEADLINE = 60.0


class HungMailServer:
    """Accepts SMTP connections and never says a word, until closed."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen()
        self.port = self.sock.getsockname()[1]
        self.connections: list[socket.socket] = []
        self.connected = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections.append(conn)
            self.connected.set()

    def close(self) -> None:
        self.sock.close()
        for conn in self.connections:
            conn.close()


@pytest.fixture
def hung_mail_server() -> Iterator[HungMailServer]:
    server = HungMailServer()
    yield server
    server.close()


@pytest.fixture
def start_worker(tmp_path: Path) -> Iterator[Callable[..., tuple[subprocess.Popen[bytes], Path]]]:
    started: list[subprocess.Popen[bytes]] = []

    def start(
        name: str, *, smtp_port: int, lease: int, attempts: int = 3
    ) -> tuple[subprocess.Popen[bytes], Path]:
        env = {
            **os.environ,
            **_database_env(),
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "TASKS_BACKEND": "database",
            "EMAIL_URL": f"smtp://127.0.0.1:{smtp_port}",
            "EMAIL_MAX_ATTEMPTS": str(attempts),
            "TASK_LEASE_SECONDS": str(lease),
            "SECRET_KEY": django_settings.SECRET_KEY,
            "VAR_DIR": str(tmp_path / name),
            "LOG_LEVEL": "DEBUG",
            "PYTHONUNBUFFERED": "1",
        }
        log = tmp_path / f"worker-{name}.log"
        process = subprocess.Popen(
            [sys.executable, "manage.py", "task_worker", "--interval", "0.2"]
            + ["--no-startup-delay", "--worker-id", name],
            cwd=ROOT,
            env=env,
            stdout=log.open("wb"),
            stderr=subprocess.STDOUT,
        )
        started.append(process)
        return process, log

    yield start
    for process in started:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def wait_until(check: Callable[[], object], what: str, timeout: float = DEADLINE) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


def _invite(cast):  # type: ignore[no-untyped-def]
    """Send a portal invitation the way the app does: the service enqueues the email."""
    from teletherapy.clients.services import send_portal_invite

    return send_portal_invite(client=cast.client_without_portal, by=cast.therapist)


def _task_row():  # type: ignore[no-untyped-def]
    from django_tasks_db.models import DBTaskResult

    return DBTaskResult.objects.get()


@pytest.fixture
def database_queue(settings):  # type: ignore[no-untyped-def]
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def _kill_a_worker_mid_send_and_let_another_finish(
    smtp_server, hung_mail_server, start_worker, *, to: str
) -> list:  # type: ignore[no-untyped-def, type-arg]
    """Worker A takes the one queued task and is killed (SIGKILL) while its mail server hangs,
    that is mid-task; worker B, with a short lease, finds the task abandoned and runs it.
    Returns the emails to `to` once B is done."""
    worker_a, log_a = start_worker("worker-a", smtp_port=hung_mail_server.port, lease=300)
    assert hung_mail_server.connected.wait(DEADLINE), log_a.read_text()
    assert _task_row().status == "RUNNING"
    worker_a.send_signal(signal.SIGKILL)
    worker_a.wait(timeout=10)

    _, log_b = start_worker("worker-b", smtp_port=smtp_server.port, lease=1)
    wait_until(lambda: _task_row().status == "SUCCESSFUL", "worker B to finish the task")
    assert _task_row().worker_ids == ["worker-a", "worker-b"]
    assert "abandoned by its worker" in log_b.read_text()
    smtp_server.wait_for(to=to)
    return [m for m in smtp_server.messages if to in str(m["To"])]


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_task_on_sqlite(  # type: ignore[no-untyped-def]
    cast, database_queue, smtp_server, hung_mail_server, start_worker
) -> None:
    """The embedded default: the task is not lost (not left RUNNING for ever)."""
    from django.db import connection

    from teletherapy.scheduling.tasks import send_appointment_email

    if connection.vendor != "sqlite":
        pytest.skip("the PostgreSQL run has its own test below")
    send_appointment_email.enqueue(cast.tele_appointment.pk, "booked")
    emails = _kill_a_worker_mid_send_and_let_another_finish(
        smtp_server, hung_mail_server, start_worker, to=cast.client_with_portal.email
    )
    assert len(emails) == 1
    assert emails[0].get_content_type() == "multipart/mixed"  # with its .ics


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_task_on_postgresql(  # type: ignore[no-untyped-def]
    cast, database_queue, smtp_server, hung_mail_server, start_worker
) -> None:
    """Several workers on PostgreSQL: the killed worker's writes (the link's token hash) roll
    back, the task runs again, one email goes out and its link is the one that works."""
    from teletherapy.clients.models import PortalInvitation
    from teletherapy.lib.tokens import hash_token

    link = _invite(cast)
    emails = _kill_a_worker_mid_send_and_let_another_finish(
        smtp_server, hung_mail_server, start_worker, to=cast.client_without_portal.email
    )
    assert len(emails) == 1
    raw = re.search(r"/portal/invite/([A-Za-z0-9_-]+)/", text_of(emails[0]))
    assert raw is not None, text_of(emails[0])
    link = PortalInvitation.objects.get(pk=link.pk)
    assert link.token_hash == hash_token(raw.group(1))
    assert link.delivery_status == "sent"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_slow_worker_keeps_its_task_past_the_lease(  # type: ignore[no-untyped-def]
    cast, database_queue, smtp_server, hung_mail_server, start_worker
) -> None:
    from django.utils import timezone

    from teletherapy.clients.models import PortalInvitation

    link = _invite(cast)
    # A is slow (its mail server hangs), and alive. Its own lease is short too.
    _, log_a = start_worker("worker-a", smtp_port=hung_mail_server.port, lease=1, attempts=1)
    assert hung_mail_server.connected.wait(DEADLINE), log_a.read_text()
    started = _task_row().started_at
    wait_until(lambda: timezone.now() - started > timedelta(seconds=1), "the lease")
    # B arrives with the same short lease; let both reapers pass over the task a few times.
    _, log_b = start_worker("worker-b", smtp_port=smtp_server.port, lease=1)
    wait_until(lambda: log_b.read_text().count("reaper pass") >= 3, "worker B's reaper")
    assert _task_row().status == "RUNNING" and _task_row().worker_ids == ["worker-a"]
    # A's mail server gives up; A records the failed delivery. Nobody else ran the task.
    hung_mail_server.close()
    wait_until(lambda: _task_row().status == "SUCCESSFUL", "worker A to finish")
    assert _task_row().worker_ids == ["worker-a"]
    assert PortalInvitation.objects.get(pk=link.pk).delivery_status == "failed"
    assert smtp_server.messages == []
    assert "abandoned by its worker" not in log_a.read_text() + log_b.read_text()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_workers_share_a_queue_and_send_each_email_once(  # type: ignore[no-untyped-def]
    cast, database_queue, smtp_server, start_worker
) -> None:
    from django_tasks_db.models import DBTaskResult

    from teletherapy.scheduling.tasks import send_appointment_email

    for _ in range(12):
        send_appointment_email.enqueue(cast.tele_appointment.pk, "booked")
    start_worker("worker-a", smtp_port=smtp_server.port, lease=1)
    start_worker("worker-b", smtp_port=smtp_server.port, lease=1)
    wait_until(
        lambda: DBTaskResult.objects.filter(status="SUCCESSFUL").count() == 12, "all 12 tasks"
    )
    smtp_server.wait_for(to=cast.client_with_portal.email, count=12)
    assert len(smtp_server.messages) == 12
    runs = [row.worker_ids for row in DBTaskResult.objects.all()]
    assert all(len(ids) == 1 for ids in runs), runs  # none was run twice
