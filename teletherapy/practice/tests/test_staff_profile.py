"""Staff Profile: Permissions and Roles, Teletherapy, therapist details, deactivation."""

from __future__ import annotations

import pytest
from django.contrib.sessions.models import Session
from django.test import Client as HttpClient
from django.urls import reverse

from teletherapy.audit.models import Action, AuditEvent
from teletherapy.practice.views import CREDENTIALING_NOTE
from teletherapy.test.personas import make_staff

YES = {"confirmed": "yes"}

pytestmark = pytest.mark.django_db
SWITCH_ON = "Switch on Teletherapy"


def _profile(cast, persona: str, member) -> str:  # type: ignore[no-untyped-def]
    response = cast.client_for(persona).get(reverse("practice:staff_profile", args=[member.pk]))
    assert response.status_code == 200
    return response.content.decode()


def _post(cast, persona: str, name: str, member, data=None):  # type: ignore[no-untyped-def]
    return cast.client_for(persona).post(reverse(name, args=[member.pk]), data or {})


@pytest.mark.parametrize("persona", ["owner", "manager"])
def test_owner_and_manager_see_the_switch_and_the_credentialing_note(cast, persona) -> None:  # type: ignore[no-untyped-def]
    page = _profile(cast, persona, cast.therapist_plain)
    assert "Permissions and Roles" in page
    assert SWITCH_ON in page
    assert CREDENTIALING_NOTE in page
    assert 'name="roles"' in page


@pytest.mark.parametrize("persona", ["therapist", "therapist_plain", "scheduler", "biller"])
def test_everyone_else_sees_roles_but_no_buttons(cast, persona) -> None:  # type: ignore[no-untyped-def]
    page = _profile(cast, persona, cast.therapist_plain)
    assert "Permissions and Roles" in page and "Teletherapy" in page
    assert SWITCH_ON not in page
    assert "Switch off Teletherapy" not in _profile(cast, persona, cast.therapist)
    assert 'name="roles"' not in page
    assert "Deactivate" not in page


def test_switching_teletherapy_on_and_off(cast) -> None:  # type: ignore[no-untyped-def]
    member = cast.therapist_plain
    response = _post(cast, "owner", "practice:staff_teletherapy", member, {"enabled": "1"})
    assert response.status_code == 302
    member.refresh_from_db()
    assert member.teletherapy_enabled
    page = _profile(cast, "owner", member)
    assert "Switch off Teletherapy" in page
    _post(
        cast, "manager", "practice:staff_teletherapy", member, {"enabled": "0", "confirmed": "yes"}
    )
    member.refresh_from_db()
    assert not member.teletherapy_enabled
    actions = list(
        AuditEvent.objects.filter(object_id=str(member.pk)).values_list("action", flat=True)
    )
    assert sorted(actions) == sorted([Action.TELETHERAPY_ENABLED, Action.TELETHERAPY_DISABLED])


@pytest.mark.parametrize("persona", ["therapist_plain", "therapist", "scheduler", "biller"])
def test_a_tampered_teletherapy_post_changes_nothing(cast, persona) -> None:  # type: ignore[no-untyped-def]
    """A Therapist switching Teletherapy on for themselves, or anyone else who may not."""
    response = _post(
        cast, persona, "practice:staff_teletherapy", cast.therapist_plain, {"enabled": "1"}
    )
    assert response.status_code == 403
    cast.therapist_plain.refresh_from_db()
    assert not cast.therapist_plain.teletherapy_enabled
    assert not AuditEvent.objects.filter(action=Action.TELETHERAPY_ENABLED).exists()


def test_a_scheduler_posting_a_role_change_changes_nothing(cast) -> None:  # type: ignore[no-untyped-def]
    response = _post(
        cast, "scheduler", "practice:staff_roles", cast.scheduler, {"roles": ["owner"]}
    )
    assert response.status_code == 403
    cast.scheduler.refresh_from_db()
    assert cast.scheduler.roles == ["scheduler"]


def test_teletherapy_only_for_therapists(cast) -> None:  # type: ignore[no-untyped-def]
    response = _post(cast, "owner", "practice:staff_teletherapy", cast.scheduler, {"enabled": "1"})
    assert response.status_code == 400
    assert "only for a Therapist" in response.content.decode()
    cast.scheduler.refresh_from_db()
    assert not cast.scheduler.teletherapy_enabled


def test_removing_therapist_switches_teletherapy_off(cast) -> None:  # type: ignore[no-untyped-def]
    response = _post(
        cast, "owner", "practice:staff_roles", cast.therapist, {"roles": ["scheduler"]}
    )
    assert response.status_code == 302
    cast.therapist.refresh_from_db()
    assert cast.therapist.roles == ["scheduler"]
    assert not cast.therapist.teletherapy_enabled
    assert AuditEvent.objects.filter(action=Action.ROLES_CHANGED).count() == 1
    assert AuditEvent.objects.filter(action=Action.TELETHERAPY_DISABLED).count() == 1


def test_a_manager_cannot_make_an_owner(cast) -> None:  # type: ignore[no-untyped-def]
    response = _post(
        cast, "manager", "practice:staff_roles", cast.scheduler, {"roles": ["scheduler", "owner"]}
    )
    assert response.status_code == 400
    assert "Only an Owner can make someone an Owner" in response.content.decode()
    cast.scheduler.refresh_from_db()
    assert cast.scheduler.roles == ["scheduler"]


def test_an_owner_can_make_an_owner_and_add_roles_to_themselves(cast) -> None:  # type: ignore[no-untyped-def]
    _post(cast, "owner", "practice:staff_roles", cast.manager, {"roles": ["owner", "manager"]})
    _post(cast, "owner", "practice:staff_roles", cast.owner, {"roles": ["owner", "therapist"]})
    cast.manager.refresh_from_db()
    cast.owner.refresh_from_db()
    assert cast.manager.roles == ["owner", "manager"]
    assert cast.owner.roles == ["owner", "therapist"]


def test_the_last_owner_keeps_the_role(cast) -> None:  # type: ignore[no-untyped-def]
    response = _post(cast, "owner", "practice:staff_roles", cast.owner, {"roles": ["manager"]})
    assert response.status_code == 400
    assert "at least one active Owner" in response.content.decode()
    # What was ticked stays ticked on the returned page.
    assert 'value="manager" id="role-manager" checked' in response.content.decode()
    cast.owner.refresh_from_db()
    assert cast.owner.roles == ["owner"]
    assert not AuditEvent.objects.filter(action=Action.ROLES_CHANGED).exists()


def test_an_owner_may_remove_an_owner_who_is_not_the_last(cast) -> None:  # type: ignore[no-untyped-def]
    second = make_staff(cast.practice, "o2@maple.test", "Second Owner", is_owner=True)
    response = _post(cast, "owner", "practice:staff_roles", second, {"roles": ["therapist"]})
    assert response.status_code == 302
    second.refresh_from_db()
    assert second.roles == ["therapist"]


def test_therapist_details(cast) -> None:  # type: ignore[no-untyped-def]
    response = _post(
        cast,
        "manager",
        "practice:staff_details",
        cast.therapist,
        {"licensed_states": ["CT", "NY"], "time_zone": "America/Chicago"},
    )
    assert response.status_code == 302
    cast.therapist.refresh_from_db()
    assert cast.therapist.licensed_states == ["CT", "NY"]
    assert cast.therapist.time_zone == "America/Chicago"
    page = _profile(cast, "scheduler", cast.therapist)
    assert "Connecticut, New York" in page and "America/Chicago" in page


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"licensed_states": ["XX"], "time_zone": "UTC"}, "Choose licensed states from the list"),
        ({"licensed_states": ["NY"], "time_zone": "Europe/Paris"}, "U.S. time zones"),
    ],
)
def test_bad_therapist_details_are_explained(cast, data, message) -> None:  # type: ignore[no-untyped-def]
    response = _post(cast, "owner", "practice:staff_details", cast.therapist, data)
    assert response.status_code == 400
    assert message in response.content.decode()
    cast.therapist.refresh_from_db()
    assert cast.therapist.licensed_states == ["NY", "NJ"]


def test_another_practices_staff_answer_404_and_change_nothing(cast) -> None:  # type: ignore[no-untyped-def]
    target = cast.other_therapist
    owner = cast.client_for("owner")
    assert owner.get(reverse("practice:staff_profile", args=[target.pk])).status_code == 404
    for name, data in [
        ("practice:staff_teletherapy", {"enabled": "0", "confirmed": "yes"}),
        ("practice:staff_roles", {"roles": ["biller"]}),
        ("practice:staff_deactivate", {"confirmed": "yes"}),
    ]:
        response = owner.post(reverse(name, args=[target.pk]), data)
        assert response.status_code == 404
        assert b"ZZSECRET" not in response.content
    target.refresh_from_db()
    assert target.teletherapy_enabled and target.roles == ["therapist"] and target.user.is_active


def test_deactivation_ends_every_session_and_stops_sign_in(cast) -> None:  # type: ignore[no-untyped-def]
    from teletherapy.test.personas import PASSWORD

    cast.therapist.user.set_password(PASSWORD)
    cast.therapist.user.save()
    laptop, phone = HttpClient(), HttpClient()
    for http in (laptop, phone):
        http.post(reverse("accounts:sign_in"), {"email": "tess@maple.test", "password": PASSWORD})
        assert http.get(reverse("practice:dashboard")).status_code == 200
    assert Session.objects.count() >= 2
    response = _post(cast, "manager", "practice:staff_deactivate", cast.therapist, YES)
    assert response.status_code == 302
    for http in (laptop, phone):
        response = http.get(reverse("practice:dashboard"))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("accounts:sign_in"))
    # Their sessions are gone from the store, not merely refused.
    assert not Session.objects.filter(session_key=laptop.session.session_key).exists()
    refused = HttpClient().post(
        reverse("accounts:sign_in"), {"email": "tess@maple.test", "password": PASSWORD}
    )
    assert refused.status_code == 200 and "_auth_user_id" not in refused.client.session
    assert (
        "Deactivated" in cast.client_for("owner").get(reverse("practice:settings")).content.decode()
    )

    _post(cast, "owner", "practice:staff_reactivate", cast.therapist)
    again = HttpClient()
    again.post(reverse("accounts:sign_in"), {"email": "tess@maple.test", "password": PASSWORD})
    assert again.get(reverse("practice:dashboard")).status_code == 200
    assert AuditEvent.objects.filter(action=Action.STAFF_DEACTIVATED).count() == 1
    assert AuditEvent.objects.filter(action=Action.STAFF_REACTIVATED).count() == 1


def test_deactivation_rules(cast) -> None:  # type: ignore[no-untyped-def]
    assert _post(cast, "manager", "practice:staff_deactivate", cast.owner, YES).status_code == 400
    assert _post(cast, "owner", "practice:staff_deactivate", cast.owner, YES).status_code == 400
    cast.owner.user.refresh_from_db()
    assert cast.owner.user.is_active


def test_staff_list_query_count_is_constant(cast, django_assert_max_num_queries) -> None:  # type: ignore[no-untyped-def]
    owner = cast.client_for("owner")
    owner.get(reverse("practice:settings"))
    with django_assert_max_num_queries(8):
        first = owner.get(reverse("practice:settings"))
    for i in range(10):
        make_staff(cast.practice, f"extra{i}@maple.test", f"Extra {i}", is_biller=True)
    with django_assert_max_num_queries(8):
        second = owner.get(reverse("practice:settings"))
    assert "Extra 9" in second.content.decode() and "Extra 9" not in first.content.decode()
    assert "ZZSECRET" not in second.content.decode()
