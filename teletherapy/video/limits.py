"""Limits on what one signaling connection (or one refused person) can make the server do."""

from __future__ import annotations

import time
from dataclasses import dataclass, field


@dataclass
class TokenBucket:
    """`rate` tokens a second, at most `burst` saved up; take() spends one if there is one."""

    rate: float
    burst: float
    tokens: float = -1.0
    stamp: float = field(default_factory=time.monotonic)

    def __post_init__(self) -> None:
        if self.tokens < 0:
            self.tokens = self.burst

    def take(self, now: float | None = None) -> bool:
        now = time.monotonic() if now is None else now
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False


class RefusalTally:
    """Keep refused connection attempts from writing unlimited audit rows: at most one row a
    window per (person, appointment, reason) and `per_person` rows a window per person. A row
    says how many refusals were folded into it since the last one (`repeated`)."""

    def __init__(self, *, window: float = 60.0, per_person: int = 10) -> None:
        self.window = window
        self.per_person = per_person
        # key -> (window start, refusals not written since the last row)
        self._keys: dict[tuple[int | None, int, str], tuple[float, int]] = {}
        self._people: dict[int | None, tuple[float, int]] = {}

    def clear(self) -> None:
        self._keys.clear()
        self._people.clear()

    def admit(self, user_id: int | None, appointment_id: int, reason: str) -> int | None:
        """None: fold this refusal into the next row; else write a row now, with the number
        of refusals folded into it."""
        now = time.monotonic()
        if len(self._keys) > 10_000:
            self._forget(now)
        key = (user_id, appointment_id, reason)
        started, folded = self._keys.get(key, (now - self.window, 0))
        person_started, rows = self._people.get(user_id, (now, 0))
        if now - person_started >= self.window:
            person_started, rows = now, 0
        if now - started < self.window or rows >= self.per_person:
            self._keys[key] = (started, folded + 1)
            return None
        self._keys[key] = (now, 0)
        self._people[user_id] = (person_started, rows + 1)
        return folded

    def _forget(self, now: float) -> None:
        self._keys = {k: v for k, v in self._keys.items() if now - v[0] < self.window}
        self._people = {k: v for k, v in self._people.items() if now - v[0] < self.window}
