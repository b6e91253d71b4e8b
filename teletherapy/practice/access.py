"""Who may do what on the staff side. Every staff view goes through staff_view()."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404

from teletherapy.accounts.models import User
from teletherapy.practice.models import StaffMember

V = TypeVar("V", bound=Callable[..., HttpResponse])


class StaffRequest(HttpRequest):
    """The request a staff_view() sees: signed in as an active member of a practice's staff.

    Annotate the view's request with it; it is never built, only cast to."""

    user: User
    staff: StaffMember


def current_staff(request: HttpRequest) -> StaffMember:
    """The signed-in person's staff membership, or 403 for anyone else."""
    user = request.user
    staff = getattr(user, "staff", None) if user.is_authenticated else None
    if staff is None or not user.is_active:
        raise PermissionDenied("Only a practice's staff can use this page.")
    return staff


def staff_view(allowed: Callable[[StaffMember], bool] | None = None) -> Callable[[V], V]:
    """Decorate a staff view: sets request.staff and answers 403 when `allowed` says no."""

    def decorator(view: V) -> V:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            staff = current_staff(request)
            if allowed is not None and not allowed(staff):
                raise PermissionDenied("Your role does not allow this.")
            staff_request = cast(StaffRequest, request)
            staff_request.staff = staff
            return view(staff_request, *args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorator


def get_staff_member_for(viewer: StaffMember, staff_id: int) -> StaffMember:
    """A staff member of the viewer's own practice; another practice's is a 404."""
    return get_object_or_404(
        StaffMember.objects.visible_to(viewer).select_related("user", "practice"), pk=staff_id
    )
