"""Who may see and change working hours and closures."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404

from teletherapy.practice.access import get_staff_member_for
from teletherapy.practice.models import StaffMember


def can_edit_hours(viewer: StaffMember, member: StaffMember) -> bool:
    """Owners and Managers set anyone's working hours; a therapist sets their own."""
    return viewer.practice_id == member.practice_id and (
        viewer.can_manage_staff or (viewer.pk == member.pk and viewer.is_therapist)
    )


def get_hours_member_for(viewer: StaffMember, staff_id: int) -> StaffMember:
    """The therapist whose working hours `viewer` opens: another practice's staff (or none)
    is a 404, someone who is not a therapist is a 404 too (they have no hours), and a role
    that may not change them is a 403."""
    member = get_staff_member_for(viewer, staff_id)
    if not member.is_therapist:
        raise Http404("Only therapists have working hours.")
    if not can_edit_hours(viewer, member):
        raise PermissionDenied("Only an Owner or Manager, or the therapist, can set these.")
    return member


def can_manage_closures(viewer: StaffMember) -> bool:
    return viewer.can_manage_staff
