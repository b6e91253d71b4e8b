"""When a therapist works (their week of ranges) and when the whole practice is closed."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from teletherapy.practice.models import Practice, StaffMember


class WorkingWeek(models.Model):
    """A therapist's working hours: per weekday (0 Monday … 6 Sunday, as strings in JSON) a
    list of ["HH:MM", "HH:MM"] ranges in the therapist's own zone. No row: the default week
    (availability.hours.DEFAULT_WEEK)."""

    staff = models.OneToOneField(StaffMember, on_delete=models.CASCADE, related_name="working_week")
    ranges = models.JSONField(default=dict)
    updated_at = models.DateTimeField(default=timezone.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    def __str__(self) -> str:
        return f"Working week of {self.staff_id}"


class ClosureQuerySet(models.QuerySet["Closure"]):
    def of_practice(self, practice_id: int) -> ClosureQuerySet:
        return self.filter(practice_id=practice_id)


class Closure(models.Model):
    """A day the practice is closed (a holiday): nobody can be booked on it. The date is a
    day in the practice's zone."""

    practice = models.ForeignKey(Practice, on_delete=models.CASCADE, related_name="closures")
    date = models.DateField()
    name = models.CharField(max_length=100)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    objects = ClosureQuerySet.as_manager()

    class Meta:
        ordering = ["date", "id"]
        constraints = [
            models.UniqueConstraint(fields=["practice", "date"], name="one_closure_per_day")
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.date})"
