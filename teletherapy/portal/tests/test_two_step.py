"""Clients may turn on two-step sign-in from My details; the portal sign-in then asks for a
code. The staff two-step pages and mfa.py do the work; these tests drive the portal's."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
import time_machine
from django.test import Client as HttpClient
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from teletherapy.test.personas import PASSWORD

pytestmark = pytest.mark.django_db
T0 = datetime.fromisoformat("2026-05-04 13:00:00+00:00")
TWO_STEP = "/portal/details/two-step/"
CODE = "/portal/sign-in/code/"


def _code(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):06d}"


@pytest.fixture
def casey(cast):  # type: ignore[no-untyped-def]
    user = cast.client_with_portal.user
    user.set_password(PASSWORD)
    user.save()
    return user


def _enrol(cast, traveller) -> tuple[TOTPDevice, list[str]]:  # type: ignore[no-untyped-def]
    http = cast.client_for("client")
    page = http.get(TWO_STEP)
    assert page.status_code == 200 and "Set up two-step sign-in" in page.content.decode()
    assert not TOTPDevice.objects.exists()  # nothing is made on GET
    assert http.post(TWO_STEP, {"action": "start"})["Location"] == TWO_STEP
    html = http.get(TWO_STEP).content.decode()
    assert 'class="qr" src="data:image/svg+xml' in html and "My details" in html
    device = TOTPDevice.objects.get(user=cast.client_with_portal.user, confirmed=False)
    shown = http.post(TWO_STEP, {"action": "confirm", "code": _code(device)})
    assert shown.status_code == 200
    device.refresh_from_db()
    assert device.confirmed
    traveller.shift(timedelta(seconds=31))
    return device, shown.context["codes"]


def _password(http: HttpClient):  # type: ignore[no-untyped-def]
    return http.post("/portal/sign-in/", {"username": "casey", "password": PASSWORD})


def test_my_details_links_to_two_step_sign_in(cast) -> None:  # type: ignore[no-untyped-def]
    page = cast.client_for("client").get("/portal/details/").content.decode()
    assert f'href="{TWO_STEP}"' in page


def test_without_a_device_the_password_is_enough(cast, casey) -> None:  # type: ignore[no-untyped-def]
    http = HttpClient()
    assert _password(http)["Location"] == reverse("portal:dashboard")


def test_enrol_then_sign_in_with_a_code(cast, casey) -> None:  # type: ignore[no-untyped-def]
    with time_machine.travel(T0, tick=False) as traveller:
        device, codes = _enrol(cast, traveller)
        assert len(codes) == 10
        http = HttpClient()
        assert _password(http)["Location"] == CODE
        assert "_auth_user_id" not in http.session  # the password alone signs no one in
        assert http.get(CODE).status_code == 200
        assert http.post(CODE, {"code": _code(device)})["Location"] == reverse("portal:dashboard")
        assert int(http.session["_auth_user_id"]) == casey.pk


def test_a_wrong_code_is_refused(cast, casey) -> None:  # type: ignore[no-untyped-def]
    with time_machine.travel(T0, tick=False) as traveller:
        _enrol(cast, traveller)
        http = HttpClient()
        _password(http)
        refused = http.post(CODE, {"code": "000000"})
        assert refused.status_code == 200
        assert "_auth_user_id" not in http.session
        assert http.get("/portal/")["Location"].startswith(reverse("portal:sign_in"))


def test_a_recovery_code_works_once(cast, casey) -> None:  # type: ignore[no-untyped-def]
    with time_machine.travel(T0, tick=False) as traveller:
        _device, codes = _enrol(cast, traveller)
        first = HttpClient()
        _password(first)
        assert first.post(CODE, {"code": codes[0]})["Location"] == reverse("portal:dashboard")
        again = HttpClient()
        _password(again)
        assert again.post(CODE, {"code": codes[0]}).status_code == 200
        assert "_auth_user_id" not in again.session
    assert StaticToken.objects.filter(device__user=casey).count() == 9


def test_staff_cannot_use_the_portal_code_page(cast) -> None:  # type: ignore[no-untyped-def]
    cast.therapist.user.set_password(PASSWORD)
    cast.therapist.user.save()
    http = HttpClient()
    http.post("/accounts/sign-in/", {"email": "tess@maple.test", "password": PASSWORD})
    assert http.get(CODE)["Location"] == reverse("portal:sign_in")
