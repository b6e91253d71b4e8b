"""A sign-in from a reminder's join link opens one appointment's device check, Waiting Room
and call, nothing else, and ends with that session (services.sign_in_for_join)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse

from teletherapy.reminders.services import JOIN_SESSION_KEY

# Views a join-link sign-in may open (for its own appointment where they take one).
_CALL_VIEWS = {"portal_video:check", "portal_video:room", "portal_video:ice"}
_ALWAYS = {"portal:sign_out", "reminders_portal:device_check"}
# The per-person socket that carries the therapist's words to the Waiting Room.
_SOCKETS_ALWAYS = ("/ws/alerts/",)


def scoped_appointment(session: Any) -> int | None:
    value = session.get(JOIN_SESSION_KEY) if session is not None else None
    return int(value) if value is not None else None


def session_over(appointment_id: int) -> bool:
    """Whether the one appointment of a join-link sign-in can no longer be joined."""
    from teletherapy.scheduling.models import Appointment
    from teletherapy.video.services import session_closed, window_state

    appointment = (
        Appointment.objects.select_related("therapist__user").filter(pk=appointment_id).first()
    )
    if appointment is None:
        return True
    # Ended for everyone, not merely empty for a moment (ended_at is set whenever both
    # people are briefly gone, a reload or a server restart, and cleared when one rejoins).
    return session_closed(appointment) or window_state(appointment) in ("over", "unavailable")


class JoinScopeMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        appointment_id = scoped_appointment(getattr(request, "session", None))
        if appointment_id is not None and session_over(appointment_id):
            from teletherapy.accounts.services import sign_out

            sign_out(request=request, limit="join")
            messages.info(request, "Your Teletherapy Session is over, so you were signed out.")
            return HttpResponseRedirect(reverse("portal:sign_in"))
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view_func: Callable[..., Any], args: Any, kwargs: Any
    ) -> HttpResponse | None:
        appointment_id = scoped_appointment(getattr(request, "session", None))
        if appointment_id is None:
            return None
        match = request.resolver_match
        name = match.view_name if match is not None else ""
        if name in _ALWAYS or name.startswith("reminders:"):
            return None
        if name in _CALL_VIEWS and kwargs.get("appointment_id") == appointment_id:
            return None
        return render(
            request,
            "reminders/join_only.html",
            {"check_url": reverse("portal_video:check", kwargs={"appointment_id": appointment_id})},
            status=403,
        )


class JoinScopeGuard:
    """The same rule for the signaling WebSocket: a join-link sign-in reaches only its own
    appointment's socket (inside AuthMiddlewareStack, which loads the session)."""

    def __init__(self, inner: Callable[..., Awaitable[None]]) -> None:
        self.inner = inner

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        from channels.db import database_sync_to_async

        if scope["type"] == "websocket":
            scoped = await database_sync_to_async(scoped_appointment)(scope.get("session"))
            allowed = (f"/ws/sessions/{scoped}/", *_SOCKETS_ALWAYS)
            if scoped is not None and not scope["path"].startswith(allowed):
                await receive()  # websocket.connect
                await send({"type": "websocket.close", "code": 4403})
                return
        await self.inner(scope, receive, send)
