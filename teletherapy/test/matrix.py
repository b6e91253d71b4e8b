"""Rows of the permission matrix. Each app lists its routes in <app>/tests/matrix.py as ROWS.

A row names a URL, how to fill its arguments from the cast, a method, and the status every
persona must get. tests/test_permission_matrix.py walks the URL resolver, so a route with no
row fails the suite. A row with `at` is asked at that instant (time-machine), e.g. with a
session's launch window open; the video app also lists SOCKET_ROWS for its WebSocket route.

Every cell checked is counted in TALLY; the terminal summary prints
"N cells checked, M mismatches" (conftest.py).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from teletherapy.test.personas import PERSONAS, Cast

STAFF = ("owner", "manager", "therapist", "therapist_plain", "scheduler", "biller")
CLIENTS = ("client", "other_client")


@dataclass(frozen=True)
class Row:
    name: str
    expect: dict[str, int]
    method: str = "GET"
    kwargs: Callable[[Cast], dict[str, Any]] = field(default=lambda cast: {})
    data: Callable[[Cast], dict[str, Any]] = field(default=lambda cast: {})
    query: str = ""
    # When set: the instant the row is asked at (and the label shown in its test id).
    at: Callable[[Cast], datetime] | None = None
    when: str = ""

    def __post_init__(self) -> None:
        missing = set(PERSONAS) - set(self.expect)
        if missing:
            raise ValueError(f"{self.name} {self.method}: no expectation for {sorted(missing)}")


def expect(default: int, **overrides: int) -> dict[str, int]:
    """Every persona gets `default` except those named."""
    result = {persona: default for persona in PERSONAS}
    result.update(overrides)
    return result


def staff_page(
    ok: int = 200,
    *,
    allowed: tuple[str, ...] = STAFF,
    other_practice: int = 404,
    anonymous: int = 302,
) -> dict[str, int]:
    """A staff page: allowed staff get `ok`, other staff 403, clients 403, anonymous is sent
    to sign in, and the other practice's owner gets `other_practice` (404 for objects)."""
    result = {persona: 403 for persona in PERSONAS}
    result.update({persona: ok for persona in allowed})
    result["anonymous"] = anonymous
    result["other_owner"] = other_practice
    return result


def portal_page(ok: int = 200, *, other_client: int | None = None) -> dict[str, int]:
    """A client portal page: the client gets `ok`, staff 403, anonymous is sent to sign in."""
    result = {persona: 403 for persona in PERSONAS}
    result["anonymous"] = 302
    result["client"] = ok
    result["other_client"] = ok if other_client is None else other_client
    return result


def staff_wrong_method() -> dict[str, int]:
    """A staff route asked with a method it does not take: 405 for any staff member (the
    method is checked before the role), clients 403, anonymous sent to sign in."""
    return expect(405, anonymous=302, client=403, other_client=403)


# An expected WebSocket outcome: accepted, or closed with the consumer's code.
ACCEPT = "accept"


@dataclass(frozen=True)
class SocketRow:
    """A WebSocket route: its path from the cast and what every persona gets on connect."""

    name: str
    path: Callable[[Cast], str]
    expect: Mapping[str, str | int]
    at: Callable[[Cast], datetime] | None = None
    when: str = ""

    def __post_init__(self) -> None:
        missing = set(PERSONAS) - set(self.expect)
        if missing:
            raise ValueError(f"{self.name} {self.when}: no expectation for {sorted(missing)}")


@dataclass
class Tally:
    """Cells of the matrix checked in this test run and the mismatches among them."""

    http: int = 0
    socket: int = 0
    mismatches: list[str] = field(default_factory=list)

    def check(self, kind: str, cell: str, got: object, expected: object) -> bool:
        if kind == "socket":
            self.socket += 1
        else:
            self.http += 1
        if got != expected:
            self.mismatches.append(f"{cell}: got {got}, expected {expected}")
            return False
        return True

    def summary(self) -> str:
        total = self.http + self.socket
        return (
            f"Permission matrix: {total} cells checked ({self.http} HTTP, "
            f"{self.socket} WebSocket), {len(self.mismatches)} mismatches"
        )


TALLY = Tally()
