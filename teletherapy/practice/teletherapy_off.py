"""What happens to a therapist's booked Teletherapy Sessions when their Teletherapy is
switched off. The practice app knows no appointments: the scheduling app registers here (in
its AppConfig.ready) how to list them and how to keep them in person or cancel them, and
Practice Settings asks and passes the answer on."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from teletherapy.practice.models import StaffMember

FIELD = "booked"
KEEP = "keep"
CANCEL = "cancel"
CHOICES = (
    (KEEP, "Keep them, as in-person appointments (the clients get an updated invitation)"),
    (CANCEL, "Cancel them and email the clients"),
)


@dataclass(frozen=True)
class Handler:
    # (therapist, zone name) -> one line per upcoming Teletherapy Session, soonest first
    describe: Callable[[StaffMember, str], list[str]]
    # (therapist=, by=, choice=, request=) -> how many appointments were changed
    resolve: Callable[..., int]


_HANDLER: list[Handler] = []


def register(handler: Handler) -> None:
    _HANDLER[:] = [handler]


def booked(therapist: StaffMember, tz_name: str) -> list[str]:
    """The therapist's upcoming Teletherapy Sessions, as lines to show (none registered: [])."""
    return _HANDLER[0].describe(therapist, tz_name) if _HANDLER else []


def resolve(*, therapist: StaffMember, by: StaffMember, choice: str, request: Any) -> int:
    if choice not in (KEEP, CANCEL):
        raise ValueError(f"unknown choice {choice!r}")
    if not _HANDLER:
        return 0
    return _HANDLER[0].resolve(therapist=therapist, by=by, choice=choice, request=request)
