"""Changes to client records and their portal links. Views and tasks call these; each writes
its audit event inside its transaction."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from teletherapy.accounts import links
from teletherapy.accounts.models import User
from teletherapy.audit.models import Action
from teletherapy.audit.services import record
from teletherapy.clients.guardians import guardian_problem
from teletherapy.clients.models import Client, PortalInvitation
from teletherapy.clients.tasks import send_portal_invite_email, send_portal_reset_email
from teletherapy.practice.models import StaffMember

# A forgotten-password request sends at most this many links per client per hour.
RESET_REQUESTS_PER_HOUR = 3
# Staff buttons: a generous cap, so a stuck button or script cannot flood a client's inbox.
LINKS_PER_CLIENT_PER_HOUR = 10


class PortalLinkError(Exception):
    """A portal link cannot be sent; the message says why in plain words."""


class GuardianError(ValueError):
    """A guardian can't be given to this client; the message says why in plain words."""


def _require_manager_of(by: StaffMember, client: Client | None = None) -> None:
    """`by` may add clients (client None) or change `client`: their role uses My Clients and
    the client is one they can see (Client.objects.visible_to)."""
    if not by.user.is_active or not by.can_use_clients:
        raise PermissionDenied("Your role does not allow changing clients.")
    if client is not None and not Client.objects.visible_to(by).filter(pk=client.pk).exists():
        raise PermissionDenied("Not a client you can see.")


def create_client(
    *,
    by: StaffMember,
    fields: dict[str, Any],
    therapists: Iterable[StaffMember] | None = None,
    guardians: Iterable[Client] | None = None,
    request: HttpRequest | None = None,
) -> Client:
    """Add a client to `by`'s practice. A therapist who cannot see every client is assigned
    to the clients they add, so they can see them afterwards. A minor's `guardians` (clients
    `by` can see) are added with an audit row each."""
    _require_manager_of(by)
    assigned = list(therapists or [])
    if any(member.practice_id != by.practice_id for member in assigned):
        raise PermissionDenied("Assign therapists of your own practice.")
    with transaction.atomic():
        client = Client.objects.create(practice_id=by.practice_id, **fields)
        if not by.can_see_all_clients and by.is_therapist and by not in assigned:
            assigned.append(by)
        client.therapists.set(assigned)
        record(Action.CLIENT_CREATED, actor=by.user, obj=client, request=request)
        if guardians is not None:
            _set_guardians(client, by=by, guardians=guardians, request=request)
    return client


def save_changed_fields(client: Client, fields: dict[str, Any]) -> list[str]:
    """Set and save only the fields whose values differ; return their names."""
    changed = [name for name, value in fields.items() if getattr(client, name) != value]
    for name in changed:
        setattr(client, name, fields[name])
    if changed:
        client.save(update_fields=changed)
    return changed


def update_client(
    *,
    client: Client,
    by: StaffMember,
    fields: dict[str, Any],
    therapists: Iterable[StaffMember] | None = None,
    guardians: Iterable[Client] | None = None,
    request: HttpRequest | None = None,
) -> list[str]:
    """Save changed fields (and the therapists, and a minor's guardians, when given); return
    the changed names. Un-ticking "minor" removes the guardians; a guardian removed (or the
    minor un-ticked) loses access to the minor's sessions at once, open calls included (the
    video app listens to these rows)."""
    _require_manager_of(by, client)
    if therapists is not None:
        therapists = list(therapists)
        if any(member.practice_id != by.practice_id for member in therapists):
            raise PermissionDenied("Assign therapists of your own practice.")
    if fields.get("is_minor") and client.wards.exists():
        raise GuardianError(
            "This client is the guardian of a minor; a guardian can't be marked as a minor."
        )
    with transaction.atomic():
        changed = save_changed_fields(client, fields)
        if therapists is not None:
            new = {member.pk for member in therapists}
            if new != set(client.therapists.values_list("pk", flat=True)):
                client.therapists.set(list(therapists))
                changed.append("therapists")
        if changed:
            record(
                Action.CLIENT_UPDATED, actor=by.user, obj=client, request=request, fields=changed
            )
        if guardians is not None or not client.is_minor:
            _set_guardians(client, by=by, guardians=guardians or [], request=request)
        if {"is_minor", "minor_may_sign_in"} & set(changed):
            _sync_login(client)
    return changed


def _set_guardians(
    client: Client, *, by: StaffMember, guardians: Iterable[Client], request: HttpRequest | None
) -> None:
    """Make `client`'s guardians the chosen ones (none unless a minor), with an audit row
    for each one added or removed. Guardians `by` cannot see are kept: a Therapist editing
    their client does not drop a guardian assigned to someone else."""
    chosen = {guardian.pk: guardian for guardian in guardians} if client.is_minor else {}
    for guardian in chosen.values():
        problem = guardian_problem(minor=client, guardian=guardian, practice_id=by.practice_id)
        if problem:
            raise GuardianError(problem)
    visible = set(Client.objects.visible_to(by).values_list("pk", flat=True))
    current = {guardian.pk: guardian for guardian in client.guardians.all()}
    hidden = {pk for pk in current if pk not in visible} if client.is_minor else set()
    if any(pk not in visible for pk in chosen):
        raise GuardianError("Not found: choose guardians from this practice's clients.")
    removed = [current[pk] for pk in current if pk not in chosen and pk not in hidden]
    added = [guardian for pk, guardian in chosen.items() if pk not in current]
    if removed:
        client.guardians.remove(*removed)
    if added:
        client.guardians.add(*added)
    for guardian, action in [(g, Action.GUARDIAN_REMOVED) for g in removed] + [
        (g, Action.GUARDIAN_ADDED) for g in added
    ]:
        record(
            action,
            actor=by.user,
            obj=client,
            request=request,
            guardian_id=guardian.pk,
            guardian=guardian.full_name,
        )


def _sync_login(client: Client) -> None:
    """Switch the client's portal login on or off to match portal_login_allowed (a minor
    signs in only when the practice lets them). Saving the client pushes the access check
    to their open calls."""
    if client.user_id is not None:
        User.objects.filter(pk=client.user_id).update(is_active=client.portal_login_allowed)


def set_client_active(
    *, client: Client, by: StaffMember, active: bool, request: HttpRequest | None = None
) -> None:
    """Deactivate (or reactivate) a client. A deactivated client's portal account is switched
    off and their outstanding links are voided."""
    _require_manager_of(by, client)
    with transaction.atomic():
        if client.is_active == active:
            return
        client.is_active = active
        client.save(update_fields=["is_active"])
        _sync_login(client)
        if active:
            record(
                Action.CLIENT_UPDATED, actor=by.user, obj=client, request=request, reactivated=True
            )
        else:
            _void_outstanding(
                client, by=by.user, reason="The client was deactivated", request=request
            )
            record(Action.CLIENT_DEACTIVATED, actor=by.user, obj=client, request=request)


def record_client_viewed(*, client: Client, by: StaffMember, request: HttpRequest | None) -> None:
    """Audit that `by` opened the client's record (the view fetched it with get_client_for)."""
    record(Action.CLIENT_VIEWED, actor=by.user, obj=client, request=request)


def _void_outstanding(
    client: Client,
    *,
    by: User | None,
    reason: str,
    request: HttpRequest | None,
    ip: str | None = None,
) -> None:
    now = timezone.now()
    outstanding = PortalInvitation.objects.select_for_update().filter(
        client=client, used_at__isnull=True, voided_at__isnull=True, expires_at__gte=now
    )
    for link in outstanding:
        link.voided_at = now
        link.void_reason = reason
        link.save(update_fields=["voided_at", "void_reason"])
        record(
            Action.PORTAL_INVITE_VOIDED,
            actor=by,
            practice=client.practice,
            obj=client,
            request=request,
            ip=ip,
            link_id=link.pk,
            kind=link.kind,
            reason=reason,
        )


def _check_send_rate(client: Client) -> None:
    if links.sent_recently(
        PortalInvitation.objects.filter(client=client), limit=LINKS_PER_CLIENT_PER_HOUR
    ):
        raise PortalLinkError(
            "Too many links were sent to this client in the last hour. Please try again later."
        )


def _new_link(client: Client, *, kind: str, by: User | None) -> PortalInvitation:
    # _void_outstanding() has voided (and audited) the earlier links already.
    return links.issue(
        PortalInvitation,
        earlier=PortalInvitation.objects.filter(client=client),
        client=client,
        kind=kind,
        sent_by=by,
    )


def send_portal_invite(
    *, client: Client, by: StaffMember, request: HttpRequest | None = None
) -> PortalInvitation:
    """Email the client a sign-up link valid LINK_VALID_HOURS; earlier links stop working."""
    _require_manager_of(by, client)
    if not client.email:
        raise PortalLinkError("This client has no email address. Add one to send an invite.")
    if client.has_portal_account:
        raise PortalLinkError(
            "This client already has a portal account. Send a password reset link instead."
        )
    if not client.is_active:
        raise PortalLinkError("This client is inactive. Reactivate them to send an invite.")
    if not client.portal_login_allowed:
        raise PortalLinkError(
            "This client is a minor without a login of their own: their guardians join their "
            'sessions. Tick "This minor may sign in" on their record to invite them.'
        )
    with transaction.atomic():
        Client.objects.select_for_update().filter(pk=client.pk).first()
        _check_send_rate(client)
        _void_outstanding(
            client,
            by=by.user,
            reason=f"Replaced by a newer link sent by {by.user}",
            request=request,
        )
        link = _new_link(client, kind=PortalInvitation.Kind.INVITE, by=by.user)
        record(
            Action.PORTAL_INVITE_SENT,
            actor=by.user,
            practice=client.practice,
            obj=client,
            request=request,
            link_id=link.pk,
            expires_at=link.expires_at.isoformat(),
        )
        transaction.on_commit(lambda: send_portal_invite_email.enqueue(link.pk))
    return link


def send_portal_reset(
    *,
    client: Client,
    by: StaffMember | None,
    request: HttpRequest | None = None,
    ip: str | None = None,
) -> PortalInvitation:
    """Email the client a password reset link; earlier links stop working. `by` is None when
    the client asked for it themselves (from `ip`, when the request was queued)."""
    if by is not None:
        _require_manager_of(by, client)
    sender = by.user if by is not None else None
    if not client.has_portal_account:
        raise PortalLinkError("This client has no portal account yet. Send an invite instead.")
    if not client.email:
        raise PortalLinkError("This client has no email address. Add one to send a link.")
    if not client.is_active:
        raise PortalLinkError("This client is inactive. Reactivate them to send a link.")
    with transaction.atomic():
        Client.objects.select_for_update().filter(pk=client.pk).first()
        _check_send_rate(client)
        who = f"sent by {sender}" if sender is not None else "requested by the client"
        _void_outstanding(
            client, by=sender, reason=f"Replaced by a newer link {who}", request=request, ip=ip
        )
        link = _new_link(client, kind=PortalInvitation.Kind.RESET, by=sender)
        record(
            Action.PORTAL_RESET_SENT,
            actor=sender,
            actor_label="" if sender is not None else "client (forgot password)",
            practice=client.practice,
            obj=client,
            request=request,
            ip=ip,
            link_id=link.pk,
            expires_at=link.expires_at.isoformat(),
        )
        transaction.on_commit(lambda: send_portal_reset_email.enqueue(link.pk))
    return link


def request_password_reset(*, identifier: str, ip: str | None = None) -> None:
    """'Forgot password' in the portal, from its queued task (portal.tasks, so the request
    does the same work whoever `identifier` belongs to): send a reset link to each active
    client account whose username or email is `identifier`."""
    identifier = identifier.strip()
    if not identifier:
        return
    clients = Client.objects.select_related("practice", "user").filter(
        user__isnull=False, user__is_active=True, is_active=True
    )
    if "@" in identifier:
        clients = clients.filter(email__iexact=identifier)
    else:
        clients = clients.filter(user__username=identifier.lower())
    for client in clients:
        resets = PortalInvitation.objects.filter(client=client, kind=PortalInvitation.Kind.RESET)
        if links.sent_recently(resets, limit=RESET_REQUESTS_PER_HOUR):
            continue
        send_portal_reset(client=client, by=None, ip=ip)
