"""Pages of a Teletherapy session: device check (and, for the client, where they are), the
Telehealth Waiting Room with the call, the ICE servers, and the "session is ready" prompts.

Staff use /sessions/…, clients /portal/sessions/…; both go through get_call_for().
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from teletherapy.lib import clock
from teletherapy.lib.clock import date_time_text, time_text, viewer_zone
from teletherapy.lib.confirm import Question, confirmation_page, is_confirmed
from teletherapy.lib.headers import allow_media
from teletherapy.practice.access import StaffRequest, staff_view
from teletherapy.scheduling.guardians import ward_of
from teletherapy.scheduling.models import Appointment
from teletherapy.video import services, turn
from teletherapy.video.access import CallClosed, get_call_for
from teletherapy.video.forms import LocationForm
from teletherapy.video.models import Participation, VideoSession
from teletherapy.video.prompts import client_prompts, staff_prompts

CallView = Callable[..., HttpResponse]


def _url(request: HttpRequest, name: str, appointment: Appointment) -> str:
    namespace = "portal_video" if request.user.is_client else "video"  # type: ignore[union-attr]
    return reverse(f"{namespace}:{name}", kwargs={"appointment_id": appointment.pk})


def call_view(view: CallView) -> CallView:
    """Fetch and authorize the call; outside its window show why (403), audit refusals."""

    @wraps(view)
    def wrapper(request: HttpRequest, appointment_id: int, **kwargs: Any) -> HttpResponse:
        try:
            appointment, role = get_call_for(request.user, appointment_id)
        except CallClosed as closed:
            return _closed_page(request, closed)
        except (Http404, PermissionDenied) as exc:
            services.record_refusal(
                user=request.user,
                appointment_id=appointment_id,
                reason="not_found" if isinstance(exc, Http404) else "forbidden",
                request=request,
            )
            raise
        return view(request, appointment, role, **kwargs)

    return wrapper


def _closed_page(request: HttpRequest, closed: CallClosed) -> HttpResponse:
    tz_name = viewer_zone(request.user)
    appointment = closed.appointment
    if closed.state == "before":
        message = services.join_from_text(appointment, tz_name) + "."
    elif closed.state == "ended":
        message = "This session has ended."
        duration = appointment.video_session.duration_seconds
        if duration is not None:
            message += f" It lasted {clock.duration_text(duration)}."
    elif closed.state == "over":
        message = "This session's time is over. It can no longer be joined."
    else:
        message = "This appointment is not a Teletherapy session that can be joined."
    return render(
        request,
        "video/closed.html",
        {"message": message, "when": date_time_text(appointment.start, tz_name)},
        status=403,
    )


def _peer_name(appointment: Appointment, role: str) -> str:
    if role == Participation.Role.THERAPIST:
        return appointment.client.display_name
    return appointment.therapist.name


def _base_context(request: HttpRequest, appointment: Appointment, role: str) -> dict[str, Any]:
    tz_name = viewer_zone(request.user)
    session = VideoSession.objects.filter(appointment=appointment).first()
    location = session.client_location if session else ""
    client = getattr(request.user, "client", None) if role == Participation.Role.CLIENT else None
    ward = ward_of(appointment, client) if client is not None else None
    if client is not None:
        location = services.location_of(session=session, client=client)
    return {
        "starts_at": appointment.start.isoformat(),
        "ends_at": appointment.end.isoformat(),
        "ends_text": time_text(appointment.end, tz_name),
        "started_at": session.started_at.isoformat() if session and session.started_at else "",
        "rejoin_until": time_text(services.join_window(appointment).closes, tz_name),
        "appointment": appointment,
        "role": role,
        "is_therapist": role == Participation.Role.THERAPIST,
        "peer_name": _peer_name(appointment, role),
        # "Your", or "Mina Minor's" for a minor's guardian (and who the session is for).
        "session_owner": f"{ward.display_name}'s" if ward is not None else "Your",
        "session_for": ward.display_name if ward is not None else "",
        "when": date_time_text(appointment.start, tz_name),
        "practice_name": appointment.practice.name,
        "client_location": services.location_view(location, appointment.therapist)
        if role == Participation.Role.THERAPIST
        else None,
        "has_location": bool(location),
        "check_url": _url(request, "check", appointment),
        "room_url": _url(request, "room", appointment),
        "ice_url": _url(request, "ice", appointment),
        "end_url": reverse("video:end", kwargs={"appointment_id": appointment.pk})
        if role == Participation.Role.THERAPIST
        else "",
        "leave_url": reverse(
            "practice:dashboard" if role == Participation.Role.THERAPIST else "portal:dashboard"
        ),
    }


# --- Device check (and where the client is) ---------------------------------------------------


@allow_media
@never_cache
@require_GET
@staff_view()
@call_view
def check(request: StaffRequest, appointment: Appointment, role: str) -> HttpResponse:
    # The therapist checks their devices on the call page itself: Start then joins in place,
    # with the camera already running (no second page load, no second permission prompt).
    return _room(request, appointment, role, prejoin=True)


@allow_media
@never_cache
@require_http_methods(["GET", "POST"])
@call_view
def portal_check(request: HttpRequest, appointment: Appointment, role: str) -> HttpResponse:
    """The client's device check, and where they are right now (U.S. only)."""
    context = _base_context(request, appointment, role)
    form = LocationForm(request.POST if request.method == "POST" else None)
    outside = False
    if request.method == "POST" and form.is_valid():
        location = form.cleaned_data["location"]
        if location == services.OUTSIDE_US:
            outside = True
        else:
            services.set_client_location(
                appointment=appointment,
                by=request.user.client,  # type: ignore[union-attr]
                location=location,
                request=request,
            )
            return redirect(context["room_url"])
    context.update({"form": form, "outside": outside})
    return render(request, "video/check.html", context)


# --- The Telehealth Waiting Room and the call ---------------------------------------------------


def _room(
    request: HttpRequest, appointment: Appointment, role: str, *, prejoin: bool = False
) -> HttpResponse:
    context = _base_context(request, appointment, role)
    if role == Participation.Role.CLIENT and not context["has_location"]:
        return redirect(context["check_url"])
    context["ws_path"] = f"/ws/sessions/{appointment.pk}/"
    context["prejoin"] = prejoin
    context["peer_ready"] = _therapist_waits(appointment, role)
    if is_group_call(appointment):
        _mesh_context(context, appointment, role)
    return render(request, "video/room.html", context)


def is_group_call(appointment: Appointment) -> bool:
    """A couple's or a family's session (more than one person with a portal login may join:
    Appointment.attendees): the call is a full mesh (video/mesh.py, static/js/call/mesh.js).
    One person (a client, or a guardian for a minor without a login): the two-person call,
    as always."""
    return len([c for c in appointment.attendees() if c.user_id is not None]) > 1


def _mesh_context(context: dict[str, Any], appointment: Appointment, role: str) -> None:
    context["mesh"] = True
    context["ws_path"] = f"/ws/sessions/{appointment.pk}/mesh/"
    if role == Participation.Role.THERAPIST:
        names = [c.display_name for c in appointment.attendees() if c.user_id is not None]
        context["peer_name"] = _names_text(names)
    else:
        # A client sees the therapist's name only: not the other clients' (privacy).
        context["peer_name"] = appointment.therapist.name
    context["peer_ready"] = False


def _names_text(names: list[str]) -> str:
    """'Casey Client', 'Casey Client and Pat Partner', 'A, B and C'."""
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def _therapist_waits(appointment: Appointment, role: str) -> bool:
    """Whether the therapist is already in the call, waiting for this client."""
    if role != Participation.Role.CLIENT:
        return False
    session = VideoSession.objects.filter(appointment=appointment).first()
    return (
        session is not None and services.peer_channel(session_id=session.pk, role=role) is not None
    )


@allow_media
@never_cache
@require_GET
@staff_view()
@call_view
def room(request: StaffRequest, appointment: Appointment, role: str) -> HttpResponse:
    return _room(request, appointment, role)


@allow_media
@never_cache
@require_GET
@call_view
def portal_room(request: HttpRequest, appointment: Appointment, role: str) -> HttpResponse:
    return _room(request, appointment, role)


END_QUESTION = "End the session for everyone?"


@require_POST
@staff_view()
@call_view
def end(request: StaffRequest, appointment: Appointment, role: str) -> HttpResponse:
    """End the session for everyone (the therapist; after a confirmation). The call page
    does this over its WebSocket; this form is the same end without JavaScript."""
    question = Question(
        title=END_QUESTION,
        consequence=(
            f"The call stops for you and for {appointment.client.display_name}. "
            "No one can join this session again."
        ),
        button="End session",
    )
    if not is_confirmed(request):
        return confirmation_page(request, question, back_url=_url(request, "room", appointment))
    services.end_for_everyone(appointment=appointment, by=request.user, request=request)
    messages.success(request, "The session has ended.")
    return redirect("practice:dashboard")


def _ice(request: HttpRequest, appointment: Appointment) -> JsonResponse:
    policy = turn.ice_transport_policy(
        force_relay=request.GET.get("relay") == "1",
        hide_addresses=appointment.practice.hide_network_addresses,
    )
    response = JsonResponse({"iceServers": turn.ice_servers(), "iceTransportPolicy": policy})
    response["Cache-Control"] = "no-store"
    return response


@require_GET
@staff_view()
@call_view
def ice(request: StaffRequest, appointment: Appointment, role: str) -> HttpResponse:
    return _ice(request, appointment)


@require_GET
@call_view
def portal_ice(request: HttpRequest, appointment: Appointment, role: str) -> HttpResponse:
    return _ice(request, appointment)


# --- "Your Teletherapy session … is ready" ------------------------------------------------------


@require_GET
@staff_view()
def ready(request: StaffRequest) -> HttpResponse:
    prompts = staff_prompts(request.staff)
    html = render_to_string("video/_prompt_list.html", {"prompts": prompts}, request=request)
    return JsonResponse(
        {"count": len(prompts), "html": html}, headers={"Cache-Control": "no-store"}
    )


@require_GET  # nosemgrep: view-without-access-function - only the signed-in client's own prompts
def portal_ready(request: HttpRequest) -> HttpResponse:
    client = getattr(request.user, "client", None)
    if client is None:
        raise PermissionDenied("Only clients with a portal account can use this.")
    prompts = client_prompts(client)
    html = render_to_string("video/_prompt_list.html", {"prompts": prompts}, request=request)
    return JsonResponse(
        {"count": len(prompts), "html": html}, headers={"Cache-Control": "no-store"}
    )
