"""What happens when a client uses their portal links and account. Each writes its audit event."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db import transaction
from django.db.models import F
from django.http import HttpRequest
from django.utils import timezone

from teletherapy.accounts import links
from teletherapy.accounts.models import User
from teletherapy.audit.models import Action, AuditEvent
from teletherapy.audit.services import record
from teletherapy.clients.models import Client, PortalInvitation
from teletherapy.clients.services import save_changed_fields

MAX_DOB_TRIES = 5
DOB_VOID_REASON = f"The date of birth was entered wrong {MAX_DOB_TRIES} times"


def find_link(*, token_hash: str | None, kind: str) -> PortalInvitation:
    """The usable link of `kind` whose token hashes to `token_hash` (the hash, never the raw
    token), for an active client: an invite while the client has no account yet, a reset
    once they have one. links.LinkError otherwise."""
    found = links.find_usable(
        PortalInvitation.objects.select_related("client__practice", "client__user").filter(
            kind=kind, client__is_active=True
        ),
        token_hash,
    )
    has_account = found.client.user_id is not None
    if has_account != (kind == PortalInvitation.Kind.RESET):
        raise links.LinkError("used" if has_account else "invalid", found)
    return found


def note_link_expired(*, link: PortalInvitation, request: HttpRequest | None = None) -> None:
    """Record, once, that a client opened an invite after it expired."""
    if not link.is_expired or link.kind != PortalInvitation.Kind.INVITE:
        return
    seen = AuditEvent.objects.filter(
        action=Action.PORTAL_INVITE_EXPIRED, object_id=str(link.client_id), details__link_id=link.pk
    ).exists()
    if not seen:
        record(
            Action.PORTAL_INVITE_EXPIRED,
            practice=link.client.practice,
            obj=link.client,
            request=request,
            actor_label="client",
            link_id=link.pk,
        )


def confirm_birth_date(
    *, link: PortalInvitation, date_of_birth: date, request: HttpRequest | None = None
) -> bool:
    """True when `date_of_birth` matches the client's record. After MAX_DOB_TRIES wrong
    answers the link is voided, with the reason shown to the practice."""
    with transaction.atomic():
        locked = PortalInvitation.objects.select_for_update().get(pk=link.pk)
        reason = links.problem_of(locked)
        if reason is not None:
            raise links.LinkError(reason, locked)
        if date_of_birth == link.client.date_of_birth:
            return True
        locked.dob_failures = F("dob_failures") + 1
        locked.save(update_fields=["dob_failures"])
        locked.refresh_from_db(fields=["dob_failures"])
        link.dob_failures = locked.dob_failures
        if locked.dob_failures >= MAX_DOB_TRIES:
            locked.voided_at = link.voided_at = timezone.now()
            locked.void_reason = link.void_reason = DOB_VOID_REASON
            locked.save(update_fields=["voided_at", "void_reason"])
            record(
                Action.PORTAL_INVITE_VOIDED,
                practice=link.client.practice,
                obj=link.client,
                request=request,
                actor_label="client",
                link_id=link.pk,
                kind=link.kind,
                reason=DOB_VOID_REASON,
            )
        return False


def create_portal_account(
    *, link: PortalInvitation, username: str, password: str, request: HttpRequest | None = None
) -> User:
    """Accept an invite: make the client's portal account and use up the link."""
    with transaction.atomic():
        client = Client.objects.select_for_update().get(pk=link.client_id)
        if client.user_id is not None or not client.is_active:
            raise links.LinkError("used", link)
        links.use(link)
        user = User.objects.create_user(
            username,
            password,
            email=client.email,
            full_name=client.full_name,
            kind=User.Kind.CLIENT,
        )
        client.user = user
        client.save(update_fields=["user"])
        record(
            Action.PORTAL_INVITE_ACCEPTED,
            actor=user,
            practice=client.practice,
            obj=client,
            request=request,
            link_id=link.pk,
        )
    return user


def reset_portal_password(
    *, link: PortalInvitation, password: str, request: HttpRequest | None = None
) -> User:
    """Use a reset link: set the new password and use up the link."""
    with transaction.atomic():
        client = Client.objects.select_related("user").get(pk=link.client_id)
        user = client.user
        if user is None or not client.is_active:
            raise links.LinkError("invalid", link)
        links.use(link)
        user.set_password(password)
        user.is_active = True
        user.save(update_fields=["password", "is_active"])
        record(
            Action.PORTAL_RESET_USED,
            actor=user,
            practice=client.practice,
            obj=client,
            request=request,
            link_id=link.pk,
        )
    return user


def update_contact_details(
    *, client: Client, fields: dict[str, Any], request: HttpRequest | None = None
) -> list[str]:
    """The client changes their own contact details; return the changed field names."""
    with transaction.atomic():
        changed = save_changed_fields(client, fields)
        if changed:
            if "email" in changed and client.user_id is not None:
                User.objects.filter(pk=client.user_id).update(email=client.email)
            record(
                Action.PORTAL_CONTACT_UPDATED,
                actor=client.user,
                practice=client.practice,
                obj=client,
                request=request,
                fields=changed,
            )
    return changed
