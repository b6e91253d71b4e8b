from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth import authenticate, login, logout
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from teletherapy.accounts.forms import SignInForm
from teletherapy.audit.models import Action
from teletherapy.audit.services import record

LOCKED_MESSAGE = (
    "Too many failed sign-in attempts. For your security, sign-in is paused for this account "
    "from this device; please try again in 15 minutes or reset your password."
)


@login_not_required
@require_http_methods(["GET", "POST"])
def sign_in(request: HttpRequest) -> HttpResponse:
    """Staff sign-in by email and password. Client accounts are refused here."""
    if request.user.is_authenticated and request.user.is_staff_member:  # type: ignore[union-attr]
        return redirect("practice:dashboard")
    form = SignInForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        email = form.cleaned_data["email"].strip().lower()
        user = authenticate(request, username=email, password=form.cleaned_data["password"])
        if getattr(request, "axes_locked_out", False):
            return locked_out(request)
        if user is not None and user.is_staff_member and hasattr(user, "staff"):  # type: ignore[union-attr]
            login(request, user)
            record(Action.SIGN_IN, actor=user, request=request)
            return redirect(_safe_next(request) or "practice:dashboard")
        record(Action.SIGN_IN_FAILED, request=request, actor_label=email)
        form.add_error(None, "That email and password don't match a staff account.")
    return render(request, "accounts/sign_in.html", {"form": form})


def _safe_next(request: HttpRequest) -> str | None:
    from django.utils.http import url_has_allowed_host_and_scheme

    nxt = request.GET.get("next") or ""
    if (
        nxt
        and url_has_allowed_host_and_scheme(nxt, {request.get_host()})
        and not nxt.startswith("/portal/")
    ):
        return nxt
    return None


@require_POST
def sign_out(request: HttpRequest) -> HttpResponse:
    record(Action.SIGN_OUT, actor=request.user, request=request)
    logout(request)
    messages.info(request, "You have signed out.")
    return redirect("accounts:sign_in")


def locked_out(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    """django-axes calls this when an account is cooling off after repeated failures."""
    template = (
        "portal/sign_in.html" if request.path.startswith("/portal/") else "accounts/sign_in.html"
    )
    form = SignInForm(request.POST or None)
    return render(request, template, {"form": form, "locked": LOCKED_MESSAGE}, status=429)
