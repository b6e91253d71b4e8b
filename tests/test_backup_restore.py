"""Backup as docs/deploy.md says: pg_dump of a populated practice, restored with pg_restore
into a new database, is served by the app (sign-in sessions, clients, schedule, audit log)."""

from __future__ import annotations

import os
import secrets
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest
from django.db import connection

PGBIN = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: float(p.parent.name))


def _pg(binary: str, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    if not PGBIN:
        pytest.fail("PostgreSQL's client programs are missing: run scripts/test-deps")
    result = subprocess.run(
        [str(PGBIN[-1] / binary), *args], env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, f"{binary}: {result.stderr}"
    return result


def _drop_when_unused(name: str, *, env: dict[str, str]) -> None:
    """Drop the database once its last session is gone (the app's just stopped; autovacuum
    may be looking at the fresh restore, and only a superuser could end that one)."""
    deadline = time.monotonic() + 60
    while True:
        result = subprocess.run(
            [str(PGBIN[-1] / "dropdb"), "--if-exists", name],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        if result.returncode == 0:
            return
        if "being accessed by other users" not in result.stderr or time.monotonic() > deadline:
            raise AssertionError(f"dropdb: {result.stderr}")
        time.sleep(0.2)


def _get(url: str, session: str) -> tuple[int, str]:
    request = urllib.request.Request(url, headers={"Cookie": f"sessionid={session}"})
    with urllib.request.urlopen(request, timeout=30) as answer:
        return answer.status, answer.read().decode()


@pytest.mark.postgres
def test_a_dump_restores_into_a_new_database_that_the_app_serves(
    cast, live_server_factory, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    from teletherapy.audit.models import AuditEvent

    assert connection.vendor == "postgresql"
    params = connection.settings_dict
    env = {
        **os.environ,
        "PGHOST": str(params["HOST"]),
        "PGPORT": str(params["PORT"]),
        "PGUSER": str(params["USER"]),
        "PGPASSWORD": str(params["PASSWORD"]),
    }
    session = cast.client_for("therapist").cookies["sessionid"].value
    audit_rows = AuditEvent.objects.count()
    client = cast.client_with_portal

    # The backup, as the guide runs it: custom format, no owner or privileges baked in.
    dump = tmp_path / "teletherapy.dump"
    _pg(
        "pg_dump",
        "--format=custom",
        "--no-owner",
        "--no-acl",
        "-f",
        str(dump),
        str(params["NAME"]),
        env=env,
    )

    # Restore into a database that did not exist.
    restored = f"restore_{secrets.token_hex(4)}"
    _pg("createdb", restored, env=env)
    try:
        _pg(
            "pg_restore",
            "--no-owner",
            "--no-acl",
            "--exit-on-error",
            "-d",
            restored,
            str(dump),
            env=env,
        )
        url = (
            f"postgres://{params['USER']}:{params['PASSWORD']}@{params['HOST']}:"
            f"{params['PORT']}/{restored}"
        )
        check = _pg(
            "psql", "-tAX", "-d", restored, "-c", "SELECT count(*) FROM audit_auditevent", env=env
        )
        assert int(check.stdout.strip()) == audit_rows

        server = live_server_factory(env={"DATABASE_URL": url})
        try:
            status, body = _get(server.url + "/healthz", session)
            assert status == 200, body
            # The therapist's sign-in survived the restore, and their client is there.
            status, body = _get(server.url + "/clients/", session)
            assert status == 200
            assert client.last_name in body
            status, body = _get(server.url + f"/clients/{client.pk}/", session)
            assert status == 200 and client.first_name in body
        finally:
            server.stop()
    finally:
        _drop_when_unused(restored, env=env)
