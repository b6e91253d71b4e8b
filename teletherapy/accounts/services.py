"""State changes for accounts: signing in and out (each with its audit row), password reset
links (through accounts.links), and signing a person out everywhere. Views and middleware
call these; none of them writes a sign-in or sign-out audit row itself."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import login, logout
from django.contrib.sessions.models import Session
from django.core.exceptions import PermissionDenied
from django.db import models, transaction
from django.http import HttpRequest

from teletherapy.accounts import links
from teletherapy.accounts.models import PasswordResetLink, User, UserSession
from teletherapy.audit.models import Action
from teletherapy.audit.services import practice_of, record

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
    """Audit a refused sign-in. A failure on a known account (staff or portal) goes to the log
    of that account's practice; a stranger's tries stay in the global log. The person trying
    is told nothing either way."""
    if portal:
        tried = User.objects.filter(username=identifier).first()
        record(
            Action.PORTAL_SIGN_IN_FAILED,
            request=request,
            actor_label=identifier[:150],
            practice=practice_of(tried) if tried is not None else None,
            obj=tried,
        )
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


def sign_out(*, request: HttpRequest, idle: bool = False, limit: str = "") -> None:
    """End the request's session and audit it: SIGN_OUT, or IDLE_SIGN_OUT when a time limit
    ends it (`limit`: "idle", or "absolute" for the limit counted from sign-in). Anyone may end
    their own session."""
    details: dict[str, Any] = {"limit": limit} if limit else {}
    action = Action.IDLE_SIGN_OUT if idle else Action.SIGN_OUT
    record(action, actor=request.user, request=request, **details)
    logout(request)


# --- Password reset links -------------------------------------------------------------------


def issue_password_reset(*, email: str, ip: str = "") -> PasswordResetLink | None:
    """From the task (tasks.request_password_reset queues it, so the request does the same
    work whoever `email` belongs to): a new reset link when `email` belongs to an active staff account and
    fewer than RESET_LINKS_PER_HOUR were sent to it in the last hour; otherwise None."""
    user = User.objects.filter(username=email, kind=User.Kind.STAFF, is_active=True).first()
    if user is None or not hasattr(user, "staff"):
        return None
    earlier = PasswordResetLink.objects.filter(user=user)
    if links.sent_recently(earlier, limit=RESET_LINKS_PER_HOUR):
        return None
    with transaction.atomic():
        # A new link replaces any older one still waiting.
        link = links.issue(PasswordResetLink, earlier=earlier, user=user)
        record(
            Action.PASSWORD_RESET_SENT,
            actor=None,
            actor_label=user.email,
            practice=user.staff.practice,
            obj=user,
            ip=ip or None,
        )
    return link


def find_reset_link(token_hash: str) -> PasswordResetLink:
    """The usable staff reset link with this hash, or links.LinkError saying why not."""
    usable = PasswordResetLink.objects.select_related("user").filter(
        user__kind=User.Kind.STAFF, user__is_active=True
    )
    return links.find_usable(usable, token_hash)


def reset_password(*, token_hash: str, password: str, request: HttpRequest | None = None) -> User:
    """Set a new password through a reset link, using the link up; end the person's sessions."""
    with transaction.atomic():
        link = links.use(find_reset_link(token_hash))
        user = link.user
        user.set_password(password)
        user.save(update_fields=["password"])
        end_all_sessions(user=user)
        record(Action.PASSWORD_RESET, actor=user, obj=user, request=request)
    return user


def end_all_sessions(*, user: User) -> int:
    """Delete every session the person has open; return how many."""
    keys = list(UserSession.objects.filter(user=user).values_list("session_key", flat=True))
    Session.objects.filter(session_key__in=keys).delete()
    UserSession.objects.filter(user=user).delete()
    return len(keys)


def end_other_sessions(
    *, user: User, keep: str | None, by: User | None = None, request: HttpRequest | None = None
) -> int:
    """Sign the person out everywhere except the session `keep` (None: everywhere); audit it.

    `by` is who asked (the person themselves, or an Owner or Manager for a colleague).
    """
    with transaction.atomic():
        others = UserSession.objects.filter(user=user).exclude(session_key=keep or "")
        keys = list(others.values_list("session_key", flat=True))
        Session.objects.filter(session_key__in=keys).delete()
        others.delete()
        record(
            Action.SESSIONS_ENDED,
            actor=by or user,
            obj=user,
            request=request,
            sessions=len(keys),
            kept_current=keep is not None,
        )
    return len(keys)


def change_password(
    *, user: User, password: str, keep: str | None, request: HttpRequest | None = None
) -> None:
    """Set a new password the person chose themselves (their old one already checked); every
    other session of theirs ends."""
    with transaction.atomic():
        user.set_password(password)
        user.save(update_fields=["password"])
        others = UserSession.objects.filter(user=user).exclude(session_key=keep or "")
        keys = list(others.values_list("session_key", flat=True))
        Session.objects.filter(session_key__in=keys).delete()
        others.delete()
        record(
            Action.PASSWORD_CHANGED, actor=user, obj=user, request=request, other_sessions=len(keys)
        )
