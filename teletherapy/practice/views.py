from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.db import IntegrityError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from teletherapy.accounts import links
from teletherapy.accounts import services as account_services
from teletherapy.accounts.forms import NewPasswordForm
from teletherapy.lib import clock, confirm
from teletherapy.practice import services, teletherapy_off
from teletherapy.practice.access import StaffRequest, get_staff_member_for, staff_view
from teletherapy.practice.forms import (
    AddStaffForm,
    CallPrivacyForm,
    CreatePracticeForm,
    PracticeDetailsForm,
    RolesForm,
    SecurityForm,
    TherapistDetailsForm,
)
from teletherapy.practice.models import Role, StaffMember

INVITATION_SESSION_KEY = "staff_invitation_hash"
SIGNUP_SESSION_KEY = "practice_signup_hash"
SIGNUP_WORDING = links.Wording(
    invalid="This link is not valid. Please check you copied the whole link.",
    used="This link has already been used. Sign in with your email and password.",
    expired=(
        "This link has expired. Links are valid for 24 hours; please fill in "
        "\u201cCreate your practice\u201d again."
    ),
    next_steps=[("practice:create", "Create your practice"), ("accounts:sign_in", "Sign in")],
)
INVITATION_WORDING = links.Wording(
    invalid="This invitation link is not valid. Please check you copied the whole link.",
    used="This invitation has already been used. Sign in with your email and password.",
    expired=(
        "This invitation has expired. Invitations are valid for 24 hours; "
        "ask your practice's Owner or Manager to send a new one."
    ),
    next_steps=[
        ("accounts:sign_in", "Sign in"),
        ("accounts:forgot_password", "Forgot password?"),
    ],
)
CREDENTIALING_NOTE = (
    "Check first with your local credentialing office and ensure additional requirements "
    "for enabling Teletherapy are understood."
)


def _can_manage(staff: StaffMember) -> bool:
    return staff.can_manage_staff


def deactivate_question(member: StaffMember) -> confirm.Question:
    return confirm.Question(
        title=f"Deactivate {member.name}?",
        consequence=(
            f"{member.name} is signed out everywhere at once and can no longer sign in. "
            "Their appointments and records stay; you can reactivate them later."
        ),
        button="Deactivate",
    )


def teletherapy_off_question(member: StaffMember, tz_name: str) -> confirm.Question:
    """The question before switching Teletherapy off; with the therapist's upcoming
    Teletherapy Sessions listed and what to do with them, when they have any."""
    booked = tuple(teletherapy_off.booked(member, tz_name))
    if not booked:
        return confirm.Question(
            title=f"Switch off Teletherapy for {member.name}?",
            consequence=(
                f"{member.name} and their clients can no longer join Teletherapy Sessions, "
                "and no new ones can be booked for them until it is switched on again."
            ),
            button="Switch off Teletherapy",
        )
    count = len(booked)
    sessions = "Teletherapy Session" if count == 1 else "Teletherapy Sessions"
    return confirm.Question(
        title=f"Switch off Teletherapy for {member.name}?",
        consequence=(
            f"{member.name} has {count} upcoming {sessions} booked. They can't be held by "
            "video once Teletherapy is off, and no new ones can be booked until it is "
            "switched on again."
        ),
        button="Switch off Teletherapy",
        items=booked,
        items_label=f"Upcoming {sessions}",
        choice_field=teletherapy_off.FIELD,
        choice_legend=f"What happens to the booked {sessions}?",
        choices=teletherapy_off.CHOICES,
    )


@login_not_required
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("portal:dashboard" if request.user.is_client else "practice:dashboard")
    return render(request, "practice/home.html")


@login_not_required
@never_cache
@require_http_methods(["GET", "POST"])
def create_practice(request: HttpRequest) -> HttpResponse:
    """Create your practice: its name, state and time zone, and you as its Owner.

    The same "check your inbox" page follows whether or not the address has an account:
    the practice is created when its Owner opens the emailed link."""
    if request.user.is_authenticated:
        return redirect("practice:home")
    form = CreatePracticeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            signup = services.request_practice(
                name=data["practice_name"],
                state=data["state"],
                time_zone=data["time_zone"],
                owner_name=data["owner_name"],
                email=data["email"],
                password=data["password1"],
                request=request,
            )
        except services.StaffError as exc:
            form.add_error(None, str(exc))
        else:
            return render(
                request,
                "practice/create_sent.html",
                {"email": signup.email, "hours": settings.LINK_VALID_HOURS},
            )
    return render(request, "practice/create.html", {"form": form})


# The emailed confirmation link: keep only the token's hash, in the session.
create_link = links.opener(session_key=SIGNUP_SESSION_KEY, to="practice:create_confirm")


@login_not_required
@never_cache
@require_http_methods(["GET", "POST"])
def create_confirm(request: HttpRequest) -> HttpResponse:
    """Confirm and create the practice, then land on the Dashboard signed in as its Owner."""
    if request.user.is_authenticated:
        return redirect("practice:home")
    token_hash = links.session_hash(request, SIGNUP_SESSION_KEY)
    try:
        signup = services.find_signup(token_hash)
        if request.method == "POST":
            owner = services.confirm_practice(token_hash=token_hash, request=request)
            request.session.pop(SIGNUP_SESSION_KEY, None)
            account_services.sign_in(request=request, user=owner.user)
            messages.success(request, f"Welcome! {owner.practice.name} is ready.")
            return redirect("practice:dashboard")
    except links.LinkError as exc:
        return links.problem_page(request, exc, SIGNUP_WORDING)
    return render(request, "practice/create_confirm.html", {"signup": signup})


@require_GET
@staff_view()
def dashboard(request: StaffRequest) -> HttpResponse:
    """The staff Dashboard; the apps above practice fill its slots (lib/slots.py)."""
    staff = request.staff
    return render(request, "practice/dashboard.html", {"nav_active": "dashboard", "staff": staff})


# Practice Settings -------------------------------------------------------------------------


def _settings_context(request: StaffRequest, tab: str, **extra: Any) -> dict[str, Any]:
    return {"nav_active": "settings", "tab": tab, "staff": request.staff, **extra}


@require_GET
@staff_view()
def settings_home(request: StaffRequest) -> HttpResponse:
    """Practice Settings, Staff tab: everyone in the practice, active or not."""
    viewer = request.staff
    members = (
        StaffMember.objects.visible_to(viewer)
        .select_related("user")
        .order_by("-user__is_active", "user__full_name", "id")
    )
    return render(
        request, "practice/staff_list.html", _settings_context(request, "staff", members=members)
    )


@require_http_methods(["GET", "POST"])
@staff_view(_can_manage)
def staff_add(request: StaffRequest) -> HttpResponse:
    """Add staff member: creates the account and emails the invitation link."""
    viewer = request.staff
    form = AddStaffForm(request.POST or None, by=viewer)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.invite_staff(
                by=viewer,
                full_name=data["full_name"],
                email=data["email"],
                roles=data["roles"],
                time_zone=data["time_zone"],
                licensed_states=data["licensed_states"],
                request=request,
            )
        except services.StaffError as exc:
            form.add_error(None, str(exc))
        except IntegrityError:
            pass  # Another request took the address just now: answer as below all the same.
        if not form.errors:
            # The same answer whether or not the address has an account elsewhere.
            messages.success(
                request,
                f"We emailed {data['full_name']} ({data['email']}) a link to set their password.",
            )
            return redirect("practice:settings")
    return render(
        request, "practice/staff_add.html", _settings_context(request, "staff", form=form)
    )


def _profile(
    request: StaffRequest, member: StaffMember, *, status: int = 200, **forms: Any
) -> HttpResponse:
    viewer = request.staff
    roles_form = forms.get("roles_form")
    # Keep what was ticked when the form comes back with an error.
    selected = roles_form.data.getlist("roles") if roles_form is not None else member.roles
    context = _settings_context(
        request,
        "staff",
        member=member,
        can_manage=viewer.can_manage_staff,
        # Only an Owner changes an Owner's roles, two-step sign-in or account (services enforce).
        owner_protected=member.is_owner and not viewer.is_owner,
        roles_form=forms.get("roles_form")
        or RolesForm(initial={"roles": member.roles}, auto_id="roles_%s"),
        details_form=forms.get("details_form")
        or TherapistDetailsForm(
            initial={"licensed_states": member.licensed_states, "time_zone": member.time_zone}
        ),
        role_rows=[(role, label, role in selected) for role, label in Role.choices],
        owner_locked=not viewer.is_owner,
        credentialing_note=CREDENTIALING_NOTE,
        deactivate_question=deactivate_question(member),
        teletherapy_off_question=teletherapy_off_question(member, clock.viewer_zone(viewer)),
        error=forms.get("error"),
        is_self=member.pk == viewer.pk,
        pending_invitation=member.accepted_at is None,
        two_step_on=_has_two_step(member),
        viewer_zone=clock.viewer_zone(viewer),
        invitation=(
            member.invitations.order_by("-created_at", "-id").first()
            if member.accepted_at is None
            else None
        ),
    )
    return render(request, "practice/staff_profile.html", context, status=status)


def _has_two_step(member: StaffMember) -> bool:
    from django_otp.plugins.otp_totp.models import TOTPDevice

    return TOTPDevice.objects.filter(user_id=member.user_id, confirmed=True).exists()


@require_GET
@staff_view()
def staff_profile(request: StaffRequest, staff_id: int) -> HttpResponse:
    """A staff member's Profile with Permissions and Roles (changes: Owner/Manager only)."""
    member = get_staff_member_for(request.staff, staff_id)
    return _profile(request, member)


@require_POST
@staff_view(_can_manage)
def staff_roles(request: StaffRequest, staff_id: int) -> HttpResponse:
    viewer = request.staff
    member = get_staff_member_for(viewer, staff_id)
    form = RolesForm(request.POST, auto_id="roles_%s")
    if form.is_valid():
        try:
            changed = services.set_roles(
                staff=member, by=viewer, roles=form.cleaned_data["roles"], request=request
            )
        except services.StaffError as exc:
            form.add_error("roles", str(exc))
        else:
            if changed:
                messages.success(request, f"Roles saved for {member.name}.")
            return redirect("practice:staff_profile", staff_id=member.pk)
    return _profile(request, member, status=400, roles_form=form)


@require_POST
@staff_view(_can_manage)
def staff_teletherapy(request: StaffRequest, staff_id: int) -> HttpResponse:
    """Switch Teletherapy on (enabled=1) or off (enabled=0) for a Therapist."""
    viewer = request.staff
    member = get_staff_member_for(viewer, staff_id)
    enabled = request.POST.get("enabled")
    if enabled not in {"0", "1"}:
        return _profile(request, member, status=400, error="Choose whether to switch it on or off.")
    question = teletherapy_off_question(member, clock.viewer_zone(viewer))
    booked = request.POST.get(teletherapy_off.FIELD)
    off = enabled == "0" and member.teletherapy_enabled
    unanswered = bool(question.choices) and booked not in dict(question.choices)
    if off and (not confirm.is_confirmed(request) or unanswered):
        return confirm.confirmation_page(
            request,
            question,
            back_url=reverse("practice:staff_profile", kwargs={"staff_id": member.pk}),
            nav_active="settings",
            error=services.BOOKED_CHOICE_NEEDED if confirm.is_confirmed(request) else "",
            status=400 if confirm.is_confirmed(request) else 200,
        )
    try:
        changed = services.set_teletherapy(
            staff=member,
            by=viewer,
            enabled=enabled == "1",
            booked=booked if off and question.choices else None,
            request=request,
        )
    except services.StaffError as exc:
        return _profile(request, member, status=400, error=str(exc))
    if changed:
        state = "on" if enabled == "1" else "off"
        done = ""
        if enabled == "0" and question.items:
            count = len(question.items)
            what = "session" if count == 1 else "sessions"
            done = (
                f" {count} booked {what} kept as in-person appointments; the clients were sent "
                "an updated invitation."
                if booked == teletherapy_off.KEEP
                else f" {count} booked {what} cancelled; the clients were emailed."
            )
        messages.success(request, f"Teletherapy is now {state} for {member.name}.{done}")
    return redirect("practice:staff_profile", staff_id=member.pk)


@require_POST
@staff_view(_can_manage)
def staff_details(request: StaffRequest, staff_id: int) -> HttpResponse:
    """Licensed U.S. states and time zone."""
    viewer = request.staff
    member = get_staff_member_for(viewer, staff_id)
    form = TherapistDetailsForm(request.POST)
    if form.is_valid():
        if services.update_therapist_details(
            staff=member,
            by=viewer,
            licensed_states=form.cleaned_data["licensed_states"],
            time_zone=form.cleaned_data["time_zone"],
            request=request,
        ):
            messages.success(request, f"Details saved for {member.name}.")
        return redirect("practice:staff_profile", staff_id=member.pk)
    return _profile(request, member, status=400, details_form=form)


def _status_action(request: StaffRequest, staff_id: int, action: str) -> HttpResponse:
    viewer = request.staff
    member = get_staff_member_for(viewer, staff_id)
    try:
        if action == "deactivate":
            services.deactivate_staff(staff=member, by=viewer, request=request)
            messages.success(request, f"{member.name} is deactivated and has been signed out.")
        elif action == "reactivate":
            services.reactivate_staff(staff=member, by=viewer, request=request)
            messages.success(request, f"{member.name} can sign in again.")
        else:
            services.resend_invitation(staff=member, by=viewer, request=request)
            messages.success(request, f"A new invitation was emailed to {member.user.email}.")
    except services.StaffError as exc:
        return _profile(request, member, status=400, error=str(exc))
    return redirect("practice:staff_profile", staff_id=member.pk)


@require_POST
@staff_view(_can_manage)
def staff_deactivate(request: StaffRequest, staff_id: int) -> HttpResponse:
    if not confirm.is_confirmed(request):
        viewer = request.staff
        member = get_staff_member_for(viewer, staff_id)
        return confirm.confirmation_page(
            request,
            deactivate_question(member),
            back_url=reverse("practice:staff_profile", kwargs={"staff_id": member.pk}),
            nav_active="settings",
        )
    return _status_action(request, staff_id, "deactivate")


@require_POST
@staff_view(_can_manage)
def staff_reactivate(request: StaffRequest, staff_id: int) -> HttpResponse:
    return _status_action(request, staff_id, "reactivate")


@require_POST
@staff_view(_can_manage)
def staff_two_step_off(request: StaffRequest, staff_id: int) -> HttpResponse:
    """Switch off a colleague's two-step sign-in, e.g. after they lost their phone."""
    viewer = request.staff
    member = get_staff_member_for(viewer, staff_id)
    try:
        changed = services.switch_off_two_step(staff=member, by=viewer, request=request)
    except services.StaffError as exc:
        return _profile(request, member, status=400, error=str(exc))
    if changed:
        messages.success(request, f"Two-step sign-in is off for {member.name}.")
    return redirect("practice:staff_profile", staff_id=member.pk)


@require_POST
@staff_view(_can_manage)
def staff_resend(request: StaffRequest, staff_id: int) -> HttpResponse:
    return _status_action(request, staff_id, "resend")


@require_http_methods(["GET", "POST"])
@staff_view(_can_manage)
def practice_details(request: StaffRequest) -> HttpResponse:
    """Practice details tab: name, U.S. state and time zone."""
    viewer = request.staff
    practice = viewer.practice
    form = PracticeDetailsForm.for_practice(practice, request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if services.update_practice(
            practice=practice,
            by=viewer,
            name=data["name"],
            state=data["state"],
            time_zone=data["time_zone"],
            request=request,
        ):
            messages.success(request, "Practice details saved.")
        return redirect("practice:details")
    return render(
        request, "practice/details.html", _settings_context(request, "details", form=form)
    )


@require_POST
@staff_view(_can_manage)
def staff_end_sessions(request: StaffRequest, staff_id: int) -> HttpResponse:
    """Sign a colleague out of every session they have open."""
    viewer = request.staff
    member = get_staff_member_for(viewer, staff_id)
    try:
        ended = services.end_staff_sessions(staff=member, by=viewer, request=request)
    except services.StaffError as exc:
        return _profile(request, member, status=400, error=str(exc))
    messages.success(
        request, f"{member.name} was signed out of {ended} session{'' if ended == 1 else 's'}."
    )
    return redirect("practice:staff_profile", staff_id=member.pk)


@require_http_methods(["GET", "POST"])
@staff_view(lambda staff: staff.is_owner)
def security(request: StaffRequest) -> HttpResponse:
    """Security tab (Owners): two-step sign-in for all staff, the idle limit."""
    from teletherapy.practice.policy import forget_policy

    viewer = request.staff
    form = SecurityForm.for_practice(viewer.practice, request.POST or None)
    if request.method == "POST" and form.is_valid():
        if services.update_security_settings(
            practice=viewer.practice,
            by=viewer,
            require_two_step=form.cleaned_data["require_two_step"],
            idle_minutes=form.cleaned_data["idle_minutes"],
            request=request,
        ):
            forget_policy(request)
            messages.success(request, "Security settings saved.")
        return redirect("practice:security")
    return render(
        request, "practice/security.html", _settings_context(request, "security", form=form)
    )


@require_http_methods(["GET", "POST"])
@staff_view(_can_manage)
def calls(request: StaffRequest) -> HttpResponse:
    """Calls tab (Owners and Managers): hide home network addresses (relay through TURN)."""
    viewer = request.staff
    # Not `request.POST or None`: switching it off posts no field at all.
    form = CallPrivacyForm.for_practice(
        viewer.practice, request.POST if request.method == "POST" else None
    )
    if request.method == "POST" and form.is_valid():
        if services.update_call_privacy(
            practice=viewer.practice,
            by=viewer,
            hide_network_addresses=form.cleaned_data["hide_network_addresses"],
            request=request,
        ):
            messages.success(
                request, "Call settings saved. They apply to calls joined from now on."
            )
        return redirect("practice:calls")
    return render(request, "practice/calls.html", _settings_context(request, "calls", form=form))


# Staff invitation --------------------------------------------------------------------------


# The emailed invitation link: keep only the token's hash, in the session.
invitation_link = links.opener(session_key=INVITATION_SESSION_KEY, to="practice:accept_invitation")


@login_not_required
@never_cache
@require_http_methods(["GET", "POST"])
def accept_invitation(request: HttpRequest) -> HttpResponse:
    """Set your password through the invitation, then land on the Dashboard signed in."""
    token_hash = links.session_hash(request, INVITATION_SESSION_KEY)
    try:
        invitation = services.find_invitation(token_hash)
    except links.LinkError as exc:
        return links.problem_page(request, exc, INVITATION_WORDING)
    member = invitation.staff
    form = NewPasswordForm(request.POST or None, user=member.user)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.accept_invitation(
                token_hash=token_hash, password=form.cleaned_data["password1"], request=request
            )
        except links.LinkError as exc:
            return links.problem_page(request, exc, INVITATION_WORDING)
        account_services.sign_in(request=request, user=user)
        messages.success(request, f"Welcome to {member.practice.name}! Your password is set.")
        return redirect("practice:dashboard")
    return render(request, "practice/accept_invitation.html", {"form": form, "member": member})
