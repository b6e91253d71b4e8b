"""Cross-cutting request guards: idle sign-out, staff/portal separation, browser permissions."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import resolve_url
from django.utils.cache import patch_cache_control

from teletherapy.accounts.reauth import SIGNED_IN_AT_KEY
from teletherapy.lib.headers import permissions_policy
from teletherapy.lib.redirects import PORTAL_PREFIX

# Requests that poll in the background must not count as a person being active.
BACKGROUND_HEADER = "HTTP_X_BACKGROUND"
_TOUCH_EVERY_SECONDS = 30


def sign_in_url_for(path: str) -> str:
    return resolve_url("portal:sign_in" if path.startswith(PORTAL_PREFIX) else settings.LOGIN_URL)


class IdleSignOutMiddleware:
    """Sign a person out after their idle limit without a request they made themselves
    (IDLE_TIMEOUT_MINUTES, or the practice's shorter one), and SESSION_ABSOLUTE_HOURS after
    they signed in however active they are."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            now = int(time.time())
            idle_minutes = getattr(request, "idle_limit_minutes", settings.IDLE_TIMEOUT_MINUTES)
            last_seen = request.session.get("last_seen", now)
            signed_in_at = request.session.setdefault(SIGNED_IN_AT_KEY, now)
            if now - signed_in_at > settings.SESSION_ABSOLUTE_HOURS * 3600:
                return self._sign_out(
                    request,
                    f"You were signed out {settings.SESSION_ABSOLUTE_HOURS} hours after signing "
                    "in. Please sign in again.",
                    limit="absolute",
                )
            if now - last_seen > idle_minutes * 60:
                return self._sign_out(
                    request,
                    f"You were signed out after {idle_minutes} minutes without activity. "
                    "Please sign in again.",
                    limit="idle",
                )
            # Write the session only now and then, not on every request.
            if not request.META.get(BACKGROUND_HEADER) and now - last_seen >= _TOUCH_EVERY_SECONDS:
                request.session["last_seen"] = now
            elif "last_seen" not in request.session:
                request.session["last_seen"] = now
        return self.get_response(request)

    def _sign_out(self, request: HttpRequest, message: str, *, limit: str) -> HttpResponse:
        from teletherapy.accounts.services import sign_out

        sign_out(request=request, idle=True, limit=limit)
        messages.info(request, message)
        if request.META.get(BACKGROUND_HEADER):
            return HttpResponse(status=401)
        return HttpResponseRedirect(sign_in_url_for(request.path))


class AreaMiddleware:
    """Keep clients out of staff pages and staff out of the portal; send anonymous visitors
    to the sign-in page of the area they asked for."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view_func: Callable[..., Any], args: Any, kwargs: Any
    ) -> HttpResponse | None:
        if not getattr(view_func, "login_required", True):
            return None
        in_portal = request.path.startswith(PORTAL_PREFIX)
        user = request.user
        if not user.is_authenticated:
            if in_portal:
                from django.contrib.auth.views import redirect_to_login

                return redirect_to_login(request.get_full_path(), resolve_url("portal:sign_in"))
            return None  # LoginRequiredMiddleware sends them to the staff sign-in.
        if in_portal and not user.is_client:
            raise PermissionDenied("Staff accounts cannot use the client portal.")
        if not in_portal and not user.is_staff_member:
            raise PermissionDenied("Client accounts can only use the client portal.")
        return None


class NoStoreMiddleware:
    """Every answer to a signed-in person says Cache-Control: no-store, so no browser or proxy
    cache keeps a copy of a page with health information on it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        # Signed in when the request came or when it left (sign-in and sign-out answers too).
        before = request.user.is_authenticated
        response = self.get_response(request)
        if before or request.user.is_authenticated:
            patch_cache_control(response, no_store=True, no_cache=True, private=True)
        return response


class PermissionsPolicyMiddleware:
    """Camera, microphone and screen sharing only on the session pages (lib/headers.py)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        view = getattr(request, "_policy_view", None)
        response.headers.setdefault("Permissions-Policy", permissions_policy(view))
        response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        return response

    def process_view(
        self, request: HttpRequest, view_func: Callable[..., Any], args: Any, kwargs: Any
    ) -> None:
        request._policy_view = view_func  # type: ignore[attr-defined]
