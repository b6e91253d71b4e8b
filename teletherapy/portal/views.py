"""The Client Portal: sign-in, links from emails, the Dashboard, My details, password."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import authenticate, update_session_auth_hash
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.forms import PasswordChangeForm, SetPasswordForm
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from teletherapy.accounts import links, lockout, mfa
from teletherapy.accounts import services as account_services
from teletherapy.accounts.reauth import recent_sign_in_required
from teletherapy.clients.models import PortalInvitation
from teletherapy.lib import clock
from teletherapy.lib.redirects import safe_next
from teletherapy.portal import services, tasks
from teletherapy.portal.access import current_client
from teletherapy.portal.forms import (
    ConfirmBirthDateForm,
    ContactForm,
    CreateAccountForm,
    ForgotPasswordForm,
    PortalSignInForm,
)
from teletherapy.scheduling.guardians import wards_in
from teletherapy.scheduling.models import Appointment

_INVITE_KEY = "portal_invite_hash"
_INVITE_DOB_KEY = "portal_invite_dob_ok"
_RESET_KEY = "portal_reset_hash"
# Clients get one plain answer whatever the reason: their practice sends a new link.
_LINK_PROBLEM = "This link has expired. Please ask your therapist's office to send a new one."
LINK_WORDING = links.Wording(
    invalid=_LINK_PROBLEM,
    used=_LINK_PROBLEM,
    expired=_LINK_PROBLEM,
    next_steps=[("portal:sign_in", "Sign in to the Client Portal")],
    base="portal/_base.html",
)


@login_not_required
@require_http_methods(["GET", "POST"])
def sign_in(request: HttpRequest) -> HttpResponse:
    """Client sign-in by username and password. Staff accounts are refused here."""
    user = request.user
    if user.is_authenticated and user.is_client:
        return redirect("portal:dashboard")
    form = PortalSignInForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        username = form.cleaned_data["username"].strip().lower()
        found = authenticate(request, username=username, password=form.cleaned_data["password"])
        if getattr(request, "axes_locked_out", False):
            return locked_out_page(request, lockout.locked_message(request, username))
        client = getattr(found, "client", None) if found is not None else None
        if found is not None and found.is_client and client is not None and client.is_active:
            if mfa.confirmed_device(found) is not None:
                mfa.start_pending(request, found, safe_next(request, portal=True) or "")
                return redirect("portal:sign_in_code")
            account_services.sign_in(
                request=request,
                user=found,
                practice=client.practice,
                obj=client,
            )
            return redirect(safe_next(request, portal=True) or "portal:dashboard")
        account_services.record_failed_sign_in(request=request, identifier=username, portal=True)
        if found is not None and found.is_staff_member:
            form.add_error(
                None,
                "Staff accounts can't sign in to the Client Portal. Please use the staff sign-in page.",
            )
        else:
            form.add_error(None, "That username and password don't match a portal account.")
    return render(request, "portal/sign_in.html", {"form": form})


def locked_out_page(request: HttpRequest, message: str) -> HttpResponse:
    """The portal sign-in while the account cools off (accounts.views.locked_out calls this
    for /portal/ paths); keeps the username, never the password."""
    form = PortalSignInForm(initial={"username": request.POST.get("username", "")})
    return render(request, "portal/sign_in.html", {"form": form, "locked": message}, status=429)


@require_POST
def sign_out(request: HttpRequest) -> HttpResponse:
    account_services.sign_out(request=request)
    messages.info(request, "You have signed out.")
    return redirect("portal:sign_in")


@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    client = current_client(request)
    appointments = list(
        Appointment.objects.of_client(client)
        .filter(status=Appointment.Status.SCHEDULED, end__gte=timezone.now())
        # A Teletherapy session the therapist ended for everyone is over, not upcoming.
        .exclude(video_session__closed_at__isnull=False)
        .select_related("therapist__user")
        # A joint session (a couple, a family) is marked as one, naming no one else.
        .annotate(other_clients=Count("additional_clients", distinct=True))
        .order_by("start", "id")[:50]
    )
    # A guardian's list names whose session each of their wards' is (and nothing more).
    wards = wards_in(appointments, client)
    for appointment in appointments:
        appointment.ward = wards.get(appointment.pk)  # type: ignore[attr-defined]
    return render(
        request,
        "portal/dashboard.html",
        {
            "client": client,
            "appointments": appointments,
            "zone": clock.viewer_zone(client),
            "portal_nav": "dashboard",
        },
    )


@require_http_methods(["GET", "POST"])
@recent_sign_in_required
def details(request: HttpRequest) -> HttpResponse:
    client = current_client(request)
    form = ContactForm(request.POST or None, instance=client)
    if request.method == "POST":
        saved = current_client(request)
        if form.is_valid():
            changed = services.update_contact_details(
                client=saved, fields=dict(form.cleaned_data), request=request
            )
            messages.success(
                request, "Your details were saved." if changed else "Nothing was changed."
            )
            return redirect("portal:details")
    return render(request, "portal/details.html", {"form": form, "portal_nav": "details"})


@require_http_methods(["GET", "POST"])
def change_password(request: HttpRequest) -> HttpResponse:
    client = current_client(request)
    assert client.user is not None  # current_client() found the client by its user
    form = PasswordChangeForm(client.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = client.user
        account_services.change_password(
            user=user,
            password=form.cleaned_data["new_password1"],
            keep=request.session.session_key,
            request=request,
        )
        update_session_auth_hash(request, user)
        messages.success(request, "Your password was changed.")
        return redirect("portal:dashboard")
    return render(request, "portal/password.html", {"form": form, "portal_nav": "password"})


@login_not_required
@require_http_methods(["GET", "POST"])
def forgot_password(request: HttpRequest) -> HttpResponse:
    """The same answer whether or not an account matches: no account enumeration."""
    form = ForgotPasswordForm(request.POST or None)
    sent = False
    if request.method == "POST" and form.is_valid():
        tasks.request_password_reset(identifier=form.cleaned_data["identifier"], request=request)
        sent = True
    return render(request, "portal/forgot.html", {"form": form, "sent": sent})


# Links from emails: take the token out of the URL at once.


invite_link = links.opener(session_key=_INVITE_KEY, to="portal:invite", forget=[_INVITE_DOB_KEY])
reset_link = links.opener(session_key=_RESET_KEY, to="portal:reset")


def _problem(request: HttpRequest, error: links.LinkError) -> HttpResponse:
    if error.reason == "expired" and isinstance(error.link, PortalInvitation):
        services.note_link_expired(link=error.link, request=request)
    return links.problem_page(request, error, LINK_WORDING)


@login_not_required
@require_http_methods(["GET", "POST"])
def invite(request: HttpRequest) -> HttpResponse:
    """Sign-up from an invite: confirm the date of birth, then choose username and password."""
    try:
        link = services.find_link(
            token_hash=links.session_hash(request, _INVITE_KEY), kind=PortalInvitation.Kind.INVITE
        )
    except links.LinkError as exc:
        return _problem(request, exc)
    client = link.client
    if request.session.get(_INVITE_DOB_KEY) != link.pk:
        dob_form = ConfirmBirthDateForm(request.POST or None)
        if request.method == "POST" and dob_form.is_valid():
            try:
                ok = services.confirm_birth_date(
                    link=link, date_of_birth=dob_form.cleaned_data["date_of_birth"], request=request
                )
            except links.LinkError as exc:
                return _problem(request, exc)
            if ok:
                request.session[_INVITE_DOB_KEY] = link.pk
                return redirect("portal:invite")
            if link.voided_at is not None:
                return _problem(request, links.LinkError("invalid", link))
            dob_form.add_error(
                "date_of_birth",
                "That date of birth doesn't match our records. Please check it and try again.",
            )
        return render(
            request,
            "portal/invite_dob.html",
            {
                "form": dob_form,
                "practice": client.practice,
                "first_name": client.preferred_name or client.first_name,
            },
        )
    form = CreateAccountForm(request.POST or None, client=client)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.create_portal_account(
                link=link,
                username=form.cleaned_data["username"],
                password=form.cleaned_data["password1"],
                request=request,
            )
        except links.LinkError as exc:
            return _problem(request, exc)
        for key in (_INVITE_KEY, _INVITE_DOB_KEY):
            request.session.pop(key, None)
        account_services.sign_in(request=request, user=user, practice=client.practice, obj=client)
        messages.success(request, "Your Client Portal account is ready.")
        return redirect("portal:dashboard")
    return render(
        request,
        "portal/invite_account.html",
        {
            "form": form,
            "practice": client.practice,
            "first_name": client.preferred_name or client.first_name,
        },
    )


@login_not_required
@require_http_methods(["GET", "POST"])
def reset(request: HttpRequest) -> HttpResponse:
    """Choose a new password from a reset link."""
    try:
        link = services.find_link(
            token_hash=links.session_hash(request, _RESET_KEY), kind=PortalInvitation.Kind.RESET
        )
    except links.LinkError as exc:
        return _problem(request, exc)
    client = link.client
    account = link.client.user
    assert account is not None  # find_link() gives a reset link only for a client with one
    form = SetPasswordForm(account, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.reset_portal_password(
                link=link, password=form.cleaned_data["new_password1"], request=request
            )
        except links.LinkError as exc:
            return _problem(request, exc)
        request.session.pop(_RESET_KEY, None)
        account_services.sign_in(request=request, user=user, practice=client.practice, obj=client)
        messages.success(request, "Your password was changed.")
        return redirect("portal:dashboard")
    return render(
        request,
        "portal/reset.html",
        {"form": form, "practice": client.practice, "username": account.username},
    )
