"""Ids from forms and addresses: only what a database column can hold gets through."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from teletherapy.lib.fields import MAX_PK, parse_pk


@pytest.mark.parametrize(
    ("text", "pk"),
    [
        ("42", 42),
        (" 7 ", 7),
        (str(MAX_PK), MAX_PK),
        (str(MAX_PK + 1), None),
        ("²", None),
        ("٣", None),
        ("-1", None),
        ("1e3", None),
        ("", None),
        ("0x10", None),
    ],
)
def test_parse_pk(text: str, pk: int | None) -> None:
    assert parse_pk(text) == pk


@given(st.text(max_size=30))
def test_parse_pk_never_raises_and_returns_an_id_a_column_holds(text: str) -> None:
    pk = parse_pk(text)
    assert pk is None or 0 <= pk <= MAX_PK
