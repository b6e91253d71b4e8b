from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from teletherapy.accounts.models import OneTimeLink
from teletherapy.lib.states import STATE_CHOICES, TIME_ZONE_CHOICES, is_us_state
from teletherapy.practice.models import Practice, StaffMember

US_ONLY_REASON = "Teletherapy is for U.S. residents only: this client's address is outside the U.S."


class ClientQuerySet(models.QuerySet["Client"]):
    def visible_to(self, staff: StaffMember) -> ClientQuerySet:
        """The clients a staff member may see: the whole practice for Owner, Manager and
        Scheduler; only their assigned clients for a Therapist; nothing for anyone else."""
        qs = self.filter(practice_id=staff.practice_id)
        if staff.can_see_all_clients:
            return qs
        if staff.is_therapist:
            return qs.filter(therapists=staff)
        return qs.none()


class Client(models.Model):
    practice = models.ForeignKey(Practice, on_delete=models.CASCADE, related_name="clients")
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    preferred_name = models.CharField(max_length=100, blank=True)
    date_of_birth = models.DateField()
    email = models.EmailField(blank=True)
    mobile_phone = models.CharField(max_length=30, blank=True)
    street = models.CharField(max_length=200, blank=True)
    city = models.CharField(max_length=100, blank=True)
    # A U.S. state, DC or territory code; blank when the address is outside the U.S.
    state = models.CharField(max_length=2, choices=STATE_CHOICES, blank=True)
    zip_code = models.CharField(max_length=10, blank=True)
    country = models.CharField(max_length=100, default="United States")
    time_zone = models.CharField(max_length=64, choices=TIME_ZONE_CHOICES)
    emergency_name = models.CharField(max_length=150, blank=True)
    emergency_phone = models.CharField(max_length=30, blank=True)
    emergency_relationship = models.CharField(max_length=100, blank=True)
    therapists = models.ManyToManyField(StaffMember, related_name="clients", blank=True)
    is_active = models.BooleanField(default=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="client",
    )
    # A minor's sessions are joined by their guardians (client records of the same practice,
    # each with their own portal account); the minor joins too only with a login of their own.
    is_minor = models.BooleanField(default=False)
    guardians = models.ManyToManyField("self", symmetrical=False, related_name="wards", blank=True)
    # The practice chooses whether a minor has a Client Portal login of their own: off by
    # default, the invite is offered only once staff tick it, and un-ticking it switches an
    # existing login off (the guardians keep theirs).
    minor_may_sign_in = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    objects = ClientQuerySet.as_manager()

    class Meta:
        ordering = ["last_name", "first_name", "id"]
        indexes = [models.Index(fields=["practice", "last_name", "first_name"])]

    def __str__(self) -> str:
        return self.full_name

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    @property
    def display_name(self) -> str:
        first = self.preferred_name or self.first_name
        return f"{first} {self.last_name}"

    @property
    def is_us_resident(self) -> bool:
        return self.country == "United States" and is_us_state(self.state)

    @property
    def has_portal_account(self) -> bool:
        return self.user_id is not None

    @property
    def portal_login_allowed(self) -> bool:
        """Whether this client may have a working portal login: active, and for a minor only
        when the practice lets the minor sign in."""
        return self.is_active and (not self.is_minor or self.minor_may_sign_in)

    @property
    def teletherapy_unavailable_reason(self) -> str:
        """Why Teletherapy cannot be offered to this client, or "" when it can: show it
        wherever the Teletherapy option would be."""
        if not self.is_us_resident:
            return US_ONLY_REASON
        if not self.email:
            return "The client must have an email address to access Teletherapy."
        if not self.has_portal_account:
            return "The client must have a client portal account to access Teletherapy."
        return ""


class PortalInvitation(OneTimeLink):
    """A client's portal sign-up link (kind=invite) or password reset link (kind=reset)."""

    class Kind(models.TextChoices):
        INVITE = "invite", "Invite"
        RESET = "reset", "Password reset"

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="portal_links")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    void_reason = models.CharField(max_length=200, blank=True)
    dob_failures = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} link {self.pk}"

    @property
    def state_label(self) -> str:
        """How the practice sees this link: Accepted, Voided, Invite expired or Sent."""
        if self.used_at is not None:
            return "Accepted" if self.kind == self.Kind.INVITE else "Used"
        if self.voided_at is not None:
            return "Voided"
        if self.is_expired:
            return "Invite expired" if self.kind == self.Kind.INVITE else "Link expired"
        return "Sent"
