"""Reminder pages: the Confirm, Cancel and Join links (public, token moved to the session at
once), Twilio's webhooks, Practice Settings > Reminders, a client's text consent, and the
client's device check a day ahead."""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from teletherapy.accounts import links
from teletherapy.accounts.mfa import uses_two_step
from teletherapy.clients.access import can_manage_clients, get_client_for
from teletherapy.lib import clock
from teletherapy.lib.headers import allow_media
from teletherapy.portal.access import current_client
from teletherapy.portal.forms import ConfirmBirthDateForm
from teletherapy.practice.access import StaffRequest, staff_view
from teletherapy.reminders import services
from teletherapy.reminders.forms import ReminderSettingsForm, TextConsentForm
from teletherapy.reminders.models import ReminderLink, ReminderSettings
from teletherapy.reminders.pages import upcoming_teletherapy
from teletherapy.video.services import window_state

log = logging.getLogger(__name__)

SESSION_KEYS: dict[str, str] = {
    ReminderLink.Kind.CONFIRM: "reminder_confirm_hash",
    ReminderLink.Kind.CANCEL: "reminder_cancel_hash",
    ReminderLink.Kind.JOIN: "reminder_join_hash",
}
_NEXT = [("portal:sign_in", "Sign in to your Client Portal")]
WORDING: dict[str, links.Wording] = {
    ReminderLink.Kind.CONFIRM: links.Wording(
        invalid="This Confirm link is not valid. A newer reminder may have replaced it.",
        used="This appointment was already confirmed with this link. Nothing more to do.",
        expired="This Confirm link has expired: the appointment has started or passed.",
        next_steps=_NEXT,
    ),
    ReminderLink.Kind.CANCEL: links.Wording(
        invalid="This Cancel link is not valid. A newer reminder may have replaced it.",
        used="This link was already used: the appointment is cancelled.",
        expired="This Cancel link has expired: the appointment has started or passed.",
        next_steps=_NEXT,
    ),
    ReminderLink.Kind.JOIN: links.Wording(
        invalid=(
            "This join link no longer works. Sign in to your Client Portal to join, or ask "
            "your practice."
        ),
        used="This join link was already used.",
        expired="This join link has expired: the session is over.",
        next_steps=_NEXT,
    ),
}


def _find(request: HttpRequest, kind: str) -> ReminderLink:
    queryset = ReminderLink.objects.filter(kind=kind).select_related(
        "appointment__client__user",
        "appointment__practice",
        "appointment__therapist__user",
        "reminder__client__user",
    )
    return links.find_usable(queryset, links.session_hash(request, SESSION_KEYS[kind]))


def _summary(link: ReminderLink) -> dict[str, Any]:
    appointment = link.appointment
    # The zone of the client the reminder went to (each of a couple has their own).
    tz = clock.viewer_zone(link.reminder.recipient)
    choice = ReminderSettings.of(appointment.practice)
    return {
        "appointment": appointment,
        "practice_name": appointment.practice.name,
        "therapist_name": appointment.therapist.name,
        "when": clock.named(clock.date_time_text(appointment.start, tz), tz),
        "is_teletherapy": appointment.is_teletherapy,
        "policy": choice.policy_text,
        "cancel_by": clock.named(clock.date_time_text(choice.cancel_deadline(appointment), tz), tz),
        "is_joint": appointment.is_group,
    }


def _told(request: HttpRequest, message: str, *, status: int = 200, **extra: Any) -> HttpResponse:
    """The plain page that says what happened."""
    return render(request, "reminders/answer.html", {"message": message, **extra}, status=status)


confirm_link = links.opener(
    session_key=SESSION_KEYS[ReminderLink.Kind.CONFIRM], to="reminders:confirm"
)
cancel_link = links.opener(
    session_key=SESSION_KEYS[ReminderLink.Kind.CANCEL], to="reminders:cancel"
)
join_link = links.opener(session_key=SESSION_KEYS[ReminderLink.Kind.JOIN], to="reminders:join")


@login_not_required
@never_cache
@require_http_methods(["GET", "POST"])
def confirm(request: HttpRequest) -> HttpResponse:
    """The Confirm link's page: what is being confirmed, and a button (a GET never answers,
    so a mail scanner opening the link confirms nothing)."""
    kind = ReminderLink.Kind.CONFIRM
    try:
        link = _find(request, kind)
        if link.appointment.is_cancelled:
            raise services.AnswerRefused(
                "This appointment was cancelled, so there is nothing to confirm."
            )
        services.refuse_if_moved(link, link.appointment)
        if request.method == "POST":
            services.confirm_appointment(link=link, request=request)
            return _told(request, "Thank you. Your appointment is confirmed.", **_summary(link))
    except links.LinkError as error:
        return links.problem_page(request, error, WORDING[kind])
    except services.AnswerRefused as refused:
        return _told(request, refused.message, status=400)
    return render(request, "reminders/confirm.html", _summary(link))


@login_not_required
@never_cache
@require_http_methods(["GET", "POST"])
def cancel(request: HttpRequest) -> HttpResponse:
    """The Cancel link's page: the policy, and a button while outside the window."""
    kind = ReminderLink.Kind.CANCEL
    try:
        link = _find(request, kind)
        summary = _summary(link)
        appointment = link.appointment
        if appointment.is_cancelled:
            raise services.AnswerRefused("This appointment was already cancelled.")
        services.refuse_if_moved(link, appointment)
        from django.utils import timezone

        too_late = timezone.now() > ReminderSettings.of(appointment.practice).cancel_deadline(
            appointment
        )
        if request.method == "POST":
            services.cancel_by_client(link=link, request=request)
            return _told(
                request,
                "Your appointment is cancelled. It now shows as cancelled in the practice's schedule.",
                **summary,
            )
    except links.LinkError as error:
        return links.problem_page(request, error, WORDING[kind])
    except services.AnswerRefused as refused:
        return _told(request, refused.message, status=400)
    return render(request, "reminders/cancel.html", {**summary, "too_late": too_late})


@login_not_required
@never_cache
@require_http_methods(["GET", "POST"])
def join(request: HttpRequest) -> HttpResponse:
    """The join link's page: the client's date of birth (5 tries), then signed in for this
    one appointment."""
    kind = ReminderLink.Kind.JOIN
    try:
        link = _find(request, kind)
    except links.LinkError as error:
        return links.problem_page(request, error, WORDING[kind])
    appointment = link.appointment
    user = request.user
    if (
        user.is_authenticated
        and user.pk == link.reminder.recipient.user_id
        and services.JOIN_SESSION_KEY not in request.session
    ):
        # Already signed in to the portal in full: no second check, and keep the full sign-in.
        return redirect("portal_video:check", appointment_id=appointment.pk)
    state = window_state(appointment)
    if state in ("over", "unavailable") or link.reminder.recipient.user is None:
        return _told(request, "This session can no longer be joined from this link.", status=400)
    if uses_two_step(link.reminder.recipient.user):
        # A date of birth is not the second step the client chose: sign in in full.
        return _told(
            request,
            "You use two-step sign-in, so join from the Client Portal: sign in there and "
            "the session is on your Dashboard.",
            status=400,
        )
    form = ConfirmBirthDateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            right = services.check_join_birth_date(
                link=link, date_of_birth=form.cleaned_data["date_of_birth"], request=request
            )
        except links.LinkError as error:
            return links.problem_page(request, error, WORDING[kind])
        if right:
            try:
                services.sign_in_for_join(request=request, link=link)
            except PermissionDenied:
                return _told(request, "This portal account is switched off.", status=403)
            return redirect("portal_video:check", appointment_id=appointment.pk)
        if link.voided_at is not None:
            return links.problem_page(request, links.LinkError("invalid", link), WORDING[kind])
        left = services.MAX_DOB_TRIES - link.dob_failures
        form.add_error(
            "date_of_birth",
            f"That date of birth does not match our records. {left} "
            f"tr{'ies' if left != 1 else 'y'} left.",
        )
    return render(request, "reminders/join.html", {**_summary(link), "form": form})


# Twilio's webhooks ----------------------------------------------------------------------------


def _verified_twilio(request: HttpRequest) -> bool:
    from twilio.request_validator import RequestValidator

    token = settings.TWILIO_AUTH_TOKEN
    if not token:
        return False
    url = settings.SITE_URL + request.path
    signature = request.headers.get("X-Twilio-Signature", "")
    return bool(RequestValidator(token).validate(url, request.POST.dict(), signature))


# Twilio's webhooks carry no CSRF token: each request is checked against Twilio's signature.
@csrf_exempt  # nosemgrep: no-csrf-exempt
@login_not_required
@require_POST
def twilio_inbound(request: HttpRequest) -> HttpResponse:
    """A text a client sent to the practice's number: STOP ends their reminder texts."""
    if not _verified_twilio(request):
        return HttpResponse("Signature does not match.", status=403, content_type="text/plain")
    from teletherapy.lib.phones import normalise_phone

    try:
        phone = normalise_phone(request.POST.get("From", ""))
    except ValueError:
        phone = ""
    services.inbound_text(phone=phone, body=request.POST.get("Body", ""))
    # Twilio itself answers STOP with its own confirmation; say nothing more.
    return HttpResponse(
        '<?xml version="1.0" encoding="UTF-8"?><Response></Response>', content_type="text/xml"
    )


@csrf_exempt  # nosemgrep: no-csrf-exempt - Twilio's signature is checked instead
@login_not_required
@require_POST
def twilio_status(request: HttpRequest) -> HttpResponse:
    """Twilio's status callback for a text: delivered, undelivered or failed."""
    if not _verified_twilio(request):
        return HttpResponse("Signature does not match.", status=403, content_type="text/plain")
    services.record_delivery(
        provider_id=request.POST.get("MessageSid", ""),
        provider_status=request.POST.get("MessageStatus", ""),
    )
    return HttpResponse(status=204)


# Staff: Practice Settings > Reminders, and a client's consent to texts ------------------------


@require_http_methods(["GET", "POST"])
@staff_view(lambda staff: staff.can_manage_staff)
def reminder_settings(request: StaffRequest) -> HttpResponse:
    """Practice Settings > Reminders (Owners and Managers)."""
    staff = request.staff
    form = ReminderSettingsForm(request.POST or None, instance=ReminderSettings.of(staff.practice))
    if request.method == "POST" and form.is_valid():
        services.update_reminder_settings(by=staff, request=request, **form.values())
        messages.success(request, "Reminder settings saved.")
        return redirect("reminders_staff:settings")
    return render(
        request,
        "reminders/settings.html",
        {"nav_active": "settings", "tab": "reminders", "staff": staff, "form": form},
    )


@require_POST
@staff_view(can_manage_clients)
def client_texts(request: StaffRequest, client_id: int) -> HttpResponse:
    """Record the client's consent to reminder texts (with the wording shown), or its end."""
    client = get_client_for(request.staff, client_id)
    form = TextConsentForm(request.POST)
    back = redirect("clients:detail", client_id=client.pk)
    if not form.is_valid():
        messages.error(request, "Choose whether the client agreed.")
        return back
    try:
        services.record_text_consent(
            client=client, by=request.staff, agreed=form.cleaned_data["agreed"], request=request
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return back
    messages.success(
        request,
        "Consent to reminder texts recorded."
        if form.cleaned_data["agreed"]
        else "Reminder texts stopped for this client.",
    )
    return back


# Portal: the device check a day ahead ---------------------------------------------------------


@allow_media
@never_cache
@require_GET
def device_check(request: HttpRequest) -> HttpResponse:
    """ "Test your camera and microphone now": the join-time device check, any time before an
    upcoming Teletherapy Session."""
    client = current_client(request)
    appointment = upcoming_teletherapy(client)
    if appointment is None:
        raise PermissionDenied("You have no upcoming Teletherapy Session.")
    tz = clock.viewer_zone(client)
    return render(
        request,
        "reminders/device_check.html",
        {
            "appointment": appointment,
            "when": clock.named(clock.date_time_text(appointment.start, tz), tz),
            "peer_name": appointment.therapist.name,
            "practice_name": appointment.practice.name,
            "portal_nav": "dashboard",
        },
    )
