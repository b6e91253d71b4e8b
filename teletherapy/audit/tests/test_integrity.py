"""Audit integrity: every row is chained by hash to its practice's previous row,
`manage.py verify_audit` names the first broken row, PostgreSQL refuses to change or delete a
row, and an Owner exports the log as CSV."""

from __future__ import annotations

import csv
import io
import threading
from datetime import datetime

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction
from django.urls import reverse

from teletherapy.audit.chain import GENESIS
from teletherapy.audit.models import Action, AuditEvent
from teletherapy.audit.services import record


def _verify() -> str:
    out = io.StringIO()
    call_command("verify_audit", stdout=out)
    return out.getvalue()


def _rows(cast) -> list[AuditEvent]:  # type: ignore[no-untyped-def]
    events = [
        record(Action.SIGN_IN, actor=cast.therapist.user, ip="203.0.113.5"),
        record(Action.CLIENT_VIEWED, actor=cast.owner.user, obj=cast.client_with_portal),
        record(Action.SIGN_IN, actor=cast.other_owner.user),
        record(Action.ROLES_CHANGED, actor=cast.owner.user, obj=cast.biller, after=["biller"]),
        record(Action.SIGN_IN_FAILED, actor_label="stranger@example.com"),
    ]
    return events


@pytest.mark.django_db
def test_each_row_is_chained_to_its_practices_previous_row(cast) -> None:  # type: ignore[no-untyped-def]
    first, second, other, third, stranger = _rows(cast)
    assert first.prev_hash == GENESIS and second.prev_hash == first.hash
    assert third.prev_hash == second.hash
    assert other.prev_hash == GENESIS and stranger.prev_hash == GENESIS
    assert len({first.hash, second.hash, third.hash, other.hash}) == 4
    assert "Audit log intact: 5 rows in 3 chains." in _verify()


def _tamper(sql: str, params: list[str | int]) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


@pytest.mark.django_db
def test_verify_audit_names_a_changed_row(cast) -> None:  # type: ignore[no-untyped-def]
    _, second, _, _, _ = _rows(cast)
    _tamper(
        "UPDATE audit_auditevent SET object_label = %s WHERE id = %s", ["Someone else", second.pk]
    )
    with pytest.raises(CommandError, match=rf"broken at row {second.pk} \(practice:"):
        _verify()


@pytest.mark.django_db
def test_verify_audit_names_the_row_after_a_removed_one(cast) -> None:  # type: ignore[no-untyped-def]
    _, second, _, third, _ = _rows(cast)
    _tamper("DELETE FROM audit_auditevent WHERE id = %s", [second.pk])
    with pytest.raises(CommandError, match=rf"broken at row {third.pk} .*previous row"):
        _verify()


@pytest.mark.django_db
def test_verify_audit_notices_rows_cut_from_the_end(cast) -> None:  # type: ignore[no-untyped-def]
    _, second, _, third, _ = _rows(cast)
    _tamper("DELETE FROM audit_auditevent WHERE id = %s", [third.pk])
    with pytest.raises(CommandError, match=rf"broken at row {second.pk} .*missing"):
        _verify()


def _concurrent_records(cast, threads: int = 8, each: int = 15) -> None:  # type: ignore[no-untyped-def]
    from django.db import connections

    barrier = threading.Barrier(threads)
    errors: list[BaseException] = []

    def work(n: int) -> None:
        try:
            barrier.wait(timeout=30)
            for i in range(each):
                with transaction.atomic():
                    record(Action.CLIENT_VIEWED, actor=cast.owner.user, worker=n, i=i)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    workers = [threading.Thread(target=work, args=(n,)) for n in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    assert not errors, errors
    assert AuditEvent.objects.filter(practice=cast.practice).count() == threads * each
    assert "Audit log intact" in _verify()


@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_keep_one_chain_on_sqlite(cast) -> None:  # type: ignore[no-untyped-def]
    if connection.vendor != "sqlite":
        pytest.skip("the PostgreSQL run has its own test")
    _concurrent_records(cast, threads=4, each=10)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_keep_one_chain_on_postgresql(cast) -> None:  # type: ignore[no-untyped-def]
    if connection.vendor != "postgresql":
        pytest.skip("needs DATABASE_URL pointing at PostgreSQL")
    _concurrent_records(cast)


@pytest.mark.postgres
@pytest.mark.django_db
@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE audit_auditevent SET object_label = 'changed' WHERE id = %s",
        "DELETE FROM audit_auditevent WHERE id = %s",
    ],
)
def test_postgresql_refuses_to_change_or_delete_an_audit_row(cast, sql) -> None:  # type: ignore[no-untyped-def]
    if connection.vendor != "postgresql":
        pytest.skip("needs DATABASE_URL pointing at PostgreSQL")
    event = record(Action.SIGN_IN, actor=cast.owner.user)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        _tamper(sql, [event.pk])
    assert AuditEvent.objects.get(pk=event.pk).object_label == event.object_label


EXPORT = "/settings/audit/export/"


@pytest.mark.django_db
def test_an_owner_exports_a_date_range_as_csv(cast) -> None:  # type: ignore[no-untyped-def]
    for day in ("2026-05-01", "2026-05-10", "2026-05-20"):
        with time_machine.travel(datetime.fromisoformat(f"{day} 15:00:00+00:00"), tick=False):
            record(Action.SIGN_IN, actor=cast.therapist.user, note=f"on {day}")
    record(Action.SIGN_IN, actor=cast.other_owner.user)
    record(Action.STAFF_UPDATED, actor=cast.owner.user, obj=cast.biller, label="=HYPERLINK(1)")
    response = cast.client_for("owner").get(
        EXPORT, {"date_from": "2026-05-05", "date_to": "2026-05-25"}
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    assert "no-store" in response["Cache-Control"]
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][:4] == ["id", "time (UTC)", "who", "action"]
    assert [row[8] for row in rows[1:]] == [
        '{"note": "on 2026-05-10"}',
        '{"note": "on 2026-05-20"}',
    ]
    assert "ZZSECRET" not in response.content.decode()
    exported = AuditEvent.objects.get(action=Action.AUDIT_EXPORTED)
    assert exported.actor == cast.owner.user and exported.details["rows"] == 2


@pytest.mark.django_db
def test_exported_cells_cannot_be_spreadsheet_formulas(cast) -> None:  # type: ignore[no-untyped-def]
    record(Action.SIGN_IN_FAILED, practice=cast.practice, actor_label="=cmd|' /C calc'!A0")
    rows = list(csv.reader(io.StringIO(cast.client_for("owner").get(EXPORT).content.decode())))
    assert rows[1][2] == "'=cmd|' /C calc'!A0"


@pytest.mark.django_db
def test_only_owners_export_and_the_log_page_offers_it_to_them(cast) -> None:  # type: ignore[no-untyped-def]
    assert cast.client_for("manager").get(EXPORT).status_code == 403
    assert "Download CSV" in cast.client_for("owner").get(reverse("audit:log")).content.decode()
    assert (
        "Download CSV" not in cast.client_for("manager").get(reverse("audit:log")).content.decode()
    )
