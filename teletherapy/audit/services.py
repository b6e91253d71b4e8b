"""Write audit events. Every state change calls record() inside its transaction."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.http import HttpRequest

from teletherapy.audit.models import Action, AuditEvent
from teletherapy.lib.net import client_address


def client_ip(request: HttpRequest | None) -> str | None:
    """The requester's address, the same one the sign-in lockout counts (see lib/net.py)."""
    return client_address(request) if request is not None else None


def practice_of(user: Any) -> Any:
    """The practice a staff member works in or a client is a client of (None if neither), so
    every event about an account shows in that practice's log."""
    membership = getattr(user, "staff", None) if user.is_staff_member else None
    if membership is None and user.is_client:
        membership = getattr(user, "client", None)
    return membership.practice if membership is not None else None


def record(
    action: Action,
    *,
    actor: Any = None,
    practice: Any = None,
    obj: models.Model | None = None,
    request: HttpRequest | None = None,
    ip: str | None = None,
    actor_label: str = "",
    **details: Any,
) -> AuditEvent:
    """Append one audit row: who, which practice, what, on which object, when, from where."""
    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None
    if practice is None and actor is not None:
        practice = practice_of(actor)
    return AuditEvent.objects.create(
        action=action,
        actor=actor,
        actor_label=actor_label or (str(actor) if actor else ""),
        practice=practice,
        object_type=(obj._meta.model_name or "") if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        object_label=str(obj)[:200] if obj is not None else "",
        ip=ip or client_ip(request),
        details=details,
    )
