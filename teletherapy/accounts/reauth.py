"""Recent sign-in: changing the email address, the password or two-step sign-in needs a
password (and code) typed in the last REAUTH_MINUTES, not just an open session."""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

AUTH_AT_KEY = "auth_at"
SIGNED_IN_AT_KEY = "signed_in_at"
V = TypeVar("V", bound=Callable[..., HttpResponse])


def note_authenticated(request: HttpRequest) -> None:
    """The person just proved who they are (sign-in or confirmation)."""
    request.session[AUTH_AT_KEY] = int(time.time())


def is_recent(request: HttpRequest) -> bool:
    at = request.session.get(AUTH_AT_KEY)
    return isinstance(at, int) and time.time() - at <= settings.REAUTH_MINUTES * 60


def confirm_url(request: HttpRequest, next_url: str) -> str:
    name = "portal:confirm" if request.path.startswith("/portal/") else "accounts:confirm"
    return f"{reverse(name)}?{urlencode({'next': next_url})}"


def recent_sign_in_required(view: V) -> V:
    """Send the person to confirm their password first when their sign-in is not recent."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.user.is_authenticated and not is_recent(request):
            return HttpResponseRedirect(confirm_url(request, request.path))
        return view(request, *args, **kwargs)

    return wrapper  # type: ignore[return-value]
