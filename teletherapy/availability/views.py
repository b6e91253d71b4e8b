"""Working hours (Practice Settings > Staff > a therapist) and practice closures."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from teletherapy.availability import hours, services
from teletherapy.availability.access import can_manage_closures, get_hours_member_for
from teletherapy.availability.forms import ClosureForm, WorkingWeekForm
from teletherapy.availability.models import Closure
from teletherapy.lib import clock
from teletherapy.practice.access import StaffRequest, staff_view


@require_http_methods(["GET", "POST"])
@staff_view()
def working_hours(request: StaffRequest, staff_id: int) -> HttpResponse:
    """A therapist's working hours: Owners and Managers for anyone, a therapist for
    themself."""
    viewer = request.staff
    member = get_hours_member_for(viewer, staff_id)
    week = hours.week_of(member)
    if request.method == "POST":
        form = WorkingWeekForm(request.POST, week=week)
        if form.is_valid():
            if services.set_working_week(
                staff=member, week=form.cleaned_data["week"], by=viewer, request=request
            ):
                messages.success(request, f"Working hours saved for {member.name}.")
            else:
                messages.info(request, "Nothing changed.")
            return redirect("availability:working_hours", staff_id=member.pk)
        status = 400
    else:
        form = WorkingWeekForm(week=week)
        status = 200
    return render(
        request,
        "availability/working_hours.html",
        {
            "nav_active": "settings",
            "tab": "staff",
            "staff": viewer,
            "member": member,
            "form": form,
            "zone_name": clock.zone_label(member.time_zone or member.practice.time_zone),
            "is_self": member.pk == viewer.pk,
        },
        status=status,
    )


def _closures_page(request: StaffRequest, form: ClosureForm, status: int = 200) -> HttpResponse:
    viewer = request.staff
    tz = clock.zone(viewer.practice.time_zone)
    today = timezone.now().astimezone(tz).date()
    closures = Closure.objects.of_practice(viewer.practice_id).select_related("created_by")
    return render(
        request,
        "availability/closures.html",
        {
            "nav_active": "settings",
            "tab": "closures",
            "staff": viewer,
            "form": form,
            "upcoming": [c for c in closures if c.date >= today],
            "past": [c for c in closures if c.date < today][-10:],
            "zone_name": clock.zone_label(tz),
        },
        status=status,
    )


@require_http_methods(["GET", "POST"])
@staff_view(can_manage_closures)
def closures(request: StaffRequest) -> HttpResponse:
    """Practice closures (holidays): a date and a name; nobody can be booked that day."""
    if request.method == "GET":
        return _closures_page(request, ClosureForm())
    form = ClosureForm(request.POST)
    if form.is_valid():
        try:
            closure = services.add_closure(
                by=request.staff,
                day=form.cleaned_data["date"],
                name=form.cleaned_data["name"],
                request=request,
            )
        except ValidationError as error:
            for field, problems in error.message_dict.items():
                for problem in problems:
                    form.add_error(field if field in form.fields else None, problem)
        else:
            messages.success(
                request,
                f"The practice is closed on {clock.day_text(closure.date)}, "
                f"{closure.date.year} ({closure.name}).",
            )
            return redirect("availability:closures")
    return _closures_page(request, form, status=400)


@require_POST
@staff_view(can_manage_closures)
def closure_remove(request: StaffRequest, closure_id: int) -> HttpResponse:
    closure = get_object_or_404(
        Closure.objects.of_practice(request.staff.practice_id), pk=closure_id
    )
    services.remove_closure(closure=closure, by=request.staff, request=request)
    messages.success(
        request, f"{closure.name} removed: {clock.day_text(closure.date)} is open again."
    )
    return redirect("availability:closures")
