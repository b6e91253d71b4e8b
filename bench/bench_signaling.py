#!/usr/bin/env python3
"""Signaling relay under load: N rooms, each a pair of real authenticated WebSocket clients
(a therapist and a client in a launch-window appointment) sending ~1 KB candidate-sized
messages 20 times a second each, through the product (daphne, the real consumer) and, in the
same run, through a minimal relay written directly on the `websockets` library. The server
is pinned to core 0 (taskset), this load generator to core 1. Prints delivered messages per
second, p50/p99 relay latency, errors and server-closed connections, and the product/raw
ratio, per room count. Not a test.

    .venv/bin/python bench/bench_signaling.py --rooms 50 200            # in-memory + SQLite
    .venv/bin/python bench/bench_signaling.py --idle 1000               # memory per idle socket

Two servers against one (needs Redis, as above): --servers 2 also runs each room count over
two app processes, the therapist of every pair on one and the client on the other (server A
on core 0, server B on core 1 alongside the load generator: this machine has only two), and
prints the delivered rate of two against one (linear would be 2.0).

Through Redis + PostgreSQL (inside the private namespace, with the test services):
    scripts/netns-run bash -c 'scripts/test-services start >/dev/null; set -a;
      . .test-services/env; set +a; .venv/bin/python bench/bench_signaling.py --rooms 50 200;
      rc=$?; scripts/test-services stop; exit $rc'
(with DATABASE_URL set, a scratch database is created on that server and dropped after.)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SERVER_CORE, LOAD_CORE = 0, 1
RATE_PER_SIDE = 20  # messages a second, each side of each room
PADDING = "x" * 900  # a candidate-sized message is about 1 KB on the wire

RAW_RELAY = r"""
import asyncio, sys
from websockets.asyncio.server import serve

rooms = {}

async def handler(ws):
    room, side = ws.request.path.strip("/").split("/")[-2:]
    peers = rooms.setdefault(room, {})
    peers[side] = ws
    other = "b" if side == "a" else "a"
    try:
        async for message in ws:
            peer = peers.get(other)
            if peer is not None:
                try:
                    await peer.send(message)
                except Exception:
                    pass
    finally:
        if peers.get(side) is ws:
            del peers[side]

async def main():
    async with serve(handler, "127.0.0.1", int(sys.argv[1]), max_size=2**16, ping_interval=None):
        await asyncio.Future()

asyncio.run(main())
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def cpu_seconds(pid: int) -> float:
    """User + system CPU time the process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


# --- The product's data: one therapist and one client per room ------------------------------


def prepare_database(env: dict[str, str], rooms: int) -> list[tuple[str, str, int]]:
    """Migrate, and create `rooms` open Teletherapy appointments with signed-in cookies for
    both participants: [(therapist cookie, client cookie, appointment id)]."""
    os.environ.update(env)
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django.core.management import call_command
    from django.utils import timezone

    from teletherapy.practice.models import Practice
    from teletherapy.scheduling.models import Appointment
    from teletherapy.test.personas import make_client, make_staff
    from teletherapy.video.models import VideoSession

    call_command("migrate", verbosity=0)
    practice = Practice.objects.create(name="Bench", state="NY", time_zone="America/New_York")

    def cookie(user: Any) -> str:
        store = SessionStore()
        store[SESSION_KEY] = str(user.pk)
        store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        store[HASH_SESSION_KEY] = user.get_session_auth_hash()
        store["last_seen"] = int(time.time())
        store.create()
        return str(store.session_key)

    start = timezone.now() + timedelta(minutes=5)
    out = []
    for index in range(rooms):
        therapist = make_staff(
            practice,
            f"t{index}@bench.test",
            f"Therapist {index}",
            is_therapist=True,
            teletherapy_enabled=True,
            licensed_states=["NY"],
        )
        client = make_client(
            practice, f"Client{index}", "Bench", therapists=[therapist], username=f"c{index}"
        )
        appointment = Appointment.objects.create(
            practice=practice,
            therapist=therapist,
            client=client,
            start=start,
            end=start + timedelta(minutes=50),
            is_teletherapy=True,
            location=Appointment.Location.TELETHERAPY,
            created_by=therapist.user,
        )
        VideoSession.objects.create(appointment=appointment, client_location="NY")
        out.append((cookie(therapist.user), cookie(client.user), appointment.pk))
    assert settings.SESSION_ENGINE == "django.contrib.sessions.backends.db"
    return out


# --- Load ------------------------------------------------------------------------------------


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)
    delivered: int = 0
    sent: int = 0
    errors: int = 0
    closed_by_server: int = 0
    # Server CPU seconds used during the measurement, and per delivered message.
    server_cpu: float = 0.0
    cpu_per_message_us: float = 0.0
    close_codes: dict[int, int] = field(default_factory=dict)


def frame(seq: int) -> str:
    return json.dumps(
        {
            "type": "signal",
            "candidate": {
                "candidate": f"candidate:{seq} 1 udp 2122260223 10.0.0.1 50000 typ host {PADDING}",
                "sdpMid": "0",
                "sdpMLineIndex": 0,
                "usernameFragment": repr(time.time()),
            },
        }
    )


async def side(
    ws: Any, tally: Tally, measuring: list[bool], stop: asyncio.Event, offset: float
) -> None:
    async def sender() -> None:
        await asyncio.sleep(offset)
        seq = 0
        period = 1 / RATE_PER_SIDE
        next_at = time.monotonic()
        while not stop.is_set():
            try:
                await ws.send(frame(seq))
            except Exception:
                return
            if measuring[0]:
                tally.sent += 1
            seq += 1
            next_at += period
            await asyncio.sleep(max(0.0, next_at - time.monotonic()))

    async def receiver() -> None:
        async for raw in ws:
            data = json.loads(raw)
            if data.get("type") == "signal":
                if measuring[0]:
                    tally.delivered += 1
                    sent = float(data["candidate"]["usernameFragment"])
                    tally.latencies.append(time.time() - sent)
            elif data.get("type") == "error":
                tally.errors += 1

    send_task = asyncio.create_task(sender())
    try:
        await receiver()
    except Exception:
        pass
    finally:
        send_task.cancel()
    if not stop.is_set():
        tally.closed_by_server += 1
        code = getattr(ws, "close_code", None) or 0
        tally.close_codes[code] = tally.close_codes.get(code, 0) + 1


async def run_load(
    urls: list[tuple[str, str, dict[str, str], dict[str, str]]], seconds: float, *pids: int
) -> Tally:
    """Open every room's pair, then send for `seconds` (after a 2-second warm-up)."""
    from websockets.asyncio.client import connect

    tally = Tally()
    stop = asyncio.Event()
    measuring = [False]
    gate = asyncio.Semaphore(20)
    sockets: list[Any] = []

    async def open_one(url: str, headers: dict[str, str], welcome: bool) -> Any:
        async with gate:
            ws = await connect(
                url,
                origin=headers.pop("Origin", None),  # type: ignore[arg-type]
                additional_headers=headers,
                max_size=2**16,
                ping_interval=None,
                open_timeout=60,
            )
            if welcome:
                first = json.loads(await ws.recv())
                assert first["type"] == "welcome", first
            sockets.append(ws)
            return ws

    pairs = []
    for url_a, url_b, headers_a, headers_b in urls:
        welcome = "/ws/sessions/" in url_a
        a = await open_one(url_a, dict(headers_a), welcome)
        b = await open_one(url_b, dict(headers_b), welcome)
        pairs.append((a, b))
    await asyncio.sleep(1)
    tasks = []
    for index, (a, b) in enumerate(pairs):
        offset = (index / max(1, len(pairs))) / RATE_PER_SIDE
        tasks.append(asyncio.create_task(side(a, tally, measuring, stop, offset)))
        tasks.append(asyncio.create_task(side(b, tally, measuring, stop, offset + 0.025)))
    await asyncio.sleep(2)
    measuring[0] = True
    started, cpu_before = time.monotonic(), sum(cpu_seconds(pid) for pid in pids)
    await asyncio.sleep(seconds)
    measuring[0] = False
    tally.server_cpu = sum(cpu_seconds(pid) for pid in pids) - cpu_before
    elapsed = time.monotonic() - started
    stop.set()
    for ws in sockets:
        try:
            await asyncio.wait_for(ws.close(), 2)
        except Exception:
            pass
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    if tally.delivered:
        tally.cpu_per_message_us = tally.server_cpu / tally.delivered * 1e6
    tally.delivered = int(tally.delivered / elapsed)
    tally.server_cpu /= elapsed
    tally.sent = int(tally.sent / elapsed)
    return tally


async def open_idle(urls: list[tuple[str, str, dict[str, str], dict[str, str]]]) -> list[Any]:
    from websockets.asyncio.client import connect

    gate = asyncio.Semaphore(20)
    out: list[Any] = []

    async def one(url: str, headers: dict[str, str]) -> None:
        async with gate:
            ws = await connect(
                url,
                origin=headers.pop("Origin", None),  # type: ignore[arg-type]
                additional_headers=headers,
                ping_interval=None,
                open_timeout=120,
            )
            out.append(ws)

    await asyncio.gather(*(one(u, dict(h)) for a, b, ha, hb in urls for u, h in ((a, ha), (b, hb))))
    return out


# --- Servers ---------------------------------------------------------------------------------


PROFILED_SERVER = """
import cProfile, sys, time
from daphne.cli import CommandLineInterface
profile = cProfile.Profile(time.process_time)
profile.enable()
try:
    CommandLineInterface().run(["-b", "127.0.0.1", "-p", sys.argv[1], "config.asgi:application"])
finally:
    profile.disable()
    profile.dump_stats(sys.argv[2])
"""


def start_product(
    env: dict[str, str], port: int, core: int = SERVER_CORE
) -> subprocess.Popen[bytes]:
    argv = ["taskset", "-c", str(core), sys.executable]
    if env.get("BENCH_PROFILE"):  # a cProfile dump of the server, written when it stops
        argv += ["-c", PROFILED_SERVER, str(port), env["BENCH_PROFILE"]]
    elif env.get("BENCH_SERVER") == "uvicorn":
        argv += ["-m", "uvicorn", "--host", "127.0.0.1", "--port", str(port), "--lifespan", "off"]
        argv += ["--ws", "websockets", "--loop", "uvloop", "--http", "httptools"]
        argv += ["--no-access-log", "config.asgi:application"]
    else:
        # A longer handshake deadline than daphne's 5 s: opening 1,000 sockets at once queues
        # their admissions (queries in the thread pool) behind each other.
        argv += ["-m", "daphne", "-b", "127.0.0.1", "-p", str(port)]
        argv += ["--websocket_connect_timeout", "60", "config.asgi:application"]
    log = open(Path(env["VAR_DIR"]) / "server.log", "ab")
    process = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    wait_port(port, process)
    return process


def start_raw(port: int) -> subprocess.Popen[bytes]:
    argv = ["taskset", "-c", str(SERVER_CORE), sys.executable, "-c", RAW_RELAY, str(port)]
    process = subprocess.Popen(argv, cwd=ROOT)
    wait_port(port, process)
    return process


def wait_port(port: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"server exited with {process.returncode}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise SystemExit("server did not start")


def stop(process: subprocess.Popen[bytes]) -> None:
    # SIGINT lets a profiled server write its profile; the others just stop.
    process.send_signal(signal.SIGINT if os.environ.get("BENCH_PROFILE") else signal.SIGTERM)
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()


def product_urls(
    port: int, rooms: list[tuple[str, str, int]], client_port: int | None = None
) -> list[Any]:
    """Each room's therapist on `port`, its client on `client_port` (default: the same); one
    site either way (its Origin is the first port's, as behind one load balancer)."""
    origin = f"http://127.0.0.1:{port}"
    out = []
    for therapist, client, appointment_id in rooms:
        path = f"/ws/sessions/{appointment_id}/"
        out.append(
            (
                f"ws://127.0.0.1:{port}{path}",
                f"ws://127.0.0.1:{client_port or port}{path}",
                {"Origin": origin, "Cookie": f"sessionid={therapist}"},
                {"Origin": origin, "Cookie": f"sessionid={client}"},
            )
        )
    return out


def raw_urls(port: int, rooms: int) -> list[Any]:
    base = f"ws://127.0.0.1:{port}/room"
    return [(f"{base}/{i}/a", f"{base}/{i}/b", {}, {}) for i in range(rooms)]


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))] * 1000


def report(label: str, rooms: int, tally: Tally) -> str:
    codes = ",".join(f"{k}x{v}" for k, v in sorted(tally.close_codes.items())) or "-"
    return (
        f"{label:<28} rooms={rooms:<4} offered={tally.sent:>6}/s delivered={tally.delivered:>6}/s "
        f"p50={pct(tally.latencies, 0.5):8.1f} ms p99={pct(tally.latencies, 0.99):8.1f} ms "
        f"errors={tally.errors} closed_by_server={tally.closed_by_server} ({codes}) "
        f"server_cpu={tally.server_cpu * 100:.0f}% cpu/msg={tally.cpu_per_message_us:.0f} us"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rooms", type=int, nargs="*", default=[50, 200])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--idle", type=int, default=0, help="connections for the memory figure")
    parser.add_argument("--servers", type=int, choices=[1, 2], default=1)
    args = parser.parse_args()
    os.sched_setaffinity(0, {LOAD_CORE})

    var_dir = Path(tempfile.mkdtemp(prefix="bench-signaling-"))
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "VAR_DIR": str(var_dir),
        "DEBUG": "0",
        "TELETHERAPY_TESTING": "0",
        "STATIC_MANIFEST": "0",
        "LOG_LEVEL": "WARNING",
        "ALLOWED_HOSTS": "127.0.0.1",
        "TASKS_BACKEND": "immediate",
    }
    scratch = None
    admin_url = env.get("DATABASE_URL", "")
    if admin_url:
        scratch = f"bench_signaling_{os.getpid()}"
        import psycopg

        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {scratch}")
        env["DATABASE_URL"] = env["DATABASE_URL"].rsplit("/", 1)[0] + "/" + scratch
    layer = "Redis" if env.get("REDIS_URL") else "in-memory"
    database = "PostgreSQL" if scratch else "SQLite"
    need = max([*args.rooms, (args.idle + 1) // 2])
    print(f"# {layer} layer + {database}; server on core {SERVER_CORE}, load on core {LOAD_CORE}")
    print(f"# {RATE_PER_SIDE} msg/s per side, ~{len(frame(0))} bytes each, {args.seconds:.0f} s")
    port = free_port()
    env["SITE_URL"] = f"http://127.0.0.1:{port}"
    rooms = prepare_database(env, need)
    try:
        for count in args.rooms:
            for label in ("raw websockets relay", f"product ({layer}+{database})"):
                # A fresh server each run: no presence or buffers carried over.
                raw = label.startswith("raw")
                server = start_raw(port) if raw else start_product(env, port)
                try:
                    urls = raw_urls(port, count) if raw else product_urls(port, rooms[:count])
                    tally = asyncio.run(run_load(urls, args.seconds, server.pid))
                finally:
                    stop(server)
                print(report(label, count, tally), flush=True)
                if raw:
                    raw_rate = tally.delivered
                else:
                    ratio = tally.delivered / raw_rate if raw_rate else float("nan")
                    print(f"{'':<28} delivered ratio product/raw = {ratio:.2f}", flush=True)
                    one_rate = tally.delivered
            if args.servers == 2:
                other = free_port()
                pair = [start_product(env, port), start_product(env, other, core=LOAD_CORE)]
                try:
                    urls = product_urls(port, rooms[:count], client_port=other)
                    tally = asyncio.run(run_load(urls, args.seconds, *(s.pid for s in pair)))
                finally:
                    for server in pair:
                        stop(server)
                print(report(f"product, 2 servers ({layer})", count, tally), flush=True)
                ratio = tally.delivered / one_rate if one_rate else float("nan")
                print(f"{'':<28} delivered ratio two servers/one = {ratio:.2f}", flush=True)
        if args.idle:
            for label in ("raw websockets relay", f"product ({layer}+{database})"):
                raw = label.startswith("raw")
                server = start_raw(port) if raw else start_product(env, port)
                try:
                    time.sleep(1)
                    before = rss_kib(server.pid)
                    pairs = args.idle // 2
                    urls = raw_urls(port, pairs) if raw else product_urls(port, rooms[:pairs])

                    async def hold(
                        urls: list[Any] = urls, pid: int = server.pid
                    ) -> tuple[int, float]:
                        started = time.monotonic()
                        sockets = await open_idle(urls)
                        opened = time.monotonic() - started
                        await asyncio.sleep(3)
                        after = rss_kib(pid)
                        for ws in sockets:
                            await ws.close()
                        return after, opened

                    after, opened = asyncio.run(hold())
                finally:
                    stop(server)
                per = (after - before) / max(1, pairs * 2)
                print(
                    f"{label:<28} idle={pairs * 2} opened in {opened:.1f} s, "
                    f"RSS {before} -> {after} KiB: {per:.1f} KiB per connection",
                    flush=True,
                )
    finally:
        if scratch:
            from django.db import connections

            connections.close_all()
            import psycopg

            with psycopg.connect(admin_url, autocommit=True) as conn:
                conn.execute(f"DROP DATABASE IF EXISTS {scratch} WITH (FORCE)")


if __name__ == "__main__":
    main()
