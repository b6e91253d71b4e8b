#!/usr/bin/env python3
"""Pages under load: the staff Dashboard and My Schedule's week view with 16 concurrent
clients (each its own keep-alive connection, one request after another) on the practice of
bench_schedule.py (50 therapists, 2,000 clients, 100,000 appointments, built by its builder),
against a trivial page (the sign-in page) on the same server in the same run. One daphne
process, pinned to core 0, the clients on core 1. Prints requests per second, median and p95
per page, and each as a ratio to the trivial page. Not a test.

    DATABASE_URL=postgres://u:p@host:port/db .venv/bin/python bench/bench_pages_load.py
        # creates (and drops) a scratch database next to the one named

Inside the private namespace with the test services:
    scripts/netns-run bash -c 'scripts/test-services start >/dev/null; set -a;
      . .test-services/env; set +a; .venv/bin/python bench/bench_pages_load.py;
      rc=$?; scripts/test-services stop; exit $rc'
"""

from __future__ import annotations

import argparse
import http.client
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_schedule import (  # noqa: E402
    build,
    drop_postgres,
    free_port,
    p95,
    scratch_postgres,
    timed_get,
    wait_until_up,
)

SERVER_CORE, LOAD_CORE = 0, 1


def hammer(
    port: int, make: Callable[[int], tuple[str, str | None]], clients: int, seconds: float
) -> tuple[float, list[float]]:
    """`clients` threads, each with its own connection, requesting for `seconds`."""
    timings: list[float] = []
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds
    failures: list[BaseException] = []

    def one(index: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        mine: list[float] = []
        i = index
        try:
            while time.monotonic() < stop_at:
                mine.append(timed_get(conn, *make(i)))
                i += clients
        except BaseException as exc:  # a failed request ends the run: say which
            failures.append(exc)
        with lock:
            timings.extend(mine)

    started = time.monotonic()
    threads = [threading.Thread(target=one, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    if failures:
        raise SystemExit(f"a request failed: {failures[0]!r}")
    return len(timings) / elapsed, timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=15.0, help="per page (default 15)")
    args = parser.parse_args()
    os.sched_setaffinity(0, {LOAD_CORE})

    var_dir = Path(tempfile.mkdtemp(prefix="bench-pages-"))
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE", "config.settings"),
        "VAR_DIR": str(var_dir),
        "SQLITE_PATH": str(var_dir / "bench.sqlite3"),
        "TASKS_BACKEND": "immediate",
        "STATIC_MANIFEST": "0",
        "DEBUG": "0",
        "LOG_LEVEL": "WARNING",
        "TELETHERAPY_TESTING": "0",
        "IDLE_TIMEOUT_MINUTES": "600",
    }
    base_url = os.environ.get("DATABASE_URL", "")
    pg_name = ""
    if base_url:
        env["DATABASE_URL"], pg_name = scratch_postgres(base_url)
    else:
        env["DATABASE_URL"] = ""
    process = None
    try:
        data = build(env)
        port = free_port()
        env["ALLOWED_HOSTS"] = "127.0.0.1"
        argv = ["taskset", "-c", str(SERVER_CORE), sys.executable, "-m", "daphne"]
        argv += ["-b", "127.0.0.1", "-p", str(port), "config.asgi:application"]
        log = (var_dir / "server.log").open("wb")
        process = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=log)
        wait_until_up(port, process)
        therapist_ids: list[int] = data["therapist_ids"]  # type: ignore[assignment]
        sessions: list[str] = data["therapist_sessions"]  # type: ignore[assignment]
        owner: str = data["owner_session"]  # type: ignore[assignment]
        today: str = data["today"]  # type: ignore[assignment]

        def week(i: int) -> tuple[str, str | None]:
            if i % 2:  # the owner, choosing among the 50 therapists
                return (
                    f"/schedule/?therapist={therapist_ids[i % len(therapist_ids)]}&date={today}",
                    owner,
                )
            return f"/schedule/?date={today}", sessions[i % len(sessions)]

        pages: dict[str, Callable[[int], tuple[str, str | None]]] = {
            "trivial (sign-in page)": lambda i: ("/accounts/sign-in/", None),
            "dashboard": lambda i: ("/dashboard/", sessions[i % len(sessions)]),
            "week view": week,
        }
        hammer(port, pages["trivial (sign-in page)"], args.clients, 3)  # warm up
        results = {
            name: hammer(port, make, args.clients, args.seconds) for name, make in pages.items()
        }
        vendor = "PostgreSQL" if base_url else "SQLite"
        print(
            f"\n{vendor}, {args.clients} concurrent clients, {args.seconds:.0f} s per page, "
            f"one daphne process on core {SERVER_CORE}:"
        )
        print(f"{'page':<24}{'req/s':>8}{'median ms':>11}{'p95 ms':>9}{'req/s ×':>9}{'p95 ×':>8}")
        base_rate, base_times = results["trivial (sign-in page)"]
        for name, (rate, times) in results.items():
            print(
                f"{name:<24}{rate:>8.1f}{statistics.median(times):>11.1f}{p95(times):>9.1f}"
                f"{rate / base_rate:>9.2f}{p95(times) / p95(base_times):>8.1f}"
            )
    finally:
        if process is not None:
            process.terminate()
            process.wait(timeout=10)
        if pg_name:
            from django.db import connections

            connections.close_all()
            drop_postgres(base_url, pg_name)
        shutil.rmtree(var_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
