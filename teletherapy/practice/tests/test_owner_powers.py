"""Issue 9, hole 2: a Manager cannot take power from Owners, and nobody switches off their own
two-step sign-in from Practice Settings (that needs a current code, at My account)."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from teletherapy.audit.models import Action, AuditEvent
from teletherapy.practice import services
from teletherapy.test.personas import make_staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def second_owner(cast):  # type: ignore[no-untyped-def]
    return make_staff(cast.practice, "o2@maple.test", "Ora Second", is_owner=True)


def _two_step(member) -> TOTPDevice:  # type: ignore[no-untyped-def]
    return TOTPDevice.objects.create(user=member.user, name="app", confirmed=True)


def _post(cast, persona: str, name: str, member, data=None):  # type: ignore[no-untyped-def]
    return cast.client_for(persona).post(reverse(name, args=[member.pk]), data or {})


def test_a_manager_cannot_remove_the_owner_role_from_an_owner(cast, second_owner) -> None:  # type: ignore[no-untyped-def]
    response = _post(
        cast, "manager", "practice:staff_roles", second_owner, {"roles": ["therapist"]}
    )
    assert response.status_code == 400
    assert "Only an Owner can change an Owner" in response.content.decode()
    second_owner.refresh_from_db()
    assert second_owner.roles == ["owner"]
    assert not AuditEvent.objects.filter(action=Action.ROLES_CHANGED).exists()


def test_a_manager_cannot_change_an_owners_other_roles_either(cast, second_owner) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(services.StaffError):
        services.set_roles(staff=second_owner, by=cast.manager, roles=["owner", "biller"])
    second_owner.refresh_from_db()
    assert second_owner.roles == ["owner"]


def test_an_owner_may_remove_another_owner(cast, second_owner) -> None:  # type: ignore[no-untyped-def]
    response = _post(cast, "owner", "practice:staff_roles", second_owner, {"roles": ["therapist"]})
    assert response.status_code == 302
    second_owner.refresh_from_db()
    assert second_owner.roles == ["therapist"]


def test_a_manager_cannot_switch_off_an_owners_two_step(cast) -> None:  # type: ignore[no-untyped-def]
    _two_step(cast.owner)
    response = _post(cast, "manager", "practice:staff_two_step_off", cast.owner)
    assert response.status_code == 400
    assert TOTPDevice.objects.filter(user=cast.owner.user).exists()


def test_an_owner_may_switch_off_another_owners_two_step(cast, second_owner) -> None:  # type: ignore[no-untyped-def]
    _two_step(second_owner)
    assert _post(cast, "owner", "practice:staff_two_step_off", second_owner).status_code == 302
    assert not TOTPDevice.objects.filter(user=second_owner.user).exists()
    event = AuditEvent.objects.get(action=Action.STAFF_UPDATED)
    assert event.actor == cast.owner.user and event.details["two_step"] == "off"


@pytest.mark.parametrize("persona", ["manager", "owner"])
def test_nobody_switches_off_their_own_two_step_from_practice_settings(cast, persona) -> None:  # type: ignore[no-untyped-def]
    member = getattr(cast, persona)
    _two_step(member)
    response = _post(cast, persona, "practice:staff_two_step_off", member)
    assert response.status_code == 400
    assert "with a code from your app" in response.content.decode()
    assert TOTPDevice.objects.filter(user=member.user).exists()


def test_a_manager_sees_an_owners_profile_read_only(cast, second_owner) -> None:  # type: ignore[no-untyped-def]
    _two_step(second_owner)
    url = reverse("practice:staff_profile", args=[second_owner.pk])
    as_manager = cast.client_for("manager").get(url).content.decode()
    assert "Save roles" not in as_manager and "Switch off two-step" not in as_manager
    assert "Only an Owner can change an Owner" in as_manager
    as_owner = cast.client_for("owner").get(url).content.decode()
    assert "Save roles" in as_owner and "Switch off two-step" in as_owner
