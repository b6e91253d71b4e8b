"""Which appointments, therapists and clients a staff member may see on the schedule."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404

from teletherapy.clients.models import Client
from teletherapy.practice.models import StaffMember
from teletherapy.scheduling.models import Appointment


def get_appointment_for(staff: StaffMember, appointment_id: int) -> Appointment:
    """An appointment the staff member may see (Appointment.objects.visible_to); anything
    else, another therapist's or another practice's, is a 404. Scheduling and video pages
    both fetch appointments through here."""
    return get_object_or_404(
        Appointment.objects.visible_to(staff).select_related(
            "client", "therapist__user", "practice", "created_by", "series"
        ),
        pk=appointment_id,
    )


def schedule_therapists(staff: StaffMember) -> list[StaffMember]:
    """The therapists whose schedule the staff member may open: everyone's for Owner, Manager
    and Scheduler, their own for a Therapist."""
    if staff.can_schedule_for_others:
        return list(
            StaffMember.objects.of_practice(staff.practice)
            .therapists()
            .select_related("user")
            .order_by("user__full_name", "pk")
        )
    return [staff] if staff.is_therapist else []


def get_schedule_therapist_for(
    staff: StaffMember, therapist_id: int | None, therapists: list[StaffMember] | None = None
) -> StaffMember | None:
    """The therapist whose schedule to show or book for; one the staff member may not use
    (or that does not exist) is a 404. No id means the staff member's own, or the first
    therapist of the practice (None when it has none)."""
    if therapists is None:
        therapists = schedule_therapists(staff)
    if therapist_id is None:
        if staff.is_therapist and any(t.pk == staff.pk for t in therapists):
            return staff
        return therapists[0] if therapists else None
    for therapist in therapists:
        if therapist.pk == therapist_id:
            return therapist
    raise Http404("No such therapist")


def bookable_clients(staff: StaffMember) -> QuerySet[Client]:
    """Active clients of the practice; a Therapist books only their own clients."""
    qs = Client.objects.visible_to(staff).filter(is_active=True)
    if not staff.can_schedule_for_others:
        qs = qs.filter(therapists=staff)
    return qs.order_by("last_name", "first_name", "pk")
