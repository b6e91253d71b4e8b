from __future__ import annotations

from typing import Any, NoReturn, Protocol

from django.conf import settings
from django.db import models
from django.utils import timezone


class Action(models.TextChoices):
    SIGN_IN = "sign_in", "Signed in"
    SIGN_IN_FAILED = "sign_in_failed", "Sign-in failed"
    SIGN_OUT = "sign_out", "Signed out"
    IDLE_SIGN_OUT = "idle_sign_out", "Signed out after being idle"
    PASSWORD_RESET_SENT = "password_reset_sent", "Password reset link sent"
    PASSWORD_RESET = "password_reset", "Password reset"
    PRACTICE_CREATED = "practice_created", "Practice created"
    STAFF_INVITED = "staff_invited", "Staff member invited"
    STAFF_INVITE_ACCEPTED = "staff_invite_accepted", "Staff invitation accepted"
    STAFF_DEACTIVATED = "staff_deactivated", "Staff member deactivated"
    STAFF_REACTIVATED = "staff_reactivated", "Staff member reactivated"
    STAFF_UPDATED = "staff_updated", "Staff profile updated"
    ROLES_CHANGED = "roles_changed", "Roles changed"
    TELETHERAPY_ENABLED = "teletherapy_enabled", "Teletherapy switched on"
    TELETHERAPY_DISABLED = "teletherapy_disabled", "Teletherapy switched off"
    CLIENT_CREATED = "client_created", "Client created"
    CLIENT_VIEWED = "client_viewed", "Client viewed"
    CLIENT_UPDATED = "client_updated", "Client updated"
    CLIENT_DEACTIVATED = "client_deactivated", "Client deactivated"
    GUARDIAN_ADDED = "guardian_added", "Guardian added to a minor"
    GUARDIAN_REMOVED = "guardian_removed", "Guardian removed from a minor"
    PORTAL_INVITE_SENT = "portal_invite_sent", "Portal invite sent"
    PORTAL_INVITE_ACCEPTED = "portal_invite_accepted", "Portal invite accepted"
    PORTAL_INVITE_EXPIRED = "portal_invite_expired", "Portal invite expired"
    PORTAL_INVITE_VOIDED = "portal_invite_voided", "Portal invite voided"
    PORTAL_RESET_SENT = "portal_reset_sent", "Portal password reset sent"
    PORTAL_RESET_USED = "portal_reset_used", "Portal password reset used"
    PORTAL_SIGN_IN = "portal_sign_in", "Portal sign-in"
    PORTAL_SIGN_IN_FAILED = "portal_sign_in_failed", "Portal sign-in failed"
    PORTAL_CONTACT_UPDATED = "portal_contact_updated", "Portal contact details updated"
    APPOINTMENT_CREATED = "appointment_created", "Appointment created"
    APPOINTMENT_CHANGED = "appointment_changed", "Appointment changed"
    APPOINTMENT_CANCELLED = "appointment_cancelled", "Appointment cancelled"
    APPOINTMENT_NO_SHOW = "appointment_no_show", "Appointment marked no-show"
    SESSION_JOINED = "session_joined", "Joined Teletherapy session"
    SESSION_LEFT = "session_left", "Left Teletherapy session"
    SESSION_STARTED = "session_started", "Teletherapy session started"
    SESSION_ENDED = "session_ended", "Teletherapy session ended"
    SESSION_REFUSED = "session_refused", "Teletherapy session access refused"
    SESSION_LOCATION = "session_location", "Client stated their location"
    SESSION_HELD = "session_held", "Teletherapy client put on hold"
    SESSION_RESUMED = "session_resumed", "Teletherapy client brought back from hold"
    AUDIT_EXPORTED = "audit_exported", "Audit log exported"
    PASSWORD_CHANGED = "password_changed", "Password changed"
    SESSIONS_ENDED = "sessions_ended", "Signed out of other sessions"
    RECOVERY_CODES_MADE = "recovery_codes_made", "Two-step recovery codes made"
    SECURITY_SETTINGS_CHANGED = "security_settings_changed", "Security settings changed"
    WORKING_HOURS_CHANGED = "working_hours_changed", "Working hours changed"
    CLOSURE_ADDED = "closure_added", "Practice closure added"
    CLOSURE_REMOVED = "closure_removed", "Practice closure removed"


class AuditReader(Protocol):
    """Who reads the log: a staff member (practice's StaffMember; audit does not import it)."""

    practice_id: int

    @property
    def can_read_audit(self) -> bool: ...


class AuditEventQuerySet(models.QuerySet["AuditEvent"]):
    def visible_to(self, reader: AuditReader) -> AuditEventQuerySet:
        """The rows a staff member may read: their practice's, if their role reads the log."""
        if not reader.can_read_audit:
            return self.none()
        return self.filter(practice_id=reader.practice_id)

    def update(self, **kwargs: Any) -> NoReturn:
        raise PermissionError("The audit log is append-only")

    def delete(self) -> NoReturn:
        raise PermissionError("The audit log is append-only")


class AuditEvent(models.Model):
    """One row of the append-only audit trail. Write it only through audit.record()."""

    at = models.DateTimeField(default=timezone.now, db_index=True)
    practice = models.ForeignKey(
        "practice.Practice", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_label = models.CharField(max_length=200, blank=True)
    action = models.CharField(max_length=40, choices=Action.choices, db_index=True)
    object_type = models.CharField(max_length=40, blank=True)
    object_id = models.CharField(max_length=40, blank=True)
    object_label = models.CharField(max_length=200, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    details = models.JSONField(default=dict, blank=True)
    # The hash chain (audit/chain.py): this row's hash covers its content and prev_hash, the
    # hash of the practice's previous row.
    prev_hash = models.CharField(max_length=64, blank=True)
    hash = models.CharField(max_length=64, blank=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["practice", "-at"])]

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise PermissionError("The audit log is append-only")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise PermissionError("The audit log is append-only")


class AuditChain(models.Model):
    """The head of one practice's chain (or the global one): locked while a row is appended,
    so two writers never link to the same previous row."""

    key = models.CharField(max_length=40, unique=True)
    last_hash = models.CharField(max_length=64)
    last_event_id = models.BigIntegerField(null=True, blank=True)
