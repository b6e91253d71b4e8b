"""The audit log's hash chain: each row's hash covers its content and the previous row's hash
in the same practice, so a changed, removed or inserted row breaks every hash after it.

Pure functions over plain values: record() uses them to write, verify_audit to check, and the
migration that chained the rows written before the chain existed.
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

GENESIS = "0" * 64
FIELDS = (
    "at",
    "practice_id",
    "actor_id",
    "actor_label",
    "action",
    "object_type",
    "object_id",
    "object_label",
    "ip",
    "details",
)


def chain_key(practice_id: int | None) -> str:
    """Each practice has its own chain; events tied to no practice share one."""
    return f"practice:{practice_id}" if practice_id is not None else "global"


def _normal(name: str, value: Any) -> Any:
    # The value as it reads back from any database, so a stored row hashes the same.
    if name == "at":
        assert isinstance(value, datetime)
        return value.astimezone(UTC).isoformat(timespec="microseconds")
    if name == "ip":
        return str(ipaddress.ip_address(value)) if value else ""
    if name == "details":
        return json.loads(json.dumps(value or {}, sort_keys=True, default=str))
    return value if value is not None else ""


def row_hash(prev_hash: str, values: dict[str, Any]) -> str:
    """SHA-256 over the previous hash and the row's content, in a canonical form."""
    content = {name: _normal(name, values.get(name)) for name in FIELDS}
    payload = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(f"{prev_hash}\n{payload}".encode()).hexdigest()


@dataclass(frozen=True)
class Break:
    row_id: int
    key: str
    reason: str


def first_break(rows: Iterable[dict[str, Any]], *, head: str | None = None) -> Break | None:
    """The first row of one chain (rows in id order) that does not fit, or None.

    `head` is the last hash the chain head recorded: a mismatch means rows were removed from
    the end.
    """
    prev = GENESIS
    last_id = 0
    key = ""
    for row in rows:
        key = chain_key(row["practice_id"])
        last_id = row["id"]
        if row["prev_hash"] != prev:
            return Break(row["id"], key, "its link to the previous row does not match")
        if row["hash"] != row_hash(prev, row):
            return Break(row["id"], key, "its content does not match its hash")
        prev = row["hash"]
    if head is not None and head != prev:
        return Break(last_id, key, "rows after it are missing")
    return None
