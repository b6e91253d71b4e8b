"""Write audit events. Every state change calls record() inside its transaction."""

from __future__ import annotations

from typing import Any

from django.db import models, transaction
from django.http import HttpRequest
from django.utils import timezone

from teletherapy.audit.chain import GENESIS, chain_key, row_hash
from teletherapy.audit.models import Action, AuditChain, AuditEvent
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
    """Append one audit row: who, which practice, what, on which object, when, from where,
    chained by hash to the practice's previous row. This is the only place rows are written."""
    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None
    if practice is None and actor is not None:
        practice = practice_of(actor)
    values: dict[str, Any] = {
        "at": timezone.now(),
        "action": action,
        "actor_id": actor.pk if actor is not None else None,
        "actor_label": actor_label or (str(actor) if actor else ""),
        "practice_id": practice.pk if practice is not None else None,
        "object_type": (obj._meta.model_name or "") if obj is not None else "",
        "object_id": str(obj.pk) if obj is not None else "",
        "object_label": str(obj)[:200] if obj is not None else "",
        "ip": ip or client_ip(request),
        "details": details,
    }
    with transaction.atomic():
        # Lock the chain head: the previous hash is read and replaced by one writer at a time.
        head, _ = AuditChain.objects.select_for_update().get_or_create(
            key=chain_key(values["practice_id"]), defaults={"last_hash": GENESIS}
        )
        event = AuditEvent(**values, prev_hash=head.last_hash)
        event.hash = row_hash(head.last_hash, values)
        event.save()
        AuditChain.objects.filter(pk=head.pk).update(last_hash=event.hash, last_event_id=event.pk)
    return event


def record_export(
    *,
    by: Any,
    practice: Any,
    rows: int,
    filters: dict[str, str],
    request: HttpRequest | None = None,
) -> AuditEvent:
    """Audit that someone took a copy of the log out of the product."""
    return record(
        Action.AUDIT_EXPORTED,
        actor=by,
        practice=practice,
        request=request,
        rows=rows,
        filters=filters,
    )
