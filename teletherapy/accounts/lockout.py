"""Sign-in lockout: per account and address (AXES_FAILURE_LIMIT) and per account alone
(ACCOUNT_FAILURE_LIMIT, for guesses spread over many addresses), each with the cool-off.

django-axes keeps the attempts; this handler adds the account-wide count to its decision, and
lock_ends() tells the locked-out person when they may try again.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any

from axes.attempts import get_cool_off_threshold
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username, get_cool_off, get_failure_limit
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Max, QuerySet, Sum
from django.http import HttpRequest
from django.utils import timezone


def _recent(request: HttpRequest) -> QuerySet[AccessAttempt]:
    if getattr(request, "axes_attempt_time", None) is None:
        request.axes_attempt_time = timezone.now()  # type: ignore[attr-defined]
    return AccessAttempt.objects.filter(attempt_time__gte=get_cool_off_threshold(request))


def account_failures(request: HttpRequest, username: str | None) -> int:
    """Failed sign-ins on this account within the cool-off, from every address."""
    if not username:
        return 0
    total = _recent(request).filter(username=username).aggregate(n=Sum("failures_since_start"))
    return int(total["n"] or 0)


class AccountLockoutHandler(AxesDatabaseHandler):
    """Axes' database handler that also locks an account after ACCOUNT_FAILURE_LIMIT failures
    from any number of addresses."""

    def get_failures(self, request: Any, credentials: dict[str, Any] | None = None) -> int:
        per_address = int(super().get_failures(request, credentials))
        username = get_client_username(request, credentials)
        if account_failures(request, username) >= settings.ACCOUNT_FAILURE_LIMIT:
            # Report it on axes' one scale: at least its limit means locked.
            return max(per_address, int(get_failure_limit(request, credentials)))
        return per_address


def lock_ends(request: HttpRequest, username: str) -> datetime | None:
    """When the cool-off that applies to this account (from this address) is over."""
    cool_off = get_cool_off(request)
    if cool_off is None or not username:
        return None
    recent = _recent(request).filter(username=username)
    ip = getattr(request, "axes_ip_address", None)
    own = recent.filter(ip_address=ip).aggregate(
        n=Sum("failures_since_start"), at=Max("attempt_time")
    )
    if int(own["n"] or 0) >= int(get_failure_limit(request, None)) and own["at"]:
        return own["at"] + cool_off
    last = recent.aggregate(at=Max("attempt_time"))["at"]
    return last + cool_off if last else None


def locked_message(request: HttpRequest, username: str) -> str:
    """What a locked-out person reads: why, and when to try again."""
    ends = lock_ends(request, username)
    cool_off = get_cool_off(request)
    if ends is not None:
        minutes = max(1, math.ceil((ends - timezone.now()).total_seconds() / 60))
    else:
        minutes = int(cool_off.total_seconds() // 60) if cool_off else 15
    unit = "minute" if minutes == 1 else "minutes"
    when = f"in {minutes} {unit}"
    if ends is not None:
        when += f" (after {ends.astimezone(UTC):%H:%M} UTC)"
    return (
        "Too many failed sign-in attempts. For your security, sign-in is paused for this "
        f"account. Please try again {when}, or use \u201cForgot password\u201d to choose a "
        "new one."
    )
