"""Two-step sign-in, complete: QR code, a device only on POST, ten single-use recovery codes,
a code never accepted twice, throttled wrong codes, re-authentication, required by the
practice for all staff."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
import time_machine
from django.conf import settings
from django.test import Client as HttpClient
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from teletherapy.accounts.reauth import AUTH_AT_KEY
from teletherapy.audit.models import Action, AuditEvent
from teletherapy.test.personas import PASSWORD

pytestmark = pytest.mark.django_db
T0 = datetime.fromisoformat("2026-05-04 13:00:00+00:00")
TWO_STEP = "/accounts/two-step/"
CODE = "/accounts/sign-in/code/"


def _code(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):06d}"


@pytest.fixture
def tess(cast):  # type: ignore[no-untyped-def]
    cast.therapist.user.set_password(PASSWORD)
    cast.therapist.user.save()
    return cast.therapist.user


def _enrol(cast, traveller) -> tuple[TOTPDevice, list[str]]:  # type: ignore[no-untyped-def]
    http = cast.client_for("therapist")
    http.post(TWO_STEP, {"action": "start"})
    device = TOTPDevice.objects.get(user=cast.therapist.user)
    shown = http.post(TWO_STEP, {"action": "confirm", "code": _code(device)})
    traveller.shift(timedelta(seconds=31))
    return device, shown.context["codes"]


def _password(http: HttpClient):  # type: ignore[no-untyped-def]
    return http.post("/accounts/sign-in/", {"email": "tess@maple.test", "password": PASSWORD})


def test_a_device_is_made_only_on_post_and_shown_as_a_qr_code(cast) -> None:  # type: ignore[no-untyped-def]
    http = cast.client_for("therapist")
    for _ in range(2):
        page = http.get(TWO_STEP)
        assert page.status_code == 200 and "Set up two-step sign-in" in page.content.decode()
    assert not TOTPDevice.objects.exists()
    assert http.post(TWO_STEP, {"action": "start"}).status_code == 302
    assert TOTPDevice.objects.filter(user=cast.therapist.user, confirmed=False).count() == 1
    html = http.get(TWO_STEP).content.decode()
    assert 'class="qr" src="data:image/svg+xml' in html
    assert "otpauth://totp/Teletherapy" in html  # the same link, for the phone itself
    assert TOTPDevice.objects.count() == 1


def test_ten_recovery_codes_each_work_once(cast, tess) -> None:  # type: ignore[no-untyped-def]
    with time_machine.travel(T0, tick=False) as traveller:
        _device, codes = _enrol(cast, traveller)
        assert len(codes) == 10 and len(set(codes)) == 10
        first = HttpClient()
        _password(first)
        assert first.post(CODE, {"code": codes[0]})["Location"] == reverse("practice:dashboard")
        again = HttpClient()
        _password(again)
        refused = again.post(CODE, {"code": codes[0]})
        assert refused.status_code == 200 and "_auth_user_id" not in again.session
    assert StaticToken.objects.filter(device__user=tess).count() == 9


def test_a_code_is_never_accepted_twice(cast, tess) -> None:  # type: ignore[no-untyped-def]
    with time_machine.travel(T0, tick=False) as traveller:
        device, _codes = _enrol(cast, traveller)
        code = _code(device)
        first = HttpClient()
        _password(first)
        assert first.post(CODE, {"code": code})["Location"] == reverse("practice:dashboard")
        traveller.shift(timedelta(seconds=3))  # same 30-second step, past any throttle
        second = HttpClient()
        _password(second)
        assert second.post(CODE, {"code": code}).status_code == 200
        assert "_auth_user_id" not in second.session


def test_wrong_codes_are_throttled(cast, tess) -> None:  # type: ignore[no-untyped-def]
    with time_machine.travel(T0, tick=False) as traveller:
        device, _codes = _enrol(cast, traveller)
        http = HttpClient()
        _password(http)
        for _ in range(3):
            http.post(CODE, {"code": "000000"})
        # Even the right code waits out the throttle, and the page says how long.
        throttled = http.post(CODE, {"code": _code(device)})
        assert "Too many wrong codes" in throttled.content.decode()
        assert "_auth_user_id" not in http.session
        traveller.shift(timedelta(seconds=10))
        assert http.post(CODE, {"code": _code(device)})["Location"] == reverse("practice:dashboard")


def test_changing_two_step_needs_a_recent_sign_in(cast, tess) -> None:  # type: ignore[no-untyped-def]
    http = cast.client_for("therapist")
    session = http.session
    session[AUTH_AT_KEY] -= settings.REAUTH_MINUTES * 60 + 1
    session.save()
    response = http.get(TWO_STEP)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:confirm"))
    assert (
        http.post(
            reverse("accounts:confirm") + "?next=/accounts/two-step/", {"password": "nope nope"}
        ).status_code
        == 200
    )
    ok = http.post(
        reverse("accounts:confirm") + "?next=/accounts/two-step/", {"password": PASSWORD}
    )
    assert ok["Location"] == TWO_STEP
    assert http.get(TWO_STEP).status_code == 200


def test_an_owner_can_require_two_step_for_all_staff(cast) -> None:  # type: ignore[no-untyped-def]
    owner = cast.client_for("owner")
    security = reverse("practice:security")
    assert cast.client_for("manager").post(security, {"require_two_step": "on"}).status_code == 403
    assert owner.post(security, {"require_two_step": "on", "idle_minutes": ""}).status_code == 302
    cast.practice.refresh_from_db()
    assert cast.practice.require_two_step
    assert AuditEvent.objects.filter(action=Action.SECURITY_SETTINGS_CHANGED).count() == 1
    # Staff without it are sent to set it up first, whatever they open.
    http = cast.client_for("therapist")
    for url in ("/clients/", "/schedule/", "/settings/"):
        assert http.get(url)["Location"] == TWO_STEP
    assert http.get(TWO_STEP).status_code == 200
    assert "requires two-step" in http.get(TWO_STEP).content.decode()
    # With a device, they go on as before.
    TOTPDevice.objects.create(user=cast.therapist.user, name="app", confirmed=True)
    assert http.get("/clients/").status_code == 200
    # Clients are not affected.
    assert cast.client_for("client").get("/portal/").status_code == 200


def test_my_account_is_in_the_menu_of_every_staff_page(cast) -> None:  # type: ignore[no-untyped-def]
    page = cast.client_for("scheduler").get(reverse("practice:dashboard")).content.decode()
    assert 'href="/accounts/my-account/"' in page
    account = cast.client_for("scheduler").get("/accounts/my-account/").content.decode()
    assert "Change password" in account and "two-step sign-in" in account
    assert "Sign out of all other sessions" in account
