"""Two-step sign-in: a time-based code from an authenticator app (django-otp TOTP), with ten
single-use recovery codes (django-otp static tokens) for a lost phone.

Codes are never accepted twice (django-otp remembers the last time step used), and wrong codes
slow further tries down (django-otp's throttling, doubling the wait after each failure).
"""

from __future__ import annotations

import base64
import time
from datetime import datetime

import segno
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from teletherapy.accounts.models import User
from teletherapy.audit.models import Action
from teletherapy.audit.services import record

DEVICE_NAME = "Authenticator app"
RECOVERY_NAME = "Recovery codes"
RECOVERY_CODES = 10
PENDING_KEY = "two_step_pending"
# The code must follow the password within this many seconds.
PENDING_SECONDS = 300

CODE_REFUSED = (
    "That code didn't work. Type the newest code your app shows (they change every 30 seconds), "
    "or one of your recovery codes."
)


def confirmed_device(user: User) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def uses_two_step(user: User | None) -> bool:
    """Whether the person switched two-step sign-in on (a confirmed authenticator)."""
    return user is not None and confirmed_device(user) is not None


def pending_device(user: User) -> TOTPDevice | None:
    """The device being set up (made by start_setup), if any. Reading never creates one."""
    return TOTPDevice.objects.filter(user=user, confirmed=False).first()


def recovery_device(user: User) -> StaticDevice | None:
    return StaticDevice.objects.filter(user=user, confirmed=True).first()


def recovery_codes_left(user: User) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


def start_setup(*, user: User) -> TOTPDevice:
    """Make a fresh, unconfirmed device with a new key (on a POST only)."""
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user, confirmed=False).delete()
        return TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)


def manual_key(device: TOTPDevice) -> str:
    """The secret in the base32 form authenticator apps accept, in groups of four."""
    raw = base64.b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(raw[i : i + 4] for i in range(0, len(raw), 4))


def qr_code(device: TOTPDevice) -> str:
    """The set-up link as a QR code: an SVG data URI rendered here, no outside service."""
    return str(segno.make(device.config_url, error="m").svg_data_uri(scale=5, border=2))


def _clean(code: str) -> str:
    return code.strip().replace(" ", "").replace("-", "").lower()


def throttled_until(devices: list[Device]) -> datetime | None:
    """When the wait after wrong codes ends, if one is running for any of these devices."""
    for device in devices:
        allowed, info = device.verify_is_allowed()
        if not allowed:
            return (info or {}).get("locked_until") or timezone.now()
    return None


def check_code(user: User, code: str) -> tuple[Device | None, str]:
    """The device a current code (or an unused recovery code) belongs to, using it up; or
    None and the reason to show."""
    devices: list[Device] = [d for d in (confirmed_device(user), recovery_device(user)) if d]
    until = throttled_until(devices)
    if until is not None:
        seconds = max(1, int((until - timezone.now()).total_seconds()) + 1)
        return None, (
            f"Too many wrong codes. For your security, wait {seconds} seconds and try again."
        )
    code = _clean(code)
    for device in devices:
        if device.verify_token(code):
            return device, ""
    return None, CODE_REFUSED


def _make_recovery_codes(user: User) -> list[str]:
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name=RECOVERY_NAME, confirmed=True)
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=code) for code in codes])
    return codes


def turn_on(*, user: User, code: str, request: HttpRequest | None = None) -> list[str] | None:
    """Confirm the device being set up with a current code; return the ten new recovery codes
    (shown once), or None when the code did not work."""
    with transaction.atomic():
        device = pending_device(user)
        if device is None or not device.verify_token(_clean(code)):
            return None
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        codes = _make_recovery_codes(user)
        record(Action.STAFF_UPDATED, actor=user, obj=user, request=request, two_step="on")
    return codes


def new_recovery_codes(*, user: User, code: str, request: HttpRequest | None = None) -> list[str]:
    """Replace the recovery codes, proven with a current code. Raise ValueError(reason)."""
    with transaction.atomic():
        device, problem = check_code(user, code)
        if device is None:
            raise ValueError(problem)
        codes = _make_recovery_codes(user)
        record(Action.RECOVERY_CODES_MADE, actor=user, obj=user, request=request)
    return codes


def turn_off(*, user: User, code: str, request: HttpRequest | None = None) -> bool:
    """Remove two-step sign-in, proven with a current code. Return whether it worked."""
    with transaction.atomic():
        if confirmed_device(user) is None:
            return False
        device, _problem = check_code(user, code)
        if device is None:
            return False
        remove_all_devices(user=user)
        record(Action.STAFF_UPDATED, actor=user, obj=user, request=request, two_step="off")
    return True


def remove_all_devices(*, user: User) -> bool:
    """Delete every two-step device the person has; return whether there was one."""
    deleted, _ = TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()
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
