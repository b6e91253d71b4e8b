"""Short marks that higher apps put on appointments in My Schedule (for example "Confirmed"
from reminders), without a query of their own: a marker is a label and a boolean expression
on the appointment (an Exists() subquery, say), annotated onto the page's one query. Markers
register from their AppConfig.ready()."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db.models.expressions import BaseExpression

_MARKERS: list[tuple[str, BaseExpression]] = []


def register(label: str, condition: BaseExpression) -> None:
    """Show `label` on every appointment for which `condition` is true (once per label)."""
    if all(known != label for known, _ in _MARKERS):
        _MARKERS.append((label, condition))


def annotate_with() -> dict[str, BaseExpression]:
    """The expressions to annotate the appointments' query with."""
    return {f"mark_{index}": condition for index, (_, condition) in enumerate(_MARKERS)}


def apply(appointments: Sequence[Any]) -> None:
    """Set `marks` (a list of short labels) on each appointment of an annotated query."""
    for appointment in appointments:
        appointment.marks = [
            label
            for index, (label, _) in enumerate(_MARKERS)
            if getattr(appointment, f"mark_{index}", False)
        ]
