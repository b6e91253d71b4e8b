"""Fixtures for tests that use real components: an SMTP server, the app in its own process,
and Debian's Chromium driven by Playwright. The root conftest.py registers them for every test.
"""

from __future__ import annotations

import email
import email.policy
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
# Playwright's expect() waits 5 s by default; a loaded 2-core machine needs longer.
EXPECT_TIMEOUT_MS = 30_000
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    # Three fake cameras to choose between (the second one gives depth frames, not video).
    "--use-fake-device-for-media-stream=device-count=3",
    "--use-fake-ui-for-media-stream",
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# --- SMTP -----------------------------------------------------------------------------------


@dataclass
class SmtpServer:
    host: str
    port: int
    messages: list[EmailMessage] = field(default_factory=list)
    _arrived: threading.Condition = field(default_factory=threading.Condition)

    @property
    def url(self) -> str:
        return f"smtp://{self.host}:{self.port}"

    def wait_for(self, *, to: str, timeout: float = 30.0, count: int = 1) -> EmailMessage:
        """The newest message to `to`, once at least `count` have arrived for them."""
        deadline = time.monotonic() + timeout
        with self._arrived:
            while True:
                found = [m for m in self.messages if to.lower() in str(m["To"]).lower()]
                if len(found) >= count:
                    return found[-1]
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"no email to {to} within {timeout}s")
                self._arrived.wait(remaining)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self._arrived:
            self.messages.append(message)
            self._arrived.notify_all()
        return "250 Message accepted for delivery"


def text_of(message: EmailMessage) -> str:
    """The plain-text part of a received message."""
    part = message.get_body(preferencelist=("plain",))
    assert part is not None, "the email has no text part"
    return part.get_content()


@pytest.fixture
def smtp_server(settings: Any) -> Iterator[SmtpServer]:
    """A real SMTP server (aiosmtpd) on 127.0.0.1; the app's in-process email goes to it."""
    from aiosmtpd.controller import Controller

    server = SmtpServer(host="127.0.0.1", port=free_port())
    controller = Controller(server, hostname=server.host, port=server.port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = server.host
    settings.EMAIL_PORT = server.port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    try:
        yield server
    finally:
        controller.stop()


# --- The app in its own process -----------------------------------------------------------


@dataclass
class LiveServer:
    url: str
    process: subprocess.Popen[bytes]
    log_path: Path
    argv: list[str] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)

    def restart(self) -> None:
        """Start the app again on the same port and database, once it has stopped."""
        self.stop()
        self.process = subprocess.Popen(
            self.argv,
            cwd=ROOT,
            env=self.env,
            stdout=self.log_path.open("ab"),
            stderr=subprocess.STDOUT,
        )
        _wait_until_up(self)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


def _database_env() -> dict[str, str]:
    from django.db import connection

    params = connection.settings_dict
    if connection.vendor == "sqlite":
        return {"SQLITE_PATH": str(params["NAME"]), "DATABASE_URL": ""}
    return {
        "DATABASE_URL": (
            f"postgres://{params['USER']}:{params['PASSWORD']}@{params['HOST']}:"
            f"{params['PORT']}/{params['NAME']}"
        )
    }


@pytest.fixture
def live_server_factory(
    transactional_db: None, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[Callable[..., LiveServer]]:
    """Start the real app (daphne) on 127.0.0.1 against this test's database.

    Call it as live_server_factory(smtp=smtp_server, travel_to=datetime, env={...}).
    Data the test creates with the ORM is committed (transactional_db), so the server sees it.
    """
    servers: list[LiveServer] = []

    def start(
        *,
        smtp: SmtpServer | None = None,
        travel_to: datetime | None = None,
        env: dict[str, str] | None = None,
    ) -> LiveServer:
        from django.conf import settings

        port = free_port()
        var_dir = tmp_path / f"server-{len(servers)}"
        var_dir.mkdir()
        server_env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "TELETHERAPY_TESTING": "1",
            "TASKS_BACKEND": "immediate",
            "VAR_DIR": str(var_dir),
            # One key for the test and every server: a session made by one is valid on all.
            "SECRET_KEY": settings.SECRET_KEY,
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "EMAIL_URL": smtp.url if smtp else "",
            # No SITE_URL: the default built from HOST and PORT is what emailed links use.
            "SITE_URL": "",
            "HOST": "127.0.0.1",
            "PORT": str(port),
            "PYTHONUNBUFFERED": "1",
            **_database_env(),
            **(env or {}),
        }
        argv = [sys.executable, "-m", "teletherapy.test.serve", str(port)]
        if travel_to is not None:
            argv.append(travel_to.isoformat())
        log_path = var_dir / "server.log"
        process = subprocess.Popen(
            argv, cwd=ROOT, env=server_env, stdout=log_path.open("wb"), stderr=subprocess.STDOUT
        )
        server = LiveServer(
            url=f"http://127.0.0.1:{port}",
            process=process,
            log_path=log_path,
            argv=argv,
            env=server_env,
        )
        servers.append(server)
        _wait_until_up(server)
        return server

    yield start
    for server in servers:
        server.stop()


def _wait_until_up(server: LiveServer, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"the app exited early:\n{server.log()}")
        try:
            with urllib.request.urlopen(server.url + "/", timeout=2):
                return
        except urllib.error.HTTPError:
            return  # It answers; the test will judge what it says.
        except OSError:
            time.sleep(0.1)
    server.stop()
    raise RuntimeError(f"the app did not answer within {timeout}s:\n{server.log()}")


# --- Chromium -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Debian's Chromium, headless, with a fake camera and microphone.

    Module-scoped: Playwright's sync API holds an event loop in the main thread while it
    runs, which would break the async (consumer) tests that come after it in the session."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run the README's test command, which installs it")
    from playwright.sync_api import expect, sync_playwright

    # Assertions wait for their condition; give them a deadline a busy machine meets.
    expect.set_options(timeout=EXPECT_TIMEOUT_MS)
    # Playwright's sync API keeps an event loop in this thread, which makes Django think the
    # test's own ORM calls are inside async code; they are not, so allow them while this
    # module's browser runs, and only then: async tests must still catch ORM calls.
    before = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                yield chromium
            finally:
                chromium.close()
    finally:
        if before is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = before
