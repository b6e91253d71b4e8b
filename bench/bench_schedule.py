#!/usr/bin/env python3
"""How fast My Schedule's week view is on a big practice: 50 therapists, 2,000 clients and
100,000 appointments, built with bulk_create in a throwaway database; and on a second practice
of the same size where every client has a weekly series for a year (2,000 series, about
104,000 occurrences, expanded by the app's own rule code). Starts the real app (daphne) and
makes sequential HTTP requests (keep-alive) to the week view, the staff Dashboard and a
trivial page (the sign-in page) on the same server in the same run, interleaved; prints the
median and p95 of each and their ratio to the trivial page. Target: week view and Dashboard
p95 < 30 ms and under 4 times the trivial page's. Not a test.

    .venv/bin/python bench/bench_schedule.py                 # SQLite in a temporary VAR_DIR
    DATABASE_URL=postgres://u:p@host:port/db .venv/bin/python bench/bench_schedule.py
        # PostgreSQL: creates (and drops) a scratch database next to the one named

DJANGO_SETTINGS_MODULE, when set, picks other settings (e.g. to try a connection pool: under
ASGI every request runs in a new thread, so without a pool each request opens a new
PostgreSQL connection).
"""

from __future__ import annotations

import argparse
import http.client
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

THERAPISTS = 50
CLIENTS = 2000
APPOINTMENTS = 100_000
TZ = ZoneInfo("America/New_York")
SERIES_WEEKS = 52
TARGET_MS = 30
TARGET_RATIO = 4


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def scratch_postgres(url: str) -> tuple[str, str]:
    """Create a scratch database on the server in `url`; return (its URL, its name)."""
    import psycopg

    parts = urlsplit(url)
    name = f"bench_schedule_{os.getpid()}"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return urlunsplit(parts._replace(path=f"/{name}")), name


def drop_postgres(url: str, name: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def build(env: dict[str, str]) -> dict[str, object]:
    """Migrate and fill the database; return what the requests need."""
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    os.environ.update(env)
    import django

    django.setup()
    from django.contrib.sessions.backends.db import SessionStore
    from django.db import connection

    from teletherapy.accounts.models import User
    from teletherapy.scheduling.models import Appointment, AppointmentSeries

    started = time.perf_counter()
    plain = _practice("Bench Practice", "", series=False)
    with_series = _practice("Series Practice", "s", series=True)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    else:
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    print(
        f"built {Appointment.objects.count():,} appointments "
        f"({Appointment.objects.filter(series__isnull=False).count():,} of them in "
        f"{AppointmentSeries.objects.count():,} weekly series), 2 practices of "
        f"{THERAPISTS} therapists and {CLIENTS:,} clients on {connection.vendor} "
        f"in {time.perf_counter() - started:.1f}s",
        flush=True,
    )

    def session_for(user: User) -> str:
        session = SessionStore()
        session["_auth_user_id"] = str(user.pk)
        session["_auth_user_backend"] = "django.contrib.auth.backends.ModelBackend"
        session["_auth_user_hash"] = user.get_session_auth_hash()
        session["last_seen"] = int(time.time())
        session.create()
        return session.session_key  # type: ignore[return-value]

    def sessions(built: dict[str, Any]) -> dict[str, object]:
        return {
            "owner_session": session_for(built["owner"]),
            "therapist_sessions": [session_for(u) for u in built["users"][:10]],
            "therapist_ids": [t.pk for t in built["therapists"]],
        }

    return {
        "plain": sessions(plain),
        "series": sessions(with_series),
        "today": datetime.now(TZ).date().isoformat(),
    }


def _practice(name: str, tag: str, *, series: bool) -> dict[str, Any]:
    """A practice of THERAPISTS therapists and CLIENTS clients: with series=False, about
    APPOINTMENTS one-off appointments; with series=True, each client's weekly series for a
    year (SERIES_WEEKS occurrences each, on the same slot of their therapist's week)."""
    from django.db import transaction

    from teletherapy.accounts.models import User
    from teletherapy.clients.models import Client
    from teletherapy.practice.models import Practice, StaffMember

    rng = random.Random(4)
    with transaction.atomic():
        practice = Practice.objects.create(name=name, state="NY", time_zone=TZ.key)
        owner_user = User.objects.create_user(
            f"owner{tag}@bench.test",
            None,
            email=f"owner{tag}@bench.test",
            full_name="Bench Owner",
            kind=User.Kind.STAFF,
        )
        StaffMember.objects.create(
            user=owner_user, practice=practice, is_owner=True, time_zone=TZ.key
        )
        users = User.objects.bulk_create(
            User(
                username=f"therapist{tag}{i}@bench.test",
                email=f"therapist{tag}{i}@bench.test",
                full_name=f"Therapist {i:02d}",
                kind=User.Kind.STAFF,
                password="!",
            )
            for i in range(THERAPISTS)
        )
        therapists = StaffMember.objects.bulk_create(
            StaffMember(
                user=user,
                practice=practice,
                is_therapist=True,
                teletherapy_enabled=i % 2 == 0,
                time_zone=TZ.key,
                licensed_states=["NY"],
            )
            for i, user in enumerate(users)
        )
        clients = Client.objects.bulk_create(
            Client(
                practice=practice,
                first_name=f"First{i}",
                last_name=f"Last{i:04d}",
                date_of_birth=date(1980, 1, 1) + timedelta(days=i),
                email=f"client{tag}{i}@bench.test",
                state="NY",
                time_zone=TZ.key,
            )
            for i in range(CLIENTS)
        )
        through = Client.therapists.through
        through.objects.bulk_create(
            through(client_id=client.pk, staffmember_id=therapists[i % THERAPISTS].pk)
            for i, client in enumerate(clients)
        )
        today = datetime.now(TZ).date()
        if series:
            _series_for(practice, therapists, clients, owner_user, today, rng)
        else:
            _one_offs(practice, therapists, clients, owner_user, today, rng)
    return {"owner": owner_user, "users": users, "therapists": therapists}


def _one_offs(practice, therapists, clients, owner_user, today, rng) -> None:  # type: ignore[no-untyped-def]
    """Each therapist: 8 one-hour appointments a weekday, around today, 2,000 in all."""
    from teletherapy.scheduling.models import Appointment

    per_therapist = APPOINTMENTS // THERAPISTS
    first_day = today - timedelta(days=today.weekday()) - timedelta(weeks=25)
    weekdays = [
        first_day + timedelta(days=d)
        for d in range(7 * 60)
        if (first_day + timedelta(days=d)).weekday() < 5
    ]
    slots = [
        datetime(day.year, day.month, day.day, 9 + h, 0, tzinfo=TZ)
        for day in weekdays
        for h in range(8)
    ][:per_therapist]
    batch: list[Appointment] = []
    for t_index, therapist in enumerate(therapists):
        own_clients = clients[t_index::THERAPISTS]
        for start in slots:
            tele = rng.random() < 0.3
            batch.append(
                Appointment(
                    practice=practice,
                    therapist=therapist,
                    client=rng.choice(own_clients),
                    start=start,
                    end=start + timedelta(minutes=50),
                    is_teletherapy=tele,
                    location="teletherapy" if tele else "office",
                    created_by=owner_user,
                )
            )
        if len(batch) >= 10_000:
            Appointment.objects.bulk_create(batch, batch_size=2000)
            batch = []
    Appointment.objects.bulk_create(batch, batch_size=2000)


def _series_for(practice, therapists, clients, owner_user, today, rng) -> None:  # type: ignore[no-untyped-def]
    """Every client a weekly series for a year, half of it behind and half ahead: each of a
    therapist's 40 clients on their own weekday and hour (5 days x 8 hours), the rule
    expanded by scheduling.recurrence like a booked series."""
    from teletherapy.scheduling import recurrence
    from teletherapy.scheduling.models import Appointment, AppointmentSeries

    monday = today - timedelta(days=today.weekday()) - timedelta(weeks=SERIES_WEEKS // 2)
    rule = f"FREQ=WEEKLY;INTERVAL=1;COUNT={SERIES_WEEKS}"
    plans = []
    for t_index, therapist in enumerate(therapists):
        for c_index, client in enumerate(clients[t_index::THERAPISTS]):
            day = monday + timedelta(days=c_index % 5)
            at = datetime(day.year, day.month, day.day, 9 + (c_index // 5) % 8)
            items = recurrence.occurrences(rule, at, TZ)
            starts = [o.start for o in items if o.start is not None]
            tele = rng.random() < 0.3
            plans.append(
                (
                    AppointmentSeries(
                        practice=practice,
                        therapist=therapist,
                        client=client,
                        rule=rule,
                        first_start=starts[0],
                        time_zone=TZ.key,
                        duration_minutes=50,
                        is_teletherapy=tele,
                        created_by=owner_user,
                    ),
                    starts,
                )
            )
    made = AppointmentSeries.objects.bulk_create([p[0] for p in plans], batch_size=1000)
    batch: list[Appointment] = []
    for one, (_, starts) in zip(made, plans, strict=True):
        for start in starts:
            batch.append(
                Appointment(
                    practice=practice,
                    therapist_id=one.therapist_id,
                    client_id=one.client_id,
                    start=start,
                    end=start + timedelta(minutes=50),
                    is_teletherapy=one.is_teletherapy,
                    location="teletherapy" if one.is_teletherapy else "office",
                    created_by=owner_user,
                    series=one,
                    series_start=start,
                )
            )
        if len(batch) >= 10_000:
            Appointment.objects.bulk_create(batch, batch_size=2000)
            batch = []
    Appointment.objects.bulk_create(batch, batch_size=2000)


def wait_until_up(port: int, process: subprocess.Popen[bytes], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit("the app exited early")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise SystemExit("the app did not start")


def timed_get(conn: http.client.HTTPConnection, path: str, cookie: str | None) -> float:
    headers = {"Cookie": f"sessionid={cookie}"} if cookie else {}
    started = time.perf_counter()
    conn.request("GET", path, headers=headers)
    response = conn.getresponse()
    body = response.read()
    elapsed = time.perf_counter() - started
    if response.status != 200:
        raise SystemExit(f"GET {path}: {response.status}\n{body[:500]!r}")
    return elapsed * 1000


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[94]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200, help="per page (default 200)")
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    args = parser.parse_args()

    var_dir = Path(tempfile.mkdtemp(prefix="bench-schedule-"))
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
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "daphne",
                "-b",
                "127.0.0.1",
                "-p",
                str(port),
                "config.asgi:application",
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=(var_dir / "server.log").open("wb"),
        )
        wait_until_up(port, process)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        today: str = data["today"]  # type: ignore[assignment]

        def week_of(built: dict[str, Any]):  # type: ignore[no-untyped-def]
            therapist_ids: list[int] = built["therapist_ids"]
            sessions: list[str] = built["therapist_sessions"]
            owner: str = built["owner_session"]

            def week(i: int) -> tuple[str, str]:
                # Alternate the owner (who picks among 50 therapists) and therapists (their own).
                if i % 2:
                    return (
                        f"/schedule/?therapist={therapist_ids[i % len(therapist_ids)]}"
                        f"&date={today}",
                        owner,
                    )
                return f"/schedule/?date={today}", sessions[i % len(sessions)]

            return week, lambda i: ("/dashboard/", sessions[i % len(sessions)])

        plain_week, plain_dashboard = week_of(data["plain"])  # type: ignore[arg-type]
        series_week, series_dashboard = week_of(data["series"])  # type: ignore[arg-type]
        pages = {
            "week view": plain_week,
            "dashboard": plain_dashboard,
            "week view (series)": series_week,
            "dashboard (series)": series_dashboard,
            "trivial (sign-in page)": lambda i: ("/accounts/sign-in/", None),
        }
        for i in range(20):  # warm up
            for make in pages.values():
                timed_get(conn, *make(i))
        timings: dict[str, list[float]] = {name: [] for name in pages}
        for i in range(args.requests):
            for name, make in pages.items():
                timings[name].append(timed_get(conn, *make(i)))
        trivial = timings["trivial (sign-in page)"]
        vendor = "PostgreSQL" if base_url else "SQLite"
        print(f"\n{vendor}, {args.requests} sequential requests per page, one daphne process:")
        print(f"{'page':<24}{'median ms':>10}{'p95 ms':>10}{'median ×':>10}{'p95 ×':>8}")
        for name, values in timings.items():
            print(
                f"{name:<24}{statistics.median(values):>10.1f}{p95(values):>10.1f}"
                f"{statistics.median(values) / statistics.median(trivial):>10.1f}"
                f"{p95(values) / p95(trivial):>8.1f}"
            )
        for name, values in timings.items():
            if name == "trivial (sign-in page)":
                continue
            ratio = p95(values) / p95(trivial)
            verdict = "meets" if p95(values) < TARGET_MS and ratio < TARGET_RATIO else "MISSES"
            print(
                f"{name}: p95 {p95(values):.1f} ms, {ratio:.1f}x the trivial page: {verdict} "
                f"the target (< {TARGET_MS} ms, < {TARGET_RATIO}x)"
            )
    finally:
        if process is not None:
            process.terminate()
            process.wait(timeout=10)
        if pg_name and not args.keep:
            from django.db import connections

            connections.close_all()
            drop_postgres(base_url, pg_name)
        if not args.keep:
            shutil.rmtree(var_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
