from __future__ import annotations

from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.db import models
from django.utils import timezone


class UserManager(BaseUserManager["User"]):
    def create_user(self, username: str, password: str | None = None, **fields: Any) -> User:
        user = self.model(username=username.strip().lower(), **fields)
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.save(using=self._db)
        return user


class User(AbstractBaseUser):
    """One person who signs in: a staff member (by email) or a portal client (by username).

    The two kinds never cross: staff sign in only on the staff side, clients only in the
    portal. A staff member's username is their email address, lower-cased.
    """

    class Kind(models.TextChoices):
        STAFF = "staff", "Staff"
        CLIENT = "client", "Client"

    username = models.CharField(max_length=150, unique=True)
    email = models.EmailField(blank=True)
    full_name = models.CharField(max_length=150, blank=True)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    is_active = models.BooleanField(default=True)
    date_joined = models.DateTimeField(default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "username"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["email"]

    def __str__(self) -> str:
        return self.full_name or self.username

    @property
    def is_staff_member(self) -> bool:
        return self.kind == self.Kind.STAFF

    @property
    def is_client(self) -> bool:
        return self.kind == self.Kind.CLIENT

    # Django's admin is not installed; these keep contrib.auth helpers happy.
    is_staff = False
    is_superuser = False

    def has_perm(self, perm: str, obj: object = None) -> bool:
        return False

    def has_module_perms(self, app_label: str) -> bool:
        return False


class OneTimeLink(models.Model):
    """Fields shared by every emailed link: only the token's hash is kept.

    teletherapy.accounts.links issues, sends, finds and uses them."""

    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    voided_at = models.DateTimeField(null=True, blank=True)
    # "queued", then "sent" or "failed" (every retry failed: staff see "not delivered").
    delivery_status = models.CharField(max_length=20, default="queued")

    class Meta:
        abstract = True

    def is_usable(self, now: Any = None) -> bool:
        now = now or timezone.now()
        return self.used_at is None and self.voided_at is None and now <= self.expires_at

    @property
    def is_expired(self) -> bool:
        return self.used_at is None and self.voided_at is None and timezone.now() > self.expires_at

    @property
    def not_delivered(self) -> bool:
        return self.delivery_status == "failed"


class PasswordResetLink(OneTimeLink):
    """A staff or client password reset link (client portal invitations live in clients)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="reset_links")
    requested_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )


class UserSession(models.Model):
    """Which sessions a person has open, so deactivation can end all of them at once."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="open_sessions")
    session_key = models.CharField(max_length=40, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
