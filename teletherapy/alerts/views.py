"""The alert's two forms: a word to the waiting client, and the chime on or off. Both answer
JSON to alerts.js (Accept: application/json) and redirect back without JavaScript."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from teletherapy.alerts import services
from teletherapy.lib.redirects import safe_next
from teletherapy.practice.access import StaffRequest, staff_view
from teletherapy.scheduling.access import get_appointment_for


def _wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def _answer(
    request: HttpRequest, *, ok: bool, text: str, back: str, status: int = 200, **extra: object
) -> HttpResponse:
    if _wants_json(request):
        body = {"ok": ok, "message": text, **extra}
        return JsonResponse(body, status=status, headers={"Cache-Control": "no-store"})
    (messages.success if ok else messages.error)(request, text)
    return redirect(safe_next(request, portal=False) or back)


@require_POST
@staff_view()
def word(request: StaffRequest, appointment_id: int) -> HttpResponse:
    """Send a short message to the client waiting in the Telehealth Waiting Room."""
    appointment = get_appointment_for(request.staff, appointment_id)
    back = reverse("scheduling:appointment", kwargs={"appointment_id": appointment.pk})
    # A preset button's value comes with the (empty) box for one's own words.
    text = next((t for t in request.POST.getlist("text") if t.strip()), "")
    to_field = request.POST.get("to", "").strip()
    try:
        if to_field and not to_field.isdigit():
            raise ValidationError("Choose someone in this session, or everyone.")
        sent = services.send_word(
            appointment=appointment,
            by=request.staff,
            text=text,
            to=int(to_field) if to_field else None,
            request=request,
        )
    except ValidationError as exc:
        problem = " ".join(exc.messages)
        if _wants_json(request):
            return _answer(request, ok=False, text=problem, back=back, status=400)
        # Without JavaScript: the form again, with what was written and what to change.
        context = {
            "appointment": appointment,
            "problem": problem,
            "text": text,
            "presets": services.PRESETS,
            "back_url": safe_next(request, portal=False) or back,
        }
        return render(request, "alerts/word.html", context, status=400)
    except PermissionDenied as exc:
        if _wants_json(request):
            return _answer(request, ok=False, text=str(exc), back=back, status=403)
        raise
    if sent.to is not None:
        name = sent.to.display_name
    elif len(appointment.attendees()) > 1:
        name = "everyone waiting"
    else:
        name = appointment.client.display_name
    return _answer(request, ok=True, text=f"Sent to {name}: “{sent.text}”", back=back)


@require_POST
@staff_view()
def chime(request: StaffRequest) -> HttpResponse:
    """Switch the person's check-in chime on (on=1) or off (on=0)."""
    on = request.POST.get("on")
    back = reverse("practice:dashboard")
    if on not in {"0", "1"}:
        return _answer(
            request,
            ok=False,
            text="Choose whether to switch the chime on or off.",
            back=back,
            status=400,
        )
    services.set_chime(user=request.staff.user, on=on == "1")
    text = "The check-in chime is on." if on == "1" else "The check-in chime is off."
    return _answer(request, ok=True, text=text, back=back, chime=on == "1")
