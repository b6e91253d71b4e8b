from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from teletherapy.accounts import links, lockout, mfa, services, tasks
from teletherapy.accounts.forms import CodeForm, ForgotPasswordForm, NewPasswordForm, SignInForm
from teletherapy.lib.redirects import safe_next

RESET_SESSION_KEY = "password_reset_hash"
RESET_LINK_WORDING = links.Wording(
    invalid="This link is not valid. Please check you copied the whole link, or ask for a new one.",
    used="This link has already been used. Each link works only once; please ask for a new one.",
    expired="This link has expired. Links are valid for 24 hours; please ask for a new one.",
    next_steps=[
        ("accounts:forgot_password", "Ask for a new password link"),
        ("accounts:sign_in", "Sign in"),
    ],
)
FORGOT_ANSWER = (
    "If that email address belongs to a staff account here, we have sent it a link to choose "
    "a new password. The link works once and for {hours} hours. Check your inbox (and spam)."
)


@login_not_required
@never_cache
@require_http_methods(["GET", "POST"])
def sign_in(request: HttpRequest) -> HttpResponse:
    """Staff sign-in by email and password. Client accounts are refused here."""
    if request.user.is_authenticated and request.user.is_staff_member:
        return redirect("practice:dashboard")
    form = SignInForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        email = form.cleaned_data["email"].strip().lower()
        user = authenticate(request, username=email, password=form.cleaned_data["password"])
        if getattr(request, "axes_locked_out", False):
            return locked_out(request)
        if user is not None and user.is_staff_member and hasattr(user, "staff"):
            if mfa.confirmed_device(user) is not None:
                mfa.start_pending(request, user, safe_next(request, portal=False) or "")
                return redirect("accounts:sign_in_code")
            services.sign_in(request=request, user=user)
            return redirect(safe_next(request, portal=False) or "practice:dashboard")
        services.record_failed_sign_in(request=request, identifier=email)
        form.add_error(None, "That email and password don't match a staff account.")
    return render(request, "accounts/sign_in.html", {"form": form})


@require_POST
def sign_out(request: HttpRequest) -> HttpResponse:
    services.sign_out(request=request)
    messages.info(request, "You have signed out.")
    return redirect("accounts:sign_in")


LockoutPage = Callable[[HttpRequest, str], HttpResponse]
# Sign-in pages of the areas above accounts (the portal's), by path prefix: each registers
# how it shows a lockout from its AppConfig.ready, so accounts imports none of them.
_LOCKOUT_PAGES: dict[str, LockoutPage] = {}


def register_lockout_page(prefix: str, page: LockoutPage) -> None:
    _LOCKOUT_PAGES[prefix] = page


def locked_out(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    """django-axes calls this when an account is cooling off after repeated failures."""
    # Keep what was typed (the email or username; never echo a password back).
    typed = request.POST.get("email") or request.POST.get("username") or ""
    message = lockout.locked_message(request, typed.strip().lower())
    for prefix, page in _LOCKOUT_PAGES.items():
        if request.path.startswith(prefix):
            return page(request, message)
    form = SignInForm(initial={"email": request.POST.get("email", "")})
    return render(request, "accounts/sign_in.html", {"form": form, "locked": message}, status=429)


@login_not_required
@never_cache
@require_http_methods(["GET", "POST"])
def forgot_password(request: HttpRequest) -> HttpResponse:
    """Ask for a reset link. Known and unknown addresses get exactly the same answer."""
    form = ForgotPasswordForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        tasks.request_password_reset(email=form.cleaned_data["email"], request=request)
        messages.info(request, FORGOT_ANSWER.format(hours=settings.LINK_VALID_HOURS))
        return redirect("accounts:forgot_password")
    return render(request, "accounts/forgot_password.html", {"form": form})


# The emailed link: keep only the token's hash, in the session, and drop it from the URL.
reset_link = links.opener(session_key=RESET_SESSION_KEY, to="accounts:reset_password")


@login_not_required
@never_cache
@require_http_methods(["GET", "POST"])
def reset_password(request: HttpRequest) -> HttpResponse:
    """Choose a new password through the link whose hash the session holds."""
    token_hash = links.session_hash(request, RESET_SESSION_KEY)
    try:
        link = services.find_reset_link(token_hash)
    except links.LinkError as exc:
        return links.problem_page(request, exc, RESET_LINK_WORDING)
    form = NewPasswordForm(request.POST or None, user=link.user)
    if request.method == "POST" and form.is_valid():
        try:
            services.reset_password(
                token_hash=token_hash, password=form.cleaned_data["password1"], request=request
            )
        except links.LinkError as exc:
            return links.problem_page(request, exc, RESET_LINK_WORDING)
        request.session.pop(RESET_SESSION_KEY, None)
        messages.success(request, "Your password has been changed. Please sign in with it.")
        return redirect("accounts:sign_in")
    return render(request, "accounts/reset_password.html", {"form": form, "person": link.user})


CODE_REFUSED = mfa.CODE_REFUSED


@login_not_required
@never_cache
@require_http_methods(["GET", "POST"])
def sign_in_code(request: HttpRequest) -> HttpResponse:
    """Second step of sign-in for people who switched on two-step sign-in: staff under
    /accounts/, clients under /portal/ (each area's own accounts only)."""
    portal = request.path.startswith("/portal/")
    user, next_url = mfa.pending_user(request)
    if user is not None and user.is_client != portal:
        user = None
    device = mfa.confirmed_device(user) if user is not None else None
    if user is None or device is None:
        if portal:
            messages.info(request, "Please sign in with your username and password first.")
            return redirect("portal:sign_in")
        messages.info(request, "Please sign in with your email and password first.")
        return redirect("accounts:sign_in")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        used, problem = mfa.check_code(user, form.cleaned_data["code"])
        if used is not None:
            request.session.pop(mfa.PENDING_KEY, None)
            if portal:
                client = user.client
                services.sign_in(
                    request=request, user=user, practice=client.practice, obj=client, device=used
                )
                return redirect(next_url or "portal:dashboard")
            services.sign_in(request=request, user=user, device=used)
            return redirect(next_url or "practice:dashboard")
        services.record_failed_sign_in(
            request=request,
            identifier=user.username if portal else user.email,
            portal=portal,
            user=user,
            reason="two-step code",
        )
        form.add_error("code", problem)
    context: dict[str, Any] = {"form": form, "portal": portal}
    if portal:
        context["base"] = "portal/_base.html"
    return render(request, "accounts/sign_in_code.html", context)
