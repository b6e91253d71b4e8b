"""Changes to working hours and closures: each in one transaction, with its audit row."""

from __future__ import annotations

from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone

from teletherapy.audit.models import Action
from teletherapy.audit.services import record
from teletherapy.availability import hours
from teletherapy.availability.access import can_edit_hours, can_manage_closures
from teletherapy.availability.models import Closure, WorkingWeek
from teletherapy.practice.models import StaffMember


def set_working_week(
    *,
    staff: StaffMember,
    week: hours.Week,
    by: StaffMember,
    request: HttpRequest | None = None,
) -> bool:
    """Replace the therapist's working week (ranges per weekday, in their zone). Returns
    whether anything changed. PermissionDenied unless `by` is an Owner or Manager of the
    practice or the therapist themself."""
    if not by.user.is_active or not can_edit_hours(by, staff):
        raise PermissionDenied("Only an Owner or Manager, or the therapist, can set these.")
    new = hours.to_json(week)
    with transaction.atomic():
        current = WorkingWeek.objects.select_for_update().filter(staff=staff).first()
        old = hours.to_json(
            hours.from_json(current.ranges) if current is not None else hours.DEFAULT_WEEK
        )
        if old == new:
            return False
        WorkingWeek.objects.update_or_create(
            staff=staff,
            defaults={"ranges": new, "updated_at": timezone.now(), "updated_by": by.user},
        )
        record(
            Action.WORKING_HOURS_CHANGED,
            actor=by.user,
            practice=staff.practice,
            obj=staff,
            request=request,
            days=[hours.WEEKDAYS[d] for d in range(7) if old[str(d)] != new[str(d)]],
        )
    return True


def add_closure(
    *, by: StaffMember, day: date, name: str, request: HttpRequest | None = None
) -> Closure:
    """Close the practice on `day` (in its zone) for everyone; ValidationError keyed by field
    for a blank name or a day already closed."""
    if not by.user.is_active or not can_manage_closures(by):
        raise PermissionDenied("Only an Owner or Manager can manage closures.")
    name = name.strip()
    if not name:
        raise ValidationError({"name": ["Give the closure a name, for example “Thanksgiving”."]})
    try:
        with transaction.atomic():
            closure = Closure.objects.create(
                practice_id=by.practice_id, date=day, name=name[:100], created_by=by.user
            )
            record(
                Action.CLOSURE_ADDED,
                actor=by.user,
                practice=by.practice,
                obj=closure,
                request=request,
                date=day.isoformat(),
                name=closure.name,
            )
    except IntegrityError:
        raise ValidationError({"date": ["The practice is already closed that day."]}) from None
    return closure


def remove_closure(
    *, closure: Closure, by: StaffMember, request: HttpRequest | None = None
) -> None:
    """Open the day again."""
    if (
        not by.user.is_active
        or not can_manage_closures(by)
        or closure.practice_id != by.practice_id
    ):
        raise PermissionDenied("Only an Owner or Manager can manage closures.")
    with transaction.atomic():
        record(
            Action.CLOSURE_REMOVED,
            actor=by.user,
            practice=by.practice,
            obj=closure,
            request=request,
            date=closure.date.isoformat(),
            name=closure.name,
        )
        closure.delete()
