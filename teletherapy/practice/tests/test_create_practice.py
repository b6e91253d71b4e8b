from __future__ import annotations

import pytest
from django.urls import reverse

from teletherapy.audit.models import Action, AuditEvent
from teletherapy.practice.models import Practice, StaffMember

GOOD = {
    "practice_name": "Birch Therapy",
    "state": "NJ",
    "time_zone": "America/New_York",
    "owner_name": "Bea Birch",
    "email": "Bea@Birch.test",
    "password1": "plum tractor window 81",
    "password2": "plum tractor window 81",
}

pytestmark = pytest.mark.django_db


def test_home_offers_the_three_ways_in(client) -> None:
    page = client.get("/").content.decode()
    assert "Create your practice" in page and "Sign in" in page and "Client Portal" in page
    assert reverse("practice:create") in page


def test_create_practice_makes_an_owner_and_lands_on_the_dashboard(client) -> None:
    response = client.post(reverse("practice:create"), GOOD, follow=True)
    assert response.redirect_chain[-1][0] == reverse("practice:dashboard")
    assert "Welcome" in response.content.decode()
    practice = Practice.objects.get(name="Birch Therapy")
    owner = StaffMember.objects.get(practice=practice)
    assert (practice.state, practice.time_zone) == ("NJ", "America/New_York")
    assert owner.roles == ["owner"]
    assert owner.user.username == "bea@birch.test"
    assert owner.user.check_password(GOOD["password1"])
    assert response.context["user"] == owner.user
    assert AuditEvent.objects.filter(action=Action.PRACTICE_CREATED, practice=practice).count() == 1


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"state": "ZZ"}, "state", "Choose one of the U.S. states"),
        ({"time_zone": "Mars/Olympus"}, "time_zone", "Choose one of the U.S. time zones"),
        ({"password1": "short", "password2": "short"}, "password1", "at least 12 characters"),
        ({"password1": "password1234", "password2": "password1234"}, "password1", "too common"),
        ({"password2": "something else entirely"}, "password2", "don't match"),
        ({"email": "owner@maple.test"}, "email", "already has an account"),
        ({"practice_name": ""}, "practice_name", "required"),
    ],
)
def test_bad_input_is_explained_beside_the_field_and_kept(
    client, cast, change, field, message
) -> None:
    data = {**GOOD, **change}
    response = client.post(reverse("practice:create"), data)
    assert response.status_code == 200
    form = response.context["form"]
    assert any(message in error for error in form.errors[field]), form.errors
    page = response.content.decode()
    assert 'value="Bea Birch"' in page  # what was typed stays
    assert not Practice.objects.filter(name="Birch Therapy").exists()
    assert not AuditEvent.objects.filter(action=Action.PRACTICE_CREATED).exists()


def test_an_email_taken_at_the_last_moment_is_explained(client, cast, monkeypatch) -> None:
    from teletherapy.practice import forms

    # The form's own check passes, as if another request took the address just after it.
    monkeypatch.setattr(forms, "_clean_new_email", lambda value: value.strip().lower())
    response = client.post(reverse("practice:create"), {**GOOD, "email": "owner@maple.test"})
    assert response.status_code == 200
    assert "already has an account" in response.context["form"].errors["email"][0]
    assert not Practice.objects.filter(name="Birch Therapy").exists()
