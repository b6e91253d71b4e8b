"""State changes for accounts: password reset links and signing a person out everywhere."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.sessions.models import Session
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from teletherapy.accounts.models import PasswordResetLink, User, UserSession
from teletherapy.audit.models import Action
from teletherapy.audit.services import record
from teletherapy.lib.tokens import hash_token, new_token

# At most this many reset emails per account per hour, so the form cannot be used to flood.
RESET_LINKS_PER_HOUR = 3


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
