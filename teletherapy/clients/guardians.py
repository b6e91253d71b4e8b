"""The rules for a minor's guardians, shared by the client form (a message beside the field)
and the services (which refuse what the form would have refused)."""

from __future__ import annotations

from teletherapy.clients.models import Client


def guardian_problem(*, minor: Client | None, guardian: Client, practice_id: int) -> str:
    """Why `guardian` can't be a guardian of `minor` (None: a client being added), or ""."""
    if guardian.practice_id != practice_id:
        # Another practice's client looks like one that does not exist.
        return "Not found: choose guardians from this practice's clients."
    if minor is not None and guardian.pk == minor.pk:
        return "A client can't be their own guardian."
    if guardian.is_minor:
        return f"{guardian.full_name} is marked as a minor; a guardian must be an adult client."
    if not guardian.is_active:
        return f"{guardian.full_name} is inactive; reactivate them first."
    return ""


def duplicate_ids(raw: list[str]) -> list[str]:
    """The ids chosen more than once in the submitted list, in their first order."""
    seen: set[str] = set()
    twice: list[str] = []
    for value in raw:
        text = str(value).strip()
        if text in seen and text not in twice:
            twice.append(text)
        seen.add(text)
    return twice
