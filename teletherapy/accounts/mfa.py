"""Two-step sign-in for staff: a time-based code from an authenticator app (django-otp TOTP)."""

from __future__ import annotations

import base64
import time

from django.db import transaction
from django.http import HttpRequest
from django_otp.plugins.otp_totp.models import TOTPDevice

from teletherapy.accounts.models import User
from teletherapy.audit.models import Action
from teletherapy.audit.services import record

DEVICE_NAME = "Authenticator app"
PENDING_KEY = "two_step_pending"
# The code must follow the password within this many seconds.
PENDING_SECONDS = 300


def confirmed_device(user: User) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def setup_device(user: User) -> TOTPDevice:
    """The person's unconfirmed device, made on first use; the key stays until confirmed."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)
    return device


def manual_key(device: TOTPDevice) -> str:
    """The secret in the base32 form authenticator apps accept, in groups of four."""
    raw = base64.b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(raw[i : i + 4] for i in range(0, len(raw), 4))


def turn_on(*, user: User, code: str, request: HttpRequest | None = None) -> bool:
    """Confirm the set-up device with a current code. Return whether it worked."""
    with transaction.atomic():
        device = setup_device(user)
        if not device.verify_token(code.strip().replace(" ", "")):
            return False
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        record(Action.STAFF_UPDATED, actor=user, obj=user, request=request, two_step="on")
    return True


def turn_off(*, user: User, code: str, request: HttpRequest | None = None) -> bool:
    """Remove two-step sign-in, proven with a current code. Return whether it worked."""
    with transaction.atomic():
        device = confirmed_device(user)
        if device is None or not device.verify_token(code.strip().replace(" ", "")):
            return False
        TOTPDevice.objects.filter(user=user).delete()
        record(Action.STAFF_UPDATED, actor=user, obj=user, request=request, two_step="off")
    return True


def remove_all_devices(*, user: User) -> bool:
    """Delete every two-step device the person has; return whether there was one."""
    deleted, _ = TOTPDevice.objects.filter(user=user).delete()
    return bool(deleted)


def start_pending(request: HttpRequest, user: User, next_url: str) -> None:
    """Remember that the password was right; the session is not signed in yet."""
    request.session[PENDING_KEY] = {"user": user.pk, "at": int(time.time()), "next": next_url}


def pending_user(request: HttpRequest) -> tuple[User | None, str]:
    """The person who gave the right password in the last PENDING_SECONDS, and where to go."""
    pending = request.session.get(PENDING_KEY)
    if not isinstance(pending, dict):
        return None, ""
    if int(time.time()) - int(pending.get("at", 0)) > PENDING_SECONDS:
        request.session.pop(PENDING_KEY, None)
        return None, ""
    user_id = pending.get("user")
    if not isinstance(user_id, int):
        return None, ""
    user = User.objects.filter(pk=user_id, is_active=True).first()
    return user, str(pending.get("next") or "")
