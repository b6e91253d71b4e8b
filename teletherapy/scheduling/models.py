from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from teletherapy.clients.models import Client
from teletherapy.practice.models import Practice, StaffMember, has_teletherapy_q


def teletherapy_booking_problem(therapist: StaffMember, client: Client | None) -> str | None:
    """Why an appointment of `therapist` with `client` can't be booked as a Teletherapy
    Session, or None when it can (client None: not chosen yet, only the therapist counts).
    The form and the booking services both ask this; once booked,
    Appointment.is_teletherapy_session says whether it can be held."""
    if not therapist.has_teletherapy:
        return (
            f"{therapist.name} does not have Teletherapy enabled, so this can't be a "
            "Teletherapy Session. An Owner or Manager can enable it in Practice Settings."
        )
    if client is not None and not client.is_us_resident:
        return (
            "Teletherapy is available for U.S. residents only, and "
            f"{client.full_name}'s address is outside the U.S."
        )
    return None


def people_told(clients: list[Client], practice_id: int) -> list[Client]:
    """Whom an appointment's or a series' emails, calendar invitations and reminders go to,
    each their own: the people who may join it (Appointment.attendees) except a minor who
    can't sign in or has no email; their guardians are told instead."""
    people: dict[int, Client] = {}
    for client in clients:
        if not client.is_active or client.practice_id != practice_id:
            continue
        if not client.is_minor or (client.minor_may_sign_in and client.email):
            people.setdefault(client.pk, client)
        if client.is_minor:
            for guardian in client.guardians.all():
                if guardian.is_active and guardian.practice_id == practice_id:
                    people.setdefault(guardian.pk, guardian)
    return list(people.values())


class AppointmentQuerySet(models.QuerySet["Appointment"]):
    def visible_to(self, staff: StaffMember) -> AppointmentQuerySet:
        """The appointments a staff member may see: the whole practice's for Owner, Manager
        and Scheduler; their own for a Therapist. (Appointment.is_visible_to is the same rule
        for one loaded appointment.)"""
        qs = self.filter(practice_id=staff.practice_id)
        if not staff.can_schedule_for_others:
            qs = qs.filter(therapist_id=staff.pk)
        return qs

    def with_client(self, client: Client) -> AppointmentQuerySet:
        """The appointments `client` is in: as the primary client or as an additional one."""
        extra = Appointment.additional_clients.through.objects.filter(
            appointment_id=OuterRef("pk"), client_id=client.pk
        )
        return self.filter(practice_id=client.practice_id).filter(
            Q(client_id=client.pk) | Exists(extra)
        )

    def of_client(self, client: Client) -> AppointmentQuerySet:
        """The appointments a client's portal shows them: those they are in, and those of
        the minors they are a guardian of (Appointment.may_attend is the same rule for one
        loaded appointment, with the active checks)."""
        through = Appointment.additional_clients.through.objects
        ward_ids = Client.guardians.through.objects.filter(
            to_client_id=client.pk, from_client__is_minor=True, from_client__is_active=True
        ).values("from_client_id")
        extra = through.filter(appointment_id=OuterRef("pk")).filter(
            Q(client_id=client.pk) | Q(client_id__in=ward_ids)
        )
        return self.filter(practice_id=client.practice_id).filter(
            Q(client_id=client.pk) | Q(client_id__in=ward_ids) | Exists(extra)
        )

    def not_cancelled(self) -> AppointmentQuerySet:
        return self.exclude(status=Appointment.Status.CANCELLED)

    def teletherapy_sessions(self) -> AppointmentQuerySet:
        """Appointments that are Teletherapy Sessions now: ticked as one, not cancelled, and
        with a therapist who still has Teletherapy (Appointment.is_teletherapy_session)."""
        return self.filter(has_teletherapy_q("therapist__"), is_teletherapy=True).not_cancelled()


class AppointmentSeries(models.Model):
    """A repeating appointment: an RFC 5545 rule (RRULE value, always ending with COUNT)
    expanded in `time_zone` from `first_start`, minus `exdates` (occurrences skipped at
    booking or cancelled since). Each occurrence is a real Appointment row (its `series` and
    `series_start`); the client's calendar holds the series as one event with this UID."""

    practice = models.ForeignKey(Practice, on_delete=models.CASCADE, related_name="+")
    therapist = models.ForeignKey(StaffMember, on_delete=models.PROTECT, related_name="+")
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="+")
    # A couple's or a family's other clients (each occurrence has the same ones).
    additional_clients = models.ManyToManyField(Client, blank=True, related_name="+")
    rule = models.CharField(max_length=200)
    first_start = models.DateTimeField()
    time_zone = models.CharField(max_length=64)
    duration_minutes = models.PositiveIntegerField()
    # ISO UTC starts (as the rule gives them) that are not held.
    exdates = models.JSONField(default=list, blank=True)
    is_teletherapy = models.BooleanField(default=False)
    ics_sequence = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"Series {self.pk}"

    def all_clients(self) -> list[Client]:
        """The series' clients, the primary first (Appointment.all_clients)."""
        others = [c for c in self.additional_clients.all() if c.pk != self.client_id]
        return [self.client, *others]

    def told(self) -> list[Client]:
        """Whom the series' emails and calendar entry go to (people_told)."""
        return people_told(self.all_clients(), self.practice_id)


def clients_label(clients: list[Client], *, display: bool = False) -> str:
    """'Casey Client', 'Casey Client & Pat Partner', 'Ann A, Bo B & Cy C': staff pages only
    (display: the names they go by, as the call prompts greet them)."""
    names = [c.display_name if display else c.full_name for c in clients]
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " & " + names[-1]


class Appointment(models.Model):
    # A couple, a family or a parent with a minor: at most this many clients, the primary
    # included, and at most this many people joining from the portal (guardians included).
    MAX_CLIENTS = 4

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", "Scheduled"
        CANCELLED = "cancelled", "Cancelled"
        NO_SHOW = "no_show", "No-show"

    class Service(models.TextChoices):
        INTAKE = "90791", "Psychiatric diagnostic evaluation (90791)"
        THERAPY_30 = "90832", "Psychotherapy, 30 min (90832)"
        THERAPY_45 = "90834", "Psychotherapy, 45 min (90834)"
        THERAPY_60 = "90837", "Psychotherapy, 60 min (90837)"
        FAMILY = "90847", "Family psychotherapy (90847)"
        CONSULTATION = "consult", "Consultation"

    class Location(models.TextChoices):
        OFFICE = "office", "Office"
        TELETHERAPY = "teletherapy", "Teletherapy"

    practice = models.ForeignKey(Practice, on_delete=models.CASCADE, related_name="appointments")
    therapist = models.ForeignKey(
        StaffMember, on_delete=models.PROTECT, related_name="appointments"
    )
    # The primary client (the one billed). A couple's or a family's other clients, up to
    # MAX_CLIENTS in all, are `additional_clients`; all_clients() lists them in order.
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="appointments")
    additional_clients = models.ManyToManyField(
        Client, blank=True, related_name="additional_appointments"
    )
    start = models.DateTimeField()
    end = models.DateTimeField()
    service = models.CharField(max_length=10, choices=Service.choices, default=Service.THERAPY_45)
    location = models.CharField(max_length=20, choices=Location.choices, default=Location.OFFICE)
    is_teletherapy = models.BooleanField(default=False)
    staff_note = models.TextField(blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.SCHEDULED)
    cancel_reason = models.CharField(max_length=300, blank=True)
    series = models.ForeignKey(
        AppointmentSeries,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="occurrences",
    )
    # The start the series' rule gives this occurrence (its RECURRENCE-ID), kept when it moves.
    series_start = models.DateTimeField(null=True, blank=True)
    # Bumped on every change the client is emailed about, so calendar apps update the event.
    ics_sequence = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    objects = AppointmentQuerySet.as_manager()

    class Meta:
        ordering = ["start", "id"]
        indexes = [
            models.Index(fields=["therapist", "start"]),
            models.Index(fields=["client", "start"]),
            models.Index(fields=["practice", "start"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end__gt=models.F("start")), name="end_after_start"
            )
        ]

    def __str__(self) -> str:
        return f"Appointment {self.pk}"

    @property
    def duration(self) -> timedelta:
        return self.end - self.start

    @property
    def duration_minutes(self) -> int:
        return int(self.duration.total_seconds() // 60)

    @property
    def is_cancelled(self) -> bool:
        return self.status == self.Status.CANCELLED

    @property
    def is_teletherapy_session(self) -> bool:
        """Whether this appointment can be held as a Teletherapy Session now: ticked as one,
        not cancelled, and its therapist still has Teletherapy. The one place that decides it
        (AppointmentQuerySet.teletherapy_sessions is the same rule in the database)."""
        return self.is_teletherapy and not self.is_cancelled and self.therapist.has_teletherapy

    def all_clients(self) -> list[Client]:
        """The appointment's clients, the primary first, then the others by name."""
        others = [c for c in self.additional_clients.all() if c.pk != self.client_id]
        return [self.client, *others]

    @property
    def clients_label(self) -> str:
        """Every client's name, for staff: "Casey Client & Pat Partner"."""
        return clients_label(self.all_clients())

    @property
    def is_group(self) -> bool:
        """More than one client (a couple, a family)."""
        return len(self.all_clients()) > 1

    def attendees(self) -> list[Client]:
        """The client records who may join this appointment's Teletherapy Session, each from
        their own portal: every active client of it, and the active guardians (same practice)
        of each minor among them, without repeats. A minor is listed too; they join only if
        they have a portal login of their own."""
        people: dict[int, Client] = {}
        for client in self.all_clients():
            if not client.is_active or client.practice_id != self.practice_id:
                continue
            people.setdefault(client.pk, client)
            if client.is_minor:
                for guardian in client.guardians.all():
                    if guardian.is_active and guardian.practice_id == self.practice_id:
                        people.setdefault(guardian.pk, guardian)
        return list(people.values())

    def told(self) -> list[Client]:
        """Whom this appointment's emails, .ics and reminders go to, each their own: its
        attendees, a minor only when they may sign in and have an email (people_told)."""
        return people_told(self.all_clients(), self.practice_id)

    def may_attend(self, client: Client) -> bool:
        """Whether `client` (a portal user's record) may see and join this appointment:
        AppointmentQuerySet.of_client for one loaded appointment, active people only."""
        return client.is_active and any(c.pk == client.pk for c in self.attendees())

    def is_visible_to(self, staff: StaffMember) -> bool:
        """AppointmentQuerySet.visible_to for one loaded appointment."""
        if self.practice_id != staff.practice_id:
            return False
        return staff.can_schedule_for_others or self.therapist_id == staff.pk


class AppointmentChange(models.Model):
    """One line of an appointment's History tab."""

    appointment = models.ForeignKey(Appointment, on_delete=models.CASCADE, related_name="changes")
    at = models.DateTimeField(default=timezone.now)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    summary = models.CharField(max_length=300)
    details = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]
