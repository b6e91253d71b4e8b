"""Data built once per test module and rolled back, such as the persona cast.

A module-scoped fixture opens a transaction, builds the data and keeps the transaction open
while the module's tests run; pytest-django wraps each of those tests in its own atomic block,
which is a savepoint inside it, so whatever a test writes is undone before the next one. Each
test gets a deep copy of the built objects, so changes to them in Python do not leak either.
At the module's end the transaction is rolled back and the database is empty again.

Transactional tests (a live server, consumers, races) need committed rows that other
connections can read: for them the shared transaction is closed first and the data is built
afresh, committed, as before. pytest_env.py orders each module's tests so that those that do
not use shared data run before it is built.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

import pytest
from django.db import transaction
from django.db.transaction import Atomic

T = TypeVar("T")

# The fixtures that hand out shared data; pytest_env.py reads this to order tests.
SHARED_FIXTURES = ("cast", "fcast")


@dataclass
class _Open:
    kind: str
    atomic: Atomic
    connection: Any
    value: Any


# At most one module's transaction is open at a time.
_open: _Open | None = None


def _transactional_item(item: Any) -> bool:
    marker = item.get_closest_marker("django_db")
    if marker is not None and (
        marker.kwargs.get("transaction") or marker.kwargs.get("reset_sequences")
    ):
        return True
    names = set(getattr(item, "fixturenames", ()))
    return bool(names & {"transactional_db", "live_server", "live_server_factory"})


def is_transactional(request: pytest.FixtureRequest) -> bool:
    """Whether pytest-django runs this test with committed data (as it decides it)."""
    return _transactional_item(request.node)


def close_shared() -> None:
    """Roll back the open module transaction, if any."""
    global _open
    if _open is None:
        return
    shared, _open = _open, None
    if transaction.get_connection() is shared.connection and shared.connection.in_atomic_block:
        transaction.set_rollback(True)
        shared.atomic.__exit__(None, None, None)
    else:
        # Reached from another context (Playwright's event loop): closing the connection
        # rolls its transaction back.
        shared.connection.close()


def _shares(request: pytest.FixtureRequest, kind: str) -> bool:
    """Whether a test of this module that is not transactional uses `kind`. (On the file
    database too: a test marked file_db that does not commit sees the module's data like any
    other, inside the same open transaction.)"""
    return any(
        getattr(item, "module", None) is request.module
        and kind in getattr(item, "fixturenames", ())
        and not _transactional_item(item)
        for item in request.session.items
    )


def module_data(
    request: pytest.FixtureRequest, kind: str, build: Callable[[], Any], blocker: Any
) -> Iterator[None]:
    """Body of a module-scoped fixture: build `kind` inside a transaction kept open for the
    module. Runs before any of the module's tests opens its own atomic block. A module whose
    tests are all transactional builds nothing here: each of its tests builds its own."""
    global _open
    if not _shares(request, kind):
        yield
        return
    with blocker.unblock():
        close_shared()
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            _open = _Open(
                kind=kind, atomic=atomic, connection=transaction.get_connection(), value=build()
            )
        except BaseException:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)
            raise
    opened = _open
    try:
        yield
    finally:
        if _open is opened:
            with blocker.unblock():
                close_shared()


def take(request: pytest.FixtureRequest, kind: str, build: Callable[[], T]) -> T:
    """Body of the function-scoped fixture: this test's copy of the module's `kind`."""
    if is_transactional(request):
        close_shared()
        return build()
    if _open is None:
        return build()  # inside this test's own atomic block, as before
    if _open.kind != kind:
        raise RuntimeError(
            f"this test wants {kind!r} while the module's {_open.kind!r} is built: "
            "use one of them per test module"
        )
    return copy.deepcopy(_open.value)


@pytest.fixture(autouse=True)
def _no_shared_data_under_transactional_tests(
    request: pytest.FixtureRequest, django_db_blocker: Any
) -> None:
    """A transactional test commits and flushes: the module's transaction must be closed."""
    if _open is not None and is_transactional(request):
        with django_db_blocker.unblock():
            close_shared()
