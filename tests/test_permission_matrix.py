"""Every URL route × every persona × method answers the status its matrix row says, and the
WebSocket route accepts or closes with the code its rows say. The terminal summary prints the
number of cells checked and mismatches (teletherapy/test/matrix.py TALLY)."""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import pkgutil
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import time_machine
from django.conf import settings
from django.urls import URLPattern, URLResolver, get_resolver

import teletherapy
from teletherapy.test.matrix import ACCEPT, TALLY, Row, SocketRow
from teletherapy.test.personas import PERSONAS, Cast, build_cast

# The socket rows need committed data (the consumer reads from other threads); keep the whole
# matrix in one test process so the printed figures cover all of it.
pytestmark = pytest.mark.file_db


def _rows(attribute: str = "ROWS") -> list[Any]:
    rows: list[Any] = []
    for app in pkgutil.iter_modules(teletherapy.__path__):
        try:
            module = importlib.import_module(f"teletherapy.{app.name}.tests.matrix")
        except ModuleNotFoundError:
            continue
        rows.extend(getattr(module, attribute, []))
    return rows


def _route_names(resolver: URLResolver | None = None, prefix: str = "") -> set[str]:
    names: set[str] = set()
    for entry in (resolver or get_resolver()).url_patterns:
        if isinstance(entry, URLResolver):
            ns = f"{prefix}{entry.namespace}:" if entry.namespace else prefix
            names |= _route_names(entry, ns)
        elif isinstance(entry, URLPattern):
            assert entry.name, f"route {entry.pattern} has no name"
            names.add(prefix + entry.name)
    return names


ROWS: list[Row] = _rows()
SOCKET_ROWS: list[SocketRow] = _rows("SOCKET_ROWS")


@contextlib.contextmanager
def _at(row: Row | SocketRow, cast: Cast) -> Iterator[None]:
    if row.at is None:
        yield
        return
    with time_machine.travel(row.at(cast), tick=True):
        yield


def test_socket_route_has_rows() -> None:
    from teletherapy.alerts.routing import websocket_urlpatterns as alerts
    from teletherapy.video.routing import websocket_urlpatterns

    assert len(websocket_urlpatterns) == 2, "a new WebSocket route needs its SOCKET_ROWS"
    assert len(alerts) == 1, "a new WebSocket route needs its SOCKET_ROWS"
    assert {row.name for row in SOCKET_ROWS} == {"sessions", "sessions-mesh", "alerts"}
    assert {row.when for row in SOCKET_ROWS} >= {"open", "closed"}


async def _connect(path: str, cookie: str | None) -> str | int:
    from config.asgi import application
    from teletherapy.test.sockets import WebsocketCommunicator

    headers = [(b"origin", settings.SITE_URL.encode())]
    if cookie:
        headers.append((b"cookie", f"sessionid={cookie}".encode()))
    ws = WebsocketCommunicator(application, path, headers=headers)
    connected, code = await ws.connect()
    if connected:
        await ws.disconnect()
        return ACCEPT
    return int(code)


def test_socket_matrix(transactional_db: None) -> None:
    """Each persona's session on the signaling socket, window closed and open, for both
    practices' sessions. Runs first in this module (no shared cast): it commits its own."""
    from teletherapy.video.models import VideoSession

    cast = build_cast()
    # The clients have said where they are, so an accepted client is not asked first.
    VideoSession.objects.create(appointment=cast.tele_appointment, client_location="NJ")
    VideoSession.objects.create(appointment=cast.other_appointment, client_location="CA")
    wrong: list[str] = []
    with ThreadPoolExecutor(max_workers=1) as pool:
        for row in SOCKET_ROWS:
            with _at(row, cast):
                for persona in PERSONAS:
                    http = cast.client_for(persona)
                    cookie = (
                        http.cookies["sessionid"].value if "sessionid" in http.cookies else None
                    )
                    path = row.path(cast)
                    got = pool.submit(asyncio.run, _connect(path, cookie)).result()
                    cell = f"{persona} WS {path} ({row.when})"
                    if not TALLY.check("socket", cell, got, row.expect[persona]):
                        wrong.append(f"{cell}: got {got}, expected {row.expect[persona]}")
    assert not wrong, "\n".join(wrong)


def test_every_route_has_a_row() -> None:
    covered = {row.name for row in ROWS}
    missing = _route_names() - covered
    assert not missing, f"routes without a permission-matrix row: {sorted(missing)}"


def test_every_route_answers_a_wrong_method() -> None:
    """Each route name also has a row for a method it refuses (405), or says why not."""
    names_with_405 = {row.name for row in ROWS if 405 in row.expect.values()}
    missing = _route_names() - names_with_405
    assert not missing, f"routes without a wrong-method (405) row: {sorted(missing)}"


@pytest.mark.django_db
@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize(
    "row", ROWS, ids=lambda r: f"{r.method} {r.name}{r.query}{' ' + r.when if r.when else ''}"
)
def test_matrix(row: Row, persona: str, cast: Cast) -> None:
    from django.urls import reverse

    with _at(row, cast):
        http = cast.client_for(persona)
        url = reverse(row.name, kwargs=row.kwargs(cast)) + row.query
        response = http.generic(
            row.method,
            url,
            data=_encode(row.data(cast)),
            content_type="application/x-www-form-urlencoded",
        )
    cell = f"{persona} {row.method} {url}{' (' + row.when + ')' if row.when else ''}"
    assert TALLY.check("http", cell, response.status_code, row.expect[persona]), (
        f"{cell}: got {response.status_code}, expected {row.expect[persona]}"
    )
    if persona != "anonymous":
        # Issue 9, hole 5: nothing shown to a signed-in person may be cached.
        assert "no-store" in response.get("Cache-Control", ""), f"{persona} {row.method} {url}"


def _encode(data: dict) -> str:
    from urllib.parse import urlencode

    return urlencode(data, doseq=True)
