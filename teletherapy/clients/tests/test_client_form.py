"""Add, edit and deactivate a client; bad input gets a plain message and saves nothing."""

from __future__ import annotations

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from teletherapy.audit.models import Action, AuditEvent
from teletherapy.clients.models import US_ONLY_REASON, Client, PortalInvitation

US_ONLY = escape(US_ONLY_REASON)


def _form(**overrides: str | list[str]) -> dict[str, str | list[str]]:
    data: dict[str, str | list[str]] = {
        "first_name": "Ada",
        "last_name": "Lovelace",
        "preferred_name": "",
        "date_of_birth": "1985-12-10",
        "email": "ada@example.com",
        "mobile_phone": "(512) 555-0100",
        "street": "12 Elm St",
        "city": "Austin",
        "state": "TX",
        "zip_code": "73301",
        "country": "United States",
        "time_zone": "",
        "emergency_name": "Byron",
        "emergency_phone": "512 555 0101",
        "emergency_relationship": "Father",
    }
    data.update(overrides)
    return data


def test_therapist_adds_a_client_and_is_assigned(cast) -> None:
    http = cast.client_for("therapist_plain")
    response = http.post(reverse("clients:add"), _form())
    client = Client.objects.get(last_name="Lovelace")
    assert response["Location"] == reverse("clients:detail", kwargs={"client_id": client.pk})
    assert client.practice == cast.practice
    assert list(client.therapists.all()) == [cast.therapist_plain]
    # The time zone follows the state when left on the default.
    assert client.time_zone == "America/Chicago"
    assert AuditEvent.objects.filter(
        action=Action.CLIENT_CREATED, object_id=str(client.pk)
    ).exists()
    page = http.get(response["Location"]).content.decode()
    assert "Client Portal Login" in page and "Send invite" in page
    assert US_ONLY not in page
    assert AuditEvent.objects.filter(action=Action.CLIENT_VIEWED, object_id=str(client.pk)).exists()


def test_scheduler_assigns_therapists_of_the_practice_only(cast) -> None:
    http = cast.client_for("scheduler")
    http.post(
        reverse("clients:add"),
        _form(therapists=[str(cast.therapist.pk)], time_zone="America/Denver"),
    )
    client = Client.objects.get(last_name="Lovelace")
    assert list(client.therapists.all()) == [cast.therapist]
    assert client.time_zone == "America/Denver"
    other = http.post(
        reverse("clients:add"), _form(last_name="Other", therapists=[str(cast.other_therapist.pk)])
    )
    assert (
        "Choose therapists of this practice" in other.content.decode()
        or "valid choice" in other.content.decode()
    )
    assert not Client.objects.filter(last_name="Other").exists()


def test_non_us_address_is_saved_but_teletherapy_is_refused_with_the_reason(cast) -> None:
    http = cast.client_for("owner")
    response = http.post(
        reverse("clients:add"),
        _form(state="", country="Canada", city="Toronto", zip_code="M5V", time_zone="UTC"),
    )
    client = Client.objects.get(last_name="Lovelace")
    assert client.country == "Canada" and client.state == ""
    assert not client.is_us_resident
    assert US_ONLY in http.get(response["Location"]).content.decode()


def test_bad_input_gets_plain_messages_and_keeps_what_was_typed(cast) -> None:
    http = cast.client_for("owner")
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    cases = {
        "state": (_form(state="ZZ"), "Choose a U.S. state, DC or territory from the list."),
        "date_of_birth": (
            _form(date_of_birth=tomorrow),
            "The date of birth can&#x27;t be in the future.",
        ),
        "email": (_form(email="not-an-email"), "Enter a valid email address."),
        "no state": (_form(state=""), "Choose the state, or enter the country"),
        "state abroad": (
            _form(country="Mexico"),
            "Leave the state blank for an address outside the U.S.",
        ),
        "time zone": (_form(time_zone="Mars/Olympus"), "Choose a time zone from the list."),
    }
    for name, (data, message) in cases.items():
        response = http.post(reverse("clients:add"), data)
        text = response.content.decode()
        assert response.status_code == 200, name
        assert message in text, name
        assert 'value="Lovelace"' in text and 'value="12 Elm St"' in text, name
    assert not Client.objects.filter(last_name="Lovelace").exists()
    assert not AuditEvent.objects.filter(action=Action.CLIENT_CREATED).exists()


def test_edit_saves_changes_and_keeps_input_on_error(cast) -> None:
    client = cast.client_with_portal
    http = cast.client_for("therapist")
    url = reverse("clients:edit", kwargs={"client_id": client.pk})
    data = _form(
        first_name="Casey",
        last_name="Client",
        email="casey.new@example.com",
        state="NY",
        time_zone="America/New_York",
    )
    bad = http.post(url, {**data, "state": "XX", "city": "Typed City"})
    assert "Choose a U.S. state" in bad.content.decode()
    assert 'value="Typed City"' in bad.content.decode()
    client.refresh_from_db()
    assert client.city == "Springfield"
    assert http.post(url, data).status_code == 302
    client.refresh_from_db()
    assert client.email == "casey.new@example.com" and client.city == "Austin"
    # A therapist editing does not drop the other assigned therapist.
    assert set(client.therapists.all()) == {cast.therapist, cast.therapist_plain}
    event = AuditEvent.objects.get(action=Action.CLIENT_UPDATED, object_id=str(client.pk))
    assert "email" in event.details["fields"]


def test_deactivate_voids_links_and_switches_the_portal_account_off(cast) -> None:
    client = cast.client_with_portal
    now = timezone.now()
    link = PortalInvitation.objects.create(
        client=client, kind="reset", token_hash="x" * 64, expires_at=now + timedelta(hours=1)
    )
    http = cast.client_for("manager")
    assert (
        http.post(
            reverse("clients:deactivate", kwargs={"client_id": client.pk}), {"confirmed": "yes"}
        ).status_code
        == 302
    )
    client.refresh_from_db()
    link.refresh_from_db()
    assert not client.is_active and not client.user.is_active
    assert link.voided_at is not None and link.void_reason == "The client was deactivated"
    assert AuditEvent.objects.filter(action=Action.CLIENT_DEACTIVATED).exists()
    assert cast.client_for("client").get(reverse("portal:dashboard")).status_code in (302, 403)
    http.post(reverse("clients:reactivate", kwargs={"client_id": client.pk}))
    client.refresh_from_db()
    assert client.is_active and client.user.is_active


def test_phones_are_stored_in_e164_and_shown_as_people_write_them(cast) -> None:  # type: ignore[no-untyped-def]
    http = cast.client_for("manager")
    http.post(reverse("clients:add"), _form(emergency_phone="+44 20 7946 0958"))
    client = Client.objects.get(last_name="Lovelace")
    assert (client.mobile_phone, client.emergency_phone) == ("+15125550100", "+442079460958")
    page = http.get(reverse("clients:detail", kwargs={"client_id": client.pk})).content.decode()
    assert "(512) 555-0100" in page and "+44 20 7946 0958" in page
    edit = http.get(reverse("clients:edit", kwargs={"client_id": client.pk})).content.decode()
    assert 'value="(512) 555-0100"' in edit


def test_bad_phone_and_zip_are_explained_and_nothing_is_saved(cast) -> None:  # type: ignore[no-untyped-def]
    http = cast.client_for("manager")
    page = http.post(
        reverse("clients:add"), _form(mobile_phone="555-0100", zip_code="7330")
    ).content.decode()
    assert "Enter a phone number with its area code, such as (212) 555-0100." in page
    assert "Enter a ZIP code of 5 digits, or 9 as 12345-6789." in page
    assert 'value="555-0100"' in page
    assert not Client.objects.filter(last_name="Lovelace").exists()


def test_nine_digit_zip_is_kept_with_its_dash(cast) -> None:  # type: ignore[no-untyped-def]
    http = cast.client_for("manager")
    http.post(reverse("clients:add"), _form(zip_code="733011234"))
    assert Client.objects.get(last_name="Lovelace").zip_code == "73301-1234"


def test_a_new_clients_state_agrees_with_the_country_and_required_fields_are_marked(cast) -> None:  # type: ignore[no-untyped-def]
    page = cast.client_for("manager").get(reverse("clients:add")).content.decode()
    assert '<option value="NY" selected>' in page  # the practice's state, with United States
    assert 'First name <span class="required">(required)</span>' in page
    assert 'Preferred name <span class="required">' not in page
