"""A signed-in person's own account: My account (password, two-step sign-in, sessions), and
confirming the password before a sensitive change."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth import authenticate, update_session_auth_hash
from django.contrib.auth.forms import PasswordChangeForm
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from teletherapy.accounts import mfa, services
from teletherapy.accounts.forms import CodeForm
from teletherapy.accounts.models import User, UserSession
from teletherapy.accounts.reauth import note_authenticated, recent_sign_in_required
from teletherapy.lib.redirects import safe_next


def _own_account(request: HttpRequest) -> User:
    """The signed-in person, acting on their own account only (staff or client)."""
    if not request.user.is_authenticated:
        raise PermissionDenied("Please sign in.")
    return request.user


def _staff_user(request: HttpRequest) -> User:
    user = request.user
    if not user.is_authenticated or not user.is_staff_member:
        raise PermissionDenied("Only a practice's staff can use this page.")
    return user


def _sessions(request: HttpRequest, user: User) -> list[dict[str, Any]]:
    current = request.session.session_key
    return [
        {"created_at": row.created_at, "current": row.session_key == current}
        for row in UserSession.objects.filter(user=user).order_by("-created_at")
    ]


@never_cache
@require_http_methods(["GET"])
def my_account(request: HttpRequest) -> HttpResponse:
    """My account: password, two-step sign-in and open sessions, in one easy-to-find place."""
    user = _staff_user(request)
    return _render_account(request, user, PasswordChangeForm(user, auto_id="pw_%s"))


def _render_account(
    request: HttpRequest, user: User, form: forms.Form, status: int = 200
) -> HttpResponse:
    return render(
        request,
        "accounts/my_account.html",
        {
            "form": form,
            "nav_active": "account",
            "two_step_on": mfa.confirmed_device(user) is not None,
            "codes_left": mfa.recovery_codes_left(user),
            "sessions": _sessions(request, user),
        },
        status=status,
    )


@never_cache
@require_POST
@recent_sign_in_required
def change_password(request: HttpRequest) -> HttpResponse:
    user = _staff_user(request)
    form = PasswordChangeForm(user, request.POST, auto_id="pw_%s")
    if not form.is_valid():
        return _render_account(request, user, form, status=400)
    services.change_password(
        user=user,
        password=form.cleaned_data["new_password1"],
        keep=request.session.session_key,
        request=request,
    )
    update_session_auth_hash(request, user)
    messages.success(request, "Your password was changed. Other sessions were signed out.")
    return redirect("accounts:my_account")


@never_cache
@require_POST
def sign_out_others(request: HttpRequest) -> HttpResponse:
    """Sign out of all other sessions (staff: My account; clients: the portal's password page)."""
    user = _own_account(request)
    ended = services.end_other_sessions(
        user=user, keep=request.session.session_key, request=request
    )
    messages.success(request, f"Signed out of {ended} other session{'' if ended == 1 else 's'}.")
    return redirect("portal:password" if user.is_client else "accounts:my_account")


class ConfirmForm(forms.Form):
    password = forms.CharField(
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password", "autofocus": True}),
    )
    code = forms.CharField(
        label="Code from your app (or a recovery code)",
        required=False,
        max_length=20,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )


@never_cache
@require_http_methods(["GET", "POST"])
def confirm(request: HttpRequest) -> HttpResponse:
    """Type the password again (and a code, with two-step sign-in) before a sensitive change."""
    user = _own_account(request)
    portal = user.is_client
    needs_code = mfa.confirmed_device(user) is not None
    form = ConfirmForm(request.POST or None)
    if not needs_code:
        del form.fields["code"]
    if request.method == "POST" and form.is_valid():
        checked = authenticate(
            request, username=user.username, password=form.cleaned_data["password"]
        )
        if getattr(request, "axes_locked_out", False):
            from teletherapy.accounts.views import locked_out

            return locked_out(request)
        if checked is None or checked.pk != user.pk:
            form.add_error("password", "That password isn't right.")
        elif needs_code:
            device, problem = mfa.check_code(user, form.cleaned_data.get("code") or "")
            if device is None:
                form.add_error("code", problem)
        if not form.errors:
            note_authenticated(request)
            default = "portal:dashboard" if portal else "accounts:my_account"
            return redirect(safe_next(request, portal=portal) or default)
    template = "portal/confirm.html" if portal else "accounts/confirm.html"
    return render(request, template, {"form": form, "nav_active": "account"})


@never_cache
@require_http_methods(["GET", "POST"])
@recent_sign_in_required
def two_step(request: HttpRequest) -> HttpResponse:
    """Set up two-step sign-in (a device is made only on POST), switch it off, or make new
    recovery codes. Each change needs a current code."""
    user = _staff_user(request)
    device = mfa.confirmed_device(user)
    form = CodeForm(request.POST or None)
    action = request.POST.get("action") or ("off" if device else "confirm")
    if request.method == "POST" and action == "start" and device is None:
        mfa.start_setup(user=user)
        return redirect("accounts:two_step")
    if request.method == "POST" and form.is_valid():
        code = form.cleaned_data["code"]
        if device is None and action == "confirm":
            codes = mfa.turn_on(user=user, code=code, request=request)
            if codes is not None:
                messages.success(
                    request, "Two-step sign-in is on. You'll be asked for a code at sign-in."
                )
                return _codes_page(request, codes)
        elif device is not None and action == "codes":
            try:
                codes = mfa.new_recovery_codes(user=user, code=code, request=request)
            except ValueError as exc:
                form.add_error("code", str(exc))
            else:
                return _codes_page(request, codes)
        elif (
            device is not None
            and action == "off"
            and mfa.turn_off(user=user, code=code, request=request)
        ):
            messages.success(request, "Two-step sign-in is off.")
            return redirect("accounts:two_step")
        if not form.errors:
            form.add_error("code", mfa.CODE_REFUSED)
    context: dict[str, Any] = {
        "form": form,
        "enabled": device is not None,
        "nav_active": "account",
        "codes_left": mfa.recovery_codes_left(user) if device else 0,
        "required": getattr(request, "two_step_required", False),
    }
    pending = mfa.pending_device(user) if device is None else None
    if pending is not None:
        context.update(
            pending=True,
            manual_key=mfa.manual_key(pending),
            config_url=pending.config_url,
            qr_code=mfa.qr_code(pending),
        )
    return render(request, "accounts/two_step.html", context)


def _codes_page(request: HttpRequest, codes: list[str]) -> HttpResponse:
    return render(
        request, "accounts/recovery_codes.html", {"codes": codes, "nav_active": "account"}
    )
