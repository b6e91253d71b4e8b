"""The audit log as CSV, safe to open in a spreadsheet."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable
from datetime import UTC
from typing import Any, Protocol

from teletherapy.audit.models import AuditEvent

HEADER = [
    "id",
    "time (UTC)",
    "who",
    "action",
    "object type",
    "object id",
    "object",
    "IP address",
    "details",
    "previous hash",
    "hash",
]
# A cell starting with one of these is a formula to a spreadsheet: prefix it so it is text.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class Writable(Protocol):
    def write(self, data: Any, /) -> Any: ...


def _cell(value: Any) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def write_csv(out: Writable, events: Iterable[AuditEvent]) -> int:
    """Write `events` as CSV rows to `out`; return how many."""
    writer = csv.writer(out)
    writer.writerow(HEADER)
    count = 0
    for event in events:
        writer.writerow(
            [
                _cell(value)
                for value in (
                    event.pk,
                    event.at.astimezone(UTC).isoformat(timespec="seconds"),
                    event.actor_label,
                    event.get_action_display(),
                    event.object_type,
                    event.object_id,
                    event.object_label,
                    event.ip,
                    json.dumps(event.details, sort_keys=True) if event.details else "",
                    event.prev_hash,
                    event.hash,
                )
            ]
        )
        count += 1
    return count
