"""Say in words what an audit row's details hold."""

from __future__ import annotations

from typing import Any

from django import template

from teletherapy.lib.states import state_name
from teletherapy.practice.models import Role

register = template.Library()


def _roles(value: Any) -> str:
    return ", ".join(Role(r).label for r in Role.values if r in value) or "none"


@register.filter
def describe(details: dict[str, Any]) -> str:
    """A short plain-language summary of the details of one event."""
    if not isinstance(details, dict):
        return ""
    parts: list[str] = []
    before, after = details.get("before"), details.get("after")
    if isinstance(before, list) and isinstance(after, list):
        parts.append(f"{_roles(before)} \u2192 {_roles(after)}")
    elif isinstance(before, dict) and isinstance(after, dict):
        for key in after:
            if before.get(key) != after.get(key):
                old, new = before.get(key), after.get(key)
                if key == "licensed_states":
                    old = ", ".join(state_name(s) for s in old or []) or "none"
                    new = ", ".join(state_name(s) for s in new or []) or "none"
                parts.append(f"{key.replace('_', ' ')}: {old} \u2192 {new}")
    if "roles" in details and isinstance(details["roles"], list):
        parts.append(f"roles: {_roles(details['roles'])}")
    if details.get("resent"):
        parts.append("sent again")
    if "two_step" in details:
        parts.append(f"two-step sign-in {details['two_step']}")
    if details.get("reason"):
        parts.append(str(details["reason"]))
    return "; ".join(parts)
