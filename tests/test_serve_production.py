"""scripts/serve-production starts several app processes and a task worker, each answering,
and stops them all on SIGTERM."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from teletherapy.test.browser import _database_env, free_port

ROOT = Path(__file__).resolve().parents[1]


def _two_free_ports() -> int:
    for _ in range(20):
        port = free_port()
        try:
            import socket

            with socket.socket() as probe:
                probe.bind(("127.0.0.1", port + 1))
            return port
        except OSError:
            continue
    raise RuntimeError("no two consecutive free ports")


def _healthz(port: int, deadline: float) -> dict:  # type: ignore[type-arg]
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as answer:
                return json.loads(answer.read())  # type: ignore[no-any-return]
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


@pytest.mark.django_db(transaction=True)
def test_serve_production_runs_the_processes_and_stops_them(tmp_path: Path) -> None:
    port = _two_free_ports()
    env = {
        **os.environ,
        **_database_env(),
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "WEB_PROCESSES": "2",
        "TASK_WORKERS": "1",
        "TASKS_BACKEND": "database",
        "VAR_DIR": str(tmp_path),
        "SITE_URL": "",
    }
    log = (tmp_path / "serve.log").open("wb")
    process = subprocess.Popen(
        ["scripts/serve-production"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        for each in (port, port + 1):
            assert _healthz(each, deadline)["status"] == "ok"
        children = subprocess.run(
            ["pgrep", "-P", str(process.pid)], capture_output=True, text=True
        ).stdout.split()
        assert len(children) == 3, (tmp_path / "serve.log").read_text()
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) is not None
        for pid in children:
            assert (
                not Path(f"/proc/{pid}").exists()
                or "Z" in Path(f"/proc/{pid}/stat").read_text().split()[2]
            )
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
