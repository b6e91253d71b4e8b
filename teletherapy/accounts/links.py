"""One-time links: issue, send, find usable, use. Every emailed link goes through here.

Staff invitations (practice), staff password resets (accounts) and portal invitations and
resets (clients, portal) are concrete models on `OneTimeLink`; their services and views call
these functions, so all of them share one placeholder scheme, one lookup, one error page and
one way of sending:

- `issue()` (inside the service's transaction) voids the earlier links of the same scope and
  stores a row with a placeholder hash no raw token can hash to; the service enqueues its
  email task on commit with the row's id only.
- `send()` (in the task) mints the raw token, stores its hash, and emails the raw token with
  retries; the row records "sent" or "failed" (shown to staff as "not delivered").
- `open_link()` (the emailed URL's view) keeps only the hash, in the session, and redirects to
  a token-free URL; `find_usable()` and `use()` work from that hash.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal, TypeVar

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.core.mail import EmailMultiAlternatives
from django.db import models
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from teletherapy.accounts.models import OneTimeLink
from teletherapy.lib.mailer import send_with_retries
from teletherapy.lib.tokens import hash_token, is_placeholder, new_token, placeholder_hash

L = TypeVar("L", bound=OneTimeLink)
Reason = Literal["invalid", "used", "expired"]

SENT = "sent"
FAILED = "failed"
SKIPPED = "skipped"


class LinkError(Exception):
    """A link that cannot be used, and why. `link` is the row when one matched the hash."""

    def __init__(self, reason: Reason, link: OneTimeLink | None = None) -> None:
        super().__init__(reason)
        self.reason: Reason = reason
        self.link = link


# Issue ----------------------------------------------------------------------------------------


def issue(
    model: type[L],
    *,
    earlier: models.QuerySet[L],
    expires_at: datetime | None = None,
    **fields: Any,
) -> L:
    """Void the still-usable links in `earlier` and store a new link valid until
    `expires_at` (default: LINK_VALID_HOURS from now), holding a placeholder until its task
    mints the token.

    Call inside the service's transaction.atomic, then enqueue the task with
    `transaction.on_commit`."""
    now = timezone.now()
    void(earlier)
    return model._default_manager.create(
        token_hash=placeholder_hash(),
        created_at=now,
        expires_at=expires_at or now + timedelta(hours=settings.LINK_VALID_HOURS),
        **fields,
    )


def void(queryset: models.QuerySet[Any]) -> int:
    """Stop every still-usable link in `queryset` from working (a newer one, or a person
    deactivated); return how many."""
    return queryset.filter(used_at__isnull=True, voided_at__isnull=True).update(
        voided_at=timezone.now()
    )


def sent_recently(queryset: models.QuerySet[Any], *, limit: int, hours: int = 1) -> bool:
    """True when `queryset` already holds `limit` links issued within the last `hours`."""
    since = timezone.now() - timedelta(hours=hours)
    return queryset.filter(created_at__gte=since).count() >= limit


# Send -----------------------------------------------------------------------------------------


def send(link: OneTimeLink, *, email: Callable[[str], EmailMultiAlternatives | None]) -> str:
    """From the email task: mint the token, keep its hash, and email the raw token.

    `email(raw_token)` builds the message (or returns None when there is no address). Sends
    once per link: a link that is no longer usable, or whose token was already minted, is
    skipped. Retries with back-off; the row records "sent" or "failed". Returns "sent",
    "failed" or "skipped"."""
    raw = mint(link)
    if raw is None:
        return SKIPPED
    rows = type(link)._default_manager
    message = email(raw)
    delivered = message is not None and send_with_retries(message)
    link.delivery_status = SENT if delivered else FAILED
    rows.filter(pk=link.pk).update(delivery_status=link.delivery_status)
    return link.delivery_status


def mint(link: OneTimeLink) -> str | None:
    """From the task that sends the link: mint its raw token and keep only the hash. None
    when the link is no longer usable or its token was already minted (a second run of the
    task), so each link is sent at most once. A message carrying several links (a reminder's
    Confirm and Cancel) mints each through here and then sends once."""
    if not link.is_usable() or not is_placeholder(link.token_hash):
        return None
    raw, token_hash = new_token()
    rows = type(link)._default_manager
    # Mint only over the placeholder this run read: a second run of the task finds it gone.
    if not rows.filter(pk=link.pk, token_hash=link.token_hash).update(token_hash=token_hash):
        return None
    link.token_hash = token_hash
    return raw


# Find and use ---------------------------------------------------------------------------------


def problem_of(link: OneTimeLink | None) -> Reason | None:
    """Why `link` cannot be used, or None when it can."""
    now = timezone.now()
    if link is None or link.voided_at is not None:
        return "invalid"
    if link.used_at is not None:
        return "used"
    if now > link.expires_at:
        return "expired"
    return None


def find_usable(queryset: models.QuerySet[L], token_hash: str | None) -> L:
    """The link in `queryset` (already narrowed to its kind and to accounts that may use it)
    whose token hashes to `token_hash`; LinkError when there is none or it is spent."""
    link = queryset.filter(token_hash=token_hash).first() if token_hash else None
    reason = problem_of(link)
    if reason is not None:
        raise LinkError(reason, link)
    assert link is not None
    return link


def use(link: L) -> L:
    """Inside transaction.atomic: lock the row, check it again, mark it used; return it.

    Two submissions of the same link cannot both pass: the second finds it used."""
    locked = type(link)._default_manager.select_for_update().get(pk=link.pk)
    reason = problem_of(locked)
    if reason is not None:
        raise LinkError(reason, locked)
    locked.used_at = timezone.now()
    locked.save(update_fields=["used_at"])
    link.used_at = locked.used_at
    return locked


# Views ----------------------------------------------------------------------------------------


def open_link(request: HttpRequest, token: str, *, session_key: str, to: str) -> HttpResponse:
    """The emailed URL: keep only the token's hash, in the session, and redirect to `to`, a
    URL without the token (so it leaves the address bar, history and Referer)."""
    request.session[session_key] = hash_token(token)
    return redirect(to)


def opener(
    *, session_key: str, to: str, forget: Sequence[str] = ()
) -> Callable[[HttpRequest, str], HttpResponse]:
    """The view of an emailed URL `.../<token>/` (no sign-in needed, never cached, GET only):
    `open_link()`, after dropping the session keys in `forget` (what a previous link of the
    same kind left behind)."""

    @login_not_required
    @never_cache
    @require_GET
    def view(request: HttpRequest, token: str) -> HttpResponse:
        for key in forget:
            request.session.pop(key, None)
        return open_link(request, token, session_key=session_key, to=to)

    return view


def session_hash(request: HttpRequest, session_key: str) -> str:
    return str(request.session.get(session_key, ""))


@dataclass(frozen=True)
class Wording:
    """What the one error page says for each reason, and where it sends the person next."""

    invalid: str
    used: str
    expired: str
    next_steps: Sequence[tuple[str, str]] = ()  # (url name, label)
    base: str = "base.html"

    def text(self, reason: Reason) -> str:
        return str(getattr(self, reason))


def problem_page(request: HttpRequest, error: LinkError, wording: Wording) -> HttpResponse:
    """The one page for a link that cannot be used (400)."""
    return render(
        request,
        "links/problem.html",
        {
            "base": wording.base,
            "problem": wording.text(error.reason),
            "reason": error.reason,
            "next_steps": wording.next_steps,
        },
        status=400,
    )


__all__ = [
    "LinkError",
    "Wording",
    "find_usable",
    "issue",
    "mint",
    "open_link",
    "opener",
    "problem_page",
    "send",
    "sent_recently",
    "void",
    "session_hash",
    "use",
]
