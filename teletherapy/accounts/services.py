"""State changes for accounts: signing in and out (each with its audit row), password reset
links, and signing a person out everywhere. Views and middleware call these; none of them
writes a sign-in or sign-out audit row itself."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import login, logout
from django.contrib.sessions.models import Session
from django.core.exceptions import PermissionDenied
from django.db import models, transaction
from django.http import HttpRequest
from django.utils import timezone

from teletherapy.accounts.models import PasswordResetLink, User, UserSession
from teletherapy.audit.models import Action
from teletherapy.audit.services import record
from teletherapy.lib.tokens import hash_token, new_token

# At most this many reset emails per account per hour, so the form cannot be used to flood.
RESET_LINKS_PER_HOUR = 3
MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"


# --- Signing in and out ---------------------------------------------------------------------


def sign_in(
    *,
    request: HttpRequest,
    user: User,
    practice: Any = None,
    obj: models.Model | None = None,
    device: Any = None,
    backend: str = MODEL_BACKEND,
) -> None:
    """Start `user`'s session on `request` and audit it: SIGN_IN for staff, PORTAL_SIGN_IN
    for clients (the portal passes the client's practice and record as `practice` and `obj`).
    `device` is the two-step device whose code the person just gave. The password (or the
    link) has been checked by the caller; a switched-off account is refused here."""
    if not user.is_active:
        raise PermissionDenied("This account is switched off.")
    with transaction.atomic():
        login(request, user, backend=backend)
        details: dict[str, Any] = {}
        if device is not None:
            from django_otp import login as otp_login

            otp_login(request, device)
            details["two_step"] = True
        action = Action.SIGN_IN if user.is_staff_member else Action.PORTAL_SIGN_IN
        record(action, actor=user, practice=practice, obj=obj, request=request, **details)


def record_failed_sign_in(
    *,
    request: HttpRequest,
    identifier: str,
    portal: bool = False,
    user: User | None = None,
    reason: str = "",
) -> None:
    """Audit a refused sign-in. A staff failure on a known account goes to that person's
    practice log; a stranger's tries (and the portal's) stay in the global log."""
    if portal:
        record(Action.PORTAL_SIGN_IN_FAILED, request=request, actor_label=identifier[:150])
        return
    if user is None:
        user = (
            User.objects.filter(username=identifier, kind=User.Kind.STAFF)
            .select_related("staff__practice")
            .first()
        )
    staff = getattr(user, "staff", None) if user is not None else None
    record(
        Action.SIGN_IN_FAILED,
        request=request,
        actor_label=identifier,
        practice=staff.practice if staff is not None else None,
        obj=user,
        **({"reason": reason} if reason else {}),
    )


def sign_out(*, request: HttpRequest, idle: bool = False) -> None:
    """End the request's session and audit it: SIGN_OUT, or IDLE_SIGN_OUT when the idle
    timeout ends it. Anyone may end their own session."""
    record(Action.IDLE_SIGN_OUT if idle else Action.SIGN_OUT, actor=request.user, request=request)
    logout(request)


# --- Password reset links -------------------------------------------------------------------


class LinkError(Exception):
    """A one-time link that cannot be used; the message is shown to the person."""


EXPIRED = "This link has expired. Links are valid for 24 hours; please ask for a new one."
USED = "This link has already been used. Each link works only once; please ask for a new one."
INVALID = "This link is not valid. Please check you copied the whole link, or ask for a new one."


def placeholder_hash() -> str:
    """A hash nobody holds the token for: the task mints the real token when it sends the email."""
    return new_token()[1]


def link_expiry() -> datetime:
    return timezone.now() + timedelta(hours=settings.LINK_VALID_HOURS)


def request_password_reset(*, email: str, request: HttpRequest | None = None) -> None:
    """Email a reset link if `email` belongs to an active staff account; otherwise do nothing.

    The caller answers the same way either way, so the form reveals nothing about who has an
    account here.
    """
    from teletherapy.accounts.tasks import send_password_reset_email

    email = email.strip().lower()
    user = User.objects.filter(username=email, kind=User.Kind.STAFF, is_active=True).first()
    if user is None or not hasattr(user, "staff"):
        return
    recent = PasswordResetLink.objects.filter(
        user=user, created_at__gte=timezone.now() - timedelta(hours=1)
    ).count()
    if recent >= RESET_LINKS_PER_HOUR:
        return
    with transaction.atomic():
        # A new link replaces any older one still waiting.
        PasswordResetLink.objects.filter(
            user=user, used_at__isnull=True, voided_at__isnull=True
        ).update(voided_at=timezone.now())
        link = PasswordResetLink.objects.create(
            user=user, token_hash=placeholder_hash(), expires_at=link_expiry()
        )
        record(
            Action.PASSWORD_RESET_SENT,
            actor=None,
            actor_label=user.email,
            practice=user.staff.practice,
            obj=user,
            request=request,
        )
        transaction.on_commit(lambda: send_password_reset_email.enqueue(link_id=link.pk))


def find_reset_link(token_hash: str) -> PasswordResetLink:
    """The usable reset link with this hash, or LinkError with the reason it cannot be used."""
    link = (
        PasswordResetLink.objects.select_related("user")
        .filter(token_hash=token_hash, user__kind=User.Kind.STAFF)
        .first()
    )
    if link is None or link.voided_at is not None:
        raise LinkError(INVALID)
    if link.used_at is not None:
        raise LinkError(USED)
    if not link.is_usable():
        raise LinkError(EXPIRED)
    if not link.user.is_active:
        raise LinkError(INVALID)
    return link


def reset_password(*, token_hash: str, password: str, request: HttpRequest | None = None) -> User:
    """Set a new password through a reset link, using the link up; end the person's sessions."""
    with transaction.atomic():
        link = find_reset_link(token_hash)
        # Lock the row so two submissions of the same link cannot both succeed.
        link = PasswordResetLink.objects.select_for_update().get(pk=link.pk)
        if link.used_at is not None:
            raise LinkError(USED)
        link.used_at = timezone.now()
        link.save(update_fields=["used_at"])
        user = link.user
        user.set_password(password)
        user.save(update_fields=["password"])
        end_all_sessions(user=user)
        record(Action.PASSWORD_RESET, actor=user, obj=user, request=request)
    return user


def hash_of(raw_token: str) -> str:
    return hash_token(raw_token)


def end_all_sessions(*, user: User) -> int:
    """Delete every session the person has open; return how many."""
    keys = list(UserSession.objects.filter(user=user).values_list("session_key", flat=True))
    Session.objects.filter(session_key__in=keys).delete()
    UserSession.objects.filter(user=user).delete()
    return len(keys)
