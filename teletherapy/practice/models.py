from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from teletherapy.accounts.models import OneTimeLink
from teletherapy.lib.states import STATE_CHOICES, TIME_ZONE_CHOICES


class Practice(models.Model):
    name = models.CharField(max_length=200)
    state = models.CharField(max_length=2, choices=STATE_CHOICES)
    time_zone = models.CharField(max_length=64, choices=TIME_ZONE_CHOICES)
    created_at = models.DateTimeField(default=timezone.now)
    # Security settings (Owner only): two-step sign-in for every staff member, and an idle
    # limit shorter than the site's (None: the site's IDLE_TIMEOUT_MINUTES).
    require_two_step = models.BooleanField(default=False)
    idle_minutes = models.PositiveSmallIntegerField(null=True, blank=True)
    # Teletherapy calls (Owners and Managers): relay all media through the practice's TURN
    # server (iceTransportPolicy "relay"), so neither side learns the other's IP address.
    hide_network_addresses = models.BooleanField(default=False)

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    OWNER = "owner", "Owner"
    MANAGER = "manager", "Manager"
    THERAPIST = "therapist", "Therapist"
    SCHEDULER = "scheduler", "Scheduler"
    BILLER = "biller", "Biller"


ROLE_FIELDS: dict[str, str] = {
    Role.OWNER: "is_owner",
    Role.MANAGER: "is_manager",
    Role.THERAPIST: "is_therapist",
    Role.SCHEDULER: "is_scheduler",
    Role.BILLER: "is_biller",
}


def has_teletherapy_q(path: str = "") -> models.Q:
    """StaffMember.has_teletherapy as a filter; `path` leads to the staff member, e.g.
    "therapist__" from an appointment. Keep the two in step."""
    return models.Q(
        **{
            f"{path}is_therapist": True,
            f"{path}teletherapy_enabled": True,
            f"{path}user__is_active": True,
        }
    )


class StaffMemberQuerySet(models.QuerySet["StaffMember"]):
    def visible_to(self, staff: StaffMember) -> StaffMemberQuerySet:
        """The colleagues a staff member sees: everyone of their own practice."""
        return self.filter(practice_id=staff.practice_id)

    def of_practice(self, practice: Practice) -> StaffMemberQuerySet:
        return self.filter(practice=practice)

    def therapists(self) -> StaffMemberQuerySet:
        return self.filter(is_therapist=True, user__is_active=True)

    def with_teletherapy(self) -> StaffMemberQuerySet:
        return self.filter(has_teletherapy_q())


class StaffMember(models.Model):
    """A person's membership of a practice, with their roles as data."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="staff"
    )
    practice = models.ForeignKey(Practice, on_delete=models.CASCADE, related_name="staff")
    is_owner = models.BooleanField(default=False)
    is_manager = models.BooleanField(default=False)
    is_therapist = models.BooleanField(default=False)
    is_scheduler = models.BooleanField(default=False)
    is_biller = models.BooleanField(default=False)
    teletherapy_enabled = models.BooleanField(default=False)
    licensed_states = models.JSONField(default=list, blank=True)
    time_zone = models.CharField(max_length=64, choices=TIME_ZONE_CHOICES)
    invited_at = models.DateTimeField(null=True, blank=True)
    accepted_at = models.DateTimeField(null=True, blank=True)

    objects = StaffMemberQuerySet.as_manager()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(teletherapy_enabled=False) | models.Q(is_therapist=True),
                name="teletherapy_only_for_therapists",
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return self.user.full_name or self.user.email

    @property
    def roles(self) -> list[str]:
        return [role for role, field in ROLE_FIELDS.items() if getattr(self, field)]

    @property
    def role_labels(self) -> list[str]:
        return [Role(role).label for role in self.roles]

    # Questions views ask.
    @property
    def can_manage_staff(self) -> bool:
        return self.is_owner or self.is_manager

    @property
    def can_read_audit(self) -> bool:
        return self.is_owner or self.is_manager

    @property
    def can_export_audit(self) -> bool:
        return self.is_owner

    @property
    def can_see_all_clients(self) -> bool:
        return self.is_owner or self.is_manager or self.is_scheduler

    @property
    def can_schedule_for_others(self) -> bool:
        return self.is_owner or self.is_manager or self.is_scheduler

    @property
    def can_use_schedule(self) -> bool:
        return self.is_therapist or self.can_schedule_for_others

    @property
    def can_use_clients(self) -> bool:
        return self.is_therapist or self.can_see_all_clients

    @property
    def has_teletherapy(self) -> bool:
        """May hold Teletherapy Sessions now (the database form is has_teletherapy_q)."""
        return self.is_therapist and self.teletherapy_enabled and self.user.is_active


class StaffInvitation(OneTimeLink):
    """The emailed link through which a new staff member sets their password."""

    staff = models.ForeignKey(StaffMember, on_delete=models.CASCADE, related_name="invitations")
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )


class PracticeSignup(OneTimeLink):
    """ "Create your practice", waiting for the new Owner to open the link emailed to them.

    Nothing is created until then, so the form answers the same whether or not the address
    already has an account (its holder gets a note instead of a link). The password is kept
    hashed, exactly as the account will hold it."""

    email = models.EmailField()
    practice_name = models.CharField(max_length=200)
    state = models.CharField(max_length=2, choices=STATE_CHOICES)
    time_zone = models.CharField(max_length=64, choices=TIME_ZONE_CHOICES)
    owner_name = models.CharField(max_length=150)
    password_hash = models.CharField(max_length=128)
    requested_ip = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["email", "created_at"])]
