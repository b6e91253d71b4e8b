"""The practice's security settings applied to every request of its staff and clients: the
idle limit (never longer than the site's) and two-step sign-in for all staff."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from teletherapy.practice.models import Practice

SESSION_KEY = "practice_policy"
# A changed setting reaches open sessions within this many seconds.
REFRESH_SECONDS = 60
# While two-step sign-in is required but not set up, only these pages open.
ENROLMENT_VIEWS = {"accounts:two_step", "accounts:confirm", "accounts:sign_out"}


@dataclass(frozen=True)
class Policy:
    idle_minutes: int
    require_two_step: bool


def idle_limit(practice_minutes: int | None) -> int:
    """The idle limit in minutes: the practice may shorten the site's, never lengthen it."""
    site = int(settings.IDLE_TIMEOUT_MINUTES)
    return min(site, practice_minutes) if practice_minutes else site


def _load(user: Any) -> Policy:
    if user.is_staff_member:
        found = Practice.objects.filter(staff__user_id=user.pk)
    else:
        found = Practice.objects.filter(clients__user_id=user.pk)
    row = found.values("idle_minutes", "require_two_step").first()
    return Policy(
        idle_minutes=idle_limit(row["idle_minutes"] if row else None),
        require_two_step=bool(row and row["require_two_step"]) and user.is_staff_member,
    )


def _remember(session: Any, user: Any) -> Policy:
    policy = _load(user)
    session[SESSION_KEY] = [policy.idle_minutes, policy.require_two_step, int(time.time())]
    return policy


def policy_for(request: HttpRequest) -> Policy:
    """The signed-in person's practice policy, read at most every REFRESH_SECONDS."""
    cached = request.session.get(SESSION_KEY)
    now = int(time.time())
    if isinstance(cached, list) and len(cached) == 3 and now - cached[2] < REFRESH_SECONDS:
        return Policy(idle_minutes=int(cached[0]), require_two_step=bool(cached[1]))
    return _remember(request.session, request.user)


@receiver(user_logged_in)
def remember_at_sign_in(sender: Any, request: HttpRequest, user: Any, **kwargs: Any) -> None:
    """Read the policy once at sign-in, not on the first page after it."""
    session = getattr(request, "session", None)
    if session is not None:
        _remember(session, user)


class PracticePolicyMiddleware:
    """Sets request.idle_limit_minutes (read by the idle sign-out) and sends staff who must
    have two-step sign-in, and do not yet, to set it up first."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            policy = policy_for(request)
            request.idle_limit_minutes = policy.idle_minutes  # type: ignore[attr-defined]
            request.two_step_required = policy.require_two_step  # type: ignore[attr-defined]
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view_func: Callable[..., Any], args: Any, kwargs: Any
    ) -> HttpResponse | None:
        if not getattr(request, "two_step_required", False):
            return None
        match = request.resolver_match
        if match is not None and match.view_name in ENROLMENT_VIEWS:
            return None
        from teletherapy.accounts.mfa import confirmed_device

        if confirmed_device(request.user) is not None:  # type: ignore[arg-type]
            return None
        return redirect("accounts:two_step")


def forget_policy(request: HttpRequest) -> None:
    """Read the policy again on the next request (after the Owner changed it)."""
    request.session.pop(SESSION_KEY, None)
