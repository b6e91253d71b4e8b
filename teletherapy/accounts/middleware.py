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

from teletherapy.lib.redirects import PORTAL_PREFIX

# Requests that poll in the background must not count as a person being active.
BACKGROUND_HEADER = "HTTP_X_BACKGROUND"
_TOUCH_EVERY_SECONDS = 30


def sign_in_url_for(path: str) -> str:
    return resolve_url("portal:sign_in" if path.startswith(PORTAL_PREFIX) else settings.LOGIN_URL)


class IdleSignOutMiddleware:
    """Sign a person out after IDLE_TIMEOUT_MINUTES without a request they made themselves."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            now = int(time.time())
            last_seen = request.session.get("last_seen", now)
            if now - last_seen > settings.IDLE_TIMEOUT_MINUTES * 60:
                from teletherapy.accounts.services import sign_out

                sign_out(request=request, idle=True)
                messages.info(
                    request,
                    f"You were signed out after {settings.IDLE_TIMEOUT_MINUTES} minutes "
                    "without activity. Please sign in again.",
                )
                if request.META.get(BACKGROUND_HEADER):
                    return HttpResponse(status=401)
                return HttpResponseRedirect(sign_in_url_for(request.path))
            # Write the session only now and then, not on every request.
            if not request.META.get(BACKGROUND_HEADER) and now - last_seen >= _TOUCH_EVERY_SECONDS:
                request.session["last_seen"] = now
            elif "last_seen" not in request.session:
                request.session["last_seen"] = now
        return self.get_response(request)


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


class PermissionsPolicyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault(
            "Permissions-Policy",
            "camera=(self), microphone=(self), display-capture=(self), geolocation=(), payment=()",
        )
        response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        return response
