"""Every URL route × every persona × method answers the status its matrix row says."""

from __future__ import annotations

import importlib
import pkgutil

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

import teletherapy
from teletherapy.test.matrix import Row
from teletherapy.test.personas import PERSONAS


def _rows() -> list[Row]:
    rows: list[Row] = []
    for app in pkgutil.iter_modules(teletherapy.__path__):
        try:
            module = importlib.import_module(f"teletherapy.{app.name}.tests.matrix")
        except ModuleNotFoundError:
            continue
        rows.extend(module.ROWS)
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


ROWS = _rows()


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
@pytest.mark.parametrize("row", ROWS, ids=lambda r: f"{r.method} {r.name}{r.query}")
def test_matrix(row: Row, persona: str, cast) -> None:
    from django.urls import reverse

    http = cast.client_for(persona)
    url = reverse(row.name, kwargs=row.kwargs(cast)) + row.query
    response = http.generic(
        row.method,
        url,
        data=_encode(row.data(cast)),
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == row.expect[persona], (
        f"{persona} {row.method} {url}: got {response.status_code}, expected {row.expect[persona]}"
    )
    if persona != "anonymous":
        # Issue 9, hole 5: nothing shown to a signed-in person may be cached.
        assert "no-store" in response.get("Cache-Control", ""), f"{persona} {row.method} {url}"


def _encode(data: dict) -> str:
    from urllib.parse import urlencode

    return urlencode(data, doseq=True)
