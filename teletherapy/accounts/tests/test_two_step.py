"""Two-step sign-in: switch it on with a code, then sign-in asks for one."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
import time_machine
from django.test import Client as HttpClient
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from teletherapy.accounts.mfa import PENDING_SECONDS
from teletherapy.audit.models import Action, AuditEvent
from teletherapy.test.personas import PASSWORD

pytestmark = pytest.mark.django_db
T0 = datetime.fromisoformat("2026-05-04 13:00:00+00:00")
TWO_STEP = "/accounts/two-step/"


def _code(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):06d}"


def _wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


@pytest.fixture
def tess(cast):
    cast.therapist.user.set_password(PASSWORD)
    cast.therapist.user.save()
    return cast.therapist.user


def _turn_on(cast, traveller) -> TOTPDevice:
    http = cast.client_for("therapist")
    assert http.get(TWO_STEP).status_code == 200
    assert http.post(TWO_STEP, {"action": "start"}).status_code == 302
    page = http.get(TWO_STEP)
    assert page.status_code == 200 and page.context["manual_key"]
    device = TOTPDevice.objects.get(user=cast.therapist.user, confirmed=False)
    refused = http.post(TWO_STEP, {"code": _wrong(_code(device))})
    assert "didn&#x27;t work" in refused.content.decode()
    device.refresh_from_db()
    assert not device.confirmed
    traveller.shift(timedelta(seconds=5))  # past django-otp's throttle after a failure
    shown = http.post(TWO_STEP, {"code": _code(device)})
    assert shown.status_code == 200 and len(shown.context["codes"]) == 10
    device.refresh_from_db()
    assert device.confirmed
    # Codes are single use: move on to the next 30-second step before signing in.
    traveller.shift(timedelta(seconds=31))
    return device


def _password(http: HttpClient):
    return http.post("/accounts/sign-in/", {"email": "tess@maple.test", "password": PASSWORD})


def test_switching_on_then_signing_in_with_a_code(cast, tess) -> None:
    with time_machine.travel(T0, tick=False) as traveller:
        device = _turn_on(cast, traveller)
        http = HttpClient()
        first = _password(http)
        assert first["Location"] == reverse("accounts:sign_in_code")
        # The password alone does not sign in.
        assert http.get(reverse("practice:dashboard")).status_code == 302
        assert http.get(reverse("accounts:sign_in_code")).status_code == 200
        wrong = http.post(reverse("accounts:sign_in_code"), {"code": _wrong(_code(device))})
        assert wrong.status_code == 200 and "_auth_user_id" not in http.session
        traveller.shift(timedelta(seconds=5))
        right = http.post(reverse("accounts:sign_in_code"), {"code": _code(device)})
        assert right["Location"] == reverse("practice:dashboard")
        assert http.get(reverse("practice:dashboard")).status_code == 200
    assert AuditEvent.objects.filter(action=Action.SIGN_IN).count() == 1
    assert AuditEvent.objects.filter(action=Action.SIGN_IN_FAILED).count() == 1
    on = AuditEvent.objects.get(action=Action.STAFF_UPDATED)
    assert on.details == {"two_step": "on"}


@pytest.mark.parametrize(("after", "ok"), [(PENDING_SECONDS, True), (PENDING_SECONDS + 1, False)])
def test_the_code_must_follow_the_password_quickly(cast, tess, after, ok) -> None:
    with time_machine.travel(T0, tick=False) as traveller:
        device = _turn_on(cast, traveller)
        http = HttpClient()
        _password(http)
        traveller.shift(timedelta(seconds=after))
        response = http.post(reverse("accounts:sign_in_code"), {"code": _code(device)})
    if ok:
        assert response["Location"] == reverse("practice:dashboard")
    else:
        assert response["Location"] == reverse("accounts:sign_in")
        assert "_auth_user_id" not in http.session


def test_switching_off_needs_a_current_code(cast, tess) -> None:
    with time_machine.travel(T0, tick=False) as traveller:
        device = _turn_on(cast, traveller)
        http = cast.client_for("therapist")
        assert http.post(TWO_STEP, {"code": "12"}).status_code == 200
        assert TOTPDevice.objects.filter(user=tess, confirmed=True).exists()
        traveller.shift(timedelta(seconds=5))
        assert http.post(TWO_STEP, {"code": _code(device)}).status_code == 302
        assert not TOTPDevice.objects.filter(user=tess).exists()
        traveller.shift(timedelta(seconds=31))
        response = _password(HttpClient())
        assert response["Location"] == reverse("practice:dashboard")


def test_the_code_page_needs_a_password_first(cast) -> None:
    response = HttpClient().get(reverse("accounts:sign_in_code"))
    assert response["Location"] == reverse("accounts:sign_in")


def test_own_profile_links_to_two_step(cast) -> None:
    http = cast.client_for("therapist")
    own = http.get(reverse("practice:staff_profile", args=[cast.therapist.pk])).content.decode()
    other = http.get(reverse("practice:staff_profile", args=[cast.owner.pk])).content.decode()
    assert TWO_STEP in own and TWO_STEP not in other


def test_a_manager_can_switch_off_a_colleagues_two_step(cast, tess) -> None:
    with time_machine.travel(T0, tick=False) as traveller:
        _turn_on(cast, traveller)
        profile = reverse("practice:staff_profile", args=[cast.therapist.pk])
        off = reverse("practice:staff_two_step_off", args=[cast.therapist.pk])
        assert "Switch off two-step" in cast.client_for("manager").get(profile).content.decode()
        assert cast.client_for("scheduler").post(off).status_code == 403
        assert cast.client_for("other_owner").post(off).status_code == 404
        assert TOTPDevice.objects.filter(user=tess).exists()
        assert cast.client_for("manager").post(off).status_code == 302
        assert not TOTPDevice.objects.filter(user=tess).exists()
        assert _password(HttpClient())["Location"] == reverse("practice:dashboard")
