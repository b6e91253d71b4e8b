"""Work the portal's pages queue instead of doing it inside the request."""

from __future__ import annotations

from django.db import transaction
from django.http import HttpRequest
from django_tasks import task

from teletherapy.audit.services import client_ip
from teletherapy.clients.services import request_password_reset as send_resets


def request_password_reset(*, identifier: str, request: HttpRequest | None = None) -> None:
    """'Forgot password': queue the request; the task decides whether an account matches.

    The request does the same work whoever the identifier belongs to (one queued task) and
    the page answers the same way, so neither it nor its timing tells who has an account."""
    identifier = identifier.strip()[:254]
    ip = client_ip(request) or ""
    transaction.on_commit(lambda: portal_reset_requested.enqueue(identifier=identifier, ip=ip))


@task()
def portal_reset_requested(*, identifier: str, ip: str = "") -> None:
    """Email a reset link to each client account `identifier` names (none: nothing)."""
    send_resets(identifier=identifier, ip=ip or None)
