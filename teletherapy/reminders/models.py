"""Appointment reminders: the practice's choices, the client's consent to texts, each planned
reminder (with its history), the one-time Confirm / Cancel / Join links it carries, and the
client's answer."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone

from teletherapy.accounts.models import OneTimeLink
from teletherapy.clients.models import Client
from teletherapy.practice.models import Practice
from teletherapy.scheduling.models import Appointment

DAYS_RANGE = range(1, 6)
HOURS_RANGE = range(1, 25)
DEFAULT_POLICY = (
    "Please cancel at least {hours} hours before your appointment. Inside that time, call "
    "the practice."
)
# The words the client agrees to, shown on the form and stored with the consent.
TEXT_CONSENT_WORDING = (
    "I agree to receive appointment reminder text messages from {practice} at {phone}. "
    "Message and data rates may apply. Reply STOP to stop them at any time."
)


def _count(number: int, unit: str) -> str:
    return f"{number} {unit}{'s' if number != 1 else ''}"


class Channels(models.TextChoices):
    EMAIL = "email", "Email"
    TEXT = "text", "Text message"
    BOTH = "both", "Email and text message"
    NONE = "none", "No reminders"


class ReminderSettings(models.Model):
    """A practice's reminder choices (Practice Settings > Reminders, Owners and Managers).
    A practice without a row has the defaults: email 2 days and 2 hours before."""

    practice = models.OneToOneField(
        Practice, on_delete=models.CASCADE, related_name="reminder_settings"
    )
    channels = models.CharField(max_length=10, choices=Channels.choices, default=Channels.EMAIL)
    # None: that reminder is off.
    days_before = models.PositiveSmallIntegerField(null=True, blank=True, default=2)
    hours_before = models.PositiveSmallIntegerField(null=True, blank=True, default=2)
    cancellation_window_hours = models.PositiveSmallIntegerField(default=24)
    cancellation_policy = models.CharField(max_length=500, blank=True)
    # A Teletherapy reminder carries a join link (date of birth asked); off by default.
    join_link = models.BooleanField(default=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(days_before__isnull=True)
                | models.Q(days_before__gte=1, days_before__lte=5),
                name="reminder_days_1_to_5",
            ),
            models.CheckConstraint(
                condition=models.Q(hours_before__isnull=True)
                | models.Q(hours_before__gte=1, hours_before__lte=24),
                name="reminder_hours_1_to_24",
            ),
        ]

    def __str__(self) -> str:
        return f"Reminder settings of practice {self.practice_id}"

    @classmethod
    def of(cls, practice: Practice) -> ReminderSettings:
        """The practice's settings; an unsaved default row when it has none."""
        found = cls.objects.filter(practice=practice).first()
        return found or cls(practice=practice)

    @property
    def sends_email(self) -> bool:
        return self.channels in (Channels.EMAIL, Channels.BOTH)

    @property
    def sends_text(self) -> bool:
        return self.channels in (Channels.TEXT, Channels.BOTH)

    def offsets(self) -> list[tuple[str, timedelta]]:
        """(label, how long before the start) of each reminder that is on."""
        result = []
        if self.days_before:
            result.append((_count(self.days_before, "day"), timedelta(days=self.days_before)))
        if self.hours_before:
            result.append((_count(self.hours_before, "hour"), timedelta(hours=self.hours_before)))
        return result

    @property
    def policy_text(self) -> str:
        return self.cancellation_policy or DEFAULT_POLICY.format(
            hours=self.cancellation_window_hours
        )

    def cancel_deadline(self, appointment: Appointment) -> datetime:
        return appointment.start - timedelta(hours=self.cancellation_window_hours)


class TextConsent(models.Model):
    """A client's agreement to reminder texts, on their record: the number, the exact words
    agreed to, when and who recorded it; and when it was withdrawn (STOP, or by staff)."""

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="text_consents")
    phone = models.CharField(max_length=30)
    wording = models.TextField()
    consented_at = models.DateTimeField(default=timezone.now)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_via = models.CharField(max_length=20, blank=True)

    class Meta:
        ordering = ["-consented_at", "-id"]
        indexes = [models.Index(fields=["phone"])]

    def __str__(self) -> str:
        return f"Text consent {self.pk}"

    @property
    def is_active(self) -> bool:
        return self.withdrawn_at is None


class Reminder(models.Model):
    """One reminder of one appointment on one channel, planned as a task that runs at
    `send_at`. `for_start` is the appointment's start it was planned for: the task sends
    nothing when the appointment has moved since (it is re-planned instead)."""

    class Channel(models.TextChoices):
        EMAIL = "email", "Email"
        TEXT = "text", "Text"

    class Status(models.TextChoices):
        PLANNED = "planned", "Planned"
        WITHDRAWN = "withdrawn", "Withdrawn"
        SENT = "sent", "Sent"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Not delivered"
        SKIPPED = "skipped", "Not sent"

    appointment = models.ForeignKey(Appointment, on_delete=models.CASCADE, related_name="reminders")
    # Whom it goes to: one of the appointment's clients (each of a couple gets their own);
    # empty on reminders planned before appointments had several clients: the primary.
    client = models.ForeignKey(
        Client, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    channel = models.CharField(max_length=10, choices=Channel.choices)
    label = models.CharField(max_length=20)  # "2 days", "2 hours"
    for_start = models.DateTimeField()
    send_at = models.DateTimeField()
    task_id = models.CharField(max_length=64, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PLANNED)
    note = models.CharField(max_length=200, blank=True)
    provider_id = models.CharField(max_length=64, blank=True, db_index=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["send_at", "id"]
        indexes = [models.Index(fields=["appointment", "status"])]

    def __str__(self) -> str:
        return f"Reminder {self.pk}"

    @property
    def recipient(self) -> Client:
        """The client this reminder goes to (the appointment's primary for older rows)."""
        return self.client if self.client_id is not None else self.appointment.client  # type: ignore[return-value]


class ReminderLink(OneTimeLink):
    """A Confirm, Cancel or Join link carried by a reminder."""

    class Kind(models.TextChoices):
        CONFIRM = "confirm", "Confirm"
        CANCEL = "cancel", "Cancel"
        JOIN = "join", "Join"

    reminder = models.ForeignKey(Reminder, on_delete=models.CASCADE, related_name="links")
    appointment = models.ForeignKey(
        Appointment, on_delete=models.CASCADE, related_name="reminder_links"
    )
    kind = models.CharField(max_length=10, choices=Kind.choices)
    dob_failures = models.PositiveSmallIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.get_kind_display()} link {self.pk}"


class Answer(models.Model):
    """The client's answer to a reminder: confirmed (or cancelled through its link)."""

    class Kind(models.TextChoices):
        CONFIRMED = "confirmed", "Confirmed"
        CANCELLED = "cancelled", "Cancelled by the client"

    appointment = models.OneToOneField(
        Appointment, on_delete=models.CASCADE, related_name="reminder_answer"
    )
    kind = models.CharField(max_length=10, choices=Kind.choices)
    for_start = models.DateTimeField()
    at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"Answer {self.pk}"

    @property
    def is_current(self) -> bool:
        """A confirmation counts only for the time it confirmed."""
        return self.for_start == self.appointment.start
