"""State changes for accounts: password reset links (through accounts.links) and signing a
person out everywhere."""

from __future__ import annotations

from django.contrib.sessions.models import Session
from django.db import transaction
from django.http import HttpRequest

from teletherapy.accounts import links
from teletherapy.accounts.models import PasswordResetLink, User, UserSession
from teletherapy.audit.models import Action
from teletherapy.audit.services import client_ip, record

# At most this many reset emails per account per hour, so the form cannot be used to flood.
RESET_LINKS_PER_HOUR = 3


def request_password_reset(*, email: str, request: HttpRequest | None = None) -> None:
    """'Forgot password': queue the request; the task decides whether an account matches.

    The request does the same work whoever the address belongs to (one queued task) and the
    caller answers the same way, so neither the page nor its timing tells who has an account.
    """
    from teletherapy.accounts.tasks import password_reset_requested

    email = email.strip().lower()[:254]
    ip = client_ip(request) or ""
    transaction.on_commit(lambda: password_reset_requested.enqueue(email=email, ip=ip))


def issue_password_reset(*, email: str, ip: str = "") -> PasswordResetLink | None:
    """From the task: a new reset link when `email` belongs to an active staff account and
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
