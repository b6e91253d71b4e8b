from __future__ import annotations

import re

import pytest
from django.core import mail
from django.urls import reverse

from teletherapy.audit.models import Action, AuditEvent
from teletherapy.practice.models import Practice, PracticeSignup, StaffMember
from teletherapy.practice.services import SIGNUPS_PER_EMAIL_PER_HOUR, SIGNUPS_PER_IP_PER_HOUR
from teletherapy.test.personas import make_staff

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


def test_home_offers_the_three_ways_in(client) -> None:  # type: ignore[no-untyped-def]
    page = client.get("/").content.decode()
    assert "Create your practice" in page and "Sign in" in page and "Client Portal" in page
    assert reverse("practice:create") in page


def _request(client, capture, data=GOOD):  # type: ignore[no-untyped-def]
    with capture(execute=True):
        response = client.post(reverse("practice:create"), data)
    assert response.status_code == 200
    return response


def _confirm(client, message):  # type: ignore[no-untyped-def]
    match = re.search(r"http://\S+(/create-practice/confirm/[A-Za-z0-9_-]+/)", message.body)
    assert match, message.body
    opened = client.get(match.group(1))
    assert opened.status_code == 302 and opened["Location"] == reverse("practice:create_confirm")
    page = client.get(opened["Location"])
    assert page.status_code == 200 and "Create Birch Therapy" in page.content.decode()
    return client.post(reverse("practice:create_confirm"), follow=True)


def test_create_practice_makes_an_owner_and_lands_on_the_dashboard(  # type: ignore[no-untyped-def]
    client, django_capture_on_commit_callbacks
) -> None:
    sent = _request(client, django_capture_on_commit_callbacks)
    assert "Check your inbox" in sent.content.decode()
    assert not Practice.objects.filter(name="Birch Therapy").exists()
    [message] = mail.outbox
    assert message.to == ["bea@birch.test"]
    response = _confirm(client, message)
    assert response.redirect_chain[-1][0] == reverse("practice:dashboard")
    assert "Welcome" in response.content.decode()
    practice = Practice.objects.get(name="Birch Therapy")
    owner = StaffMember.objects.get(practice=practice)
    assert (practice.state, practice.time_zone) == ("NJ", "America/New_York")
    assert owner.roles == ["owner"]
    assert owner.user.username == "bea@birch.test"
    assert owner.user.check_password(GOOD["password1"])
    assert response.context["user"] == owner.user
    assert PracticeSignup.objects.get().password_hash == ""
    assert AuditEvent.objects.filter(action=Action.PRACTICE_CREATED, practice=practice).count() == 1


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"state": "ZZ"}, "state", "Choose one of the U.S. states"),
        ({"time_zone": "Mars/Olympus"}, "time_zone", "Choose one of the U.S. time zones"),
        ({"password1": "short", "password2": "short"}, "password1", "at least 12 characters"),
        ({"password1": "password1234", "password2": "password1234"}, "password1", "too common"),
        ({"password2": "something else entirely"}, "password2", "don't match"),
        ({"practice_name": ""}, "practice_name", "required"),
    ],
)
def test_bad_input_is_explained_beside_the_field_and_kept(  # type: ignore[no-untyped-def]
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


def test_a_taken_email_gets_the_same_page_and_its_holder_a_note(  # type: ignore[no-untyped-def]
    client, cast, django_capture_on_commit_callbacks
) -> None:
    csrf = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')
    free = _request(client, django_capture_on_commit_callbacks).content.decode()
    taken = _request(
        client, django_capture_on_commit_callbacks, {**GOOD, "email": "Owner@Maple.test"}
    ).content.decode()
    # The same page, but for the address typed.
    assert csrf.sub("", free).replace("bea@birch.test", "X") == csrf.sub("", taken).replace(
        "owner@maple.test", "X"
    )
    assert "already has an account" not in taken
    note = mail.outbox[-1]
    assert note.to == ["owner@maple.test"] and "already has an account" in note.body
    assert "/create-practice/confirm/" not in note.body
    assert Practice.objects.filter(name="Birch Therapy").count() == 0
    assert PracticeSignup.objects.get(email="owner@maple.test").password_hash == ""
    assert StaffMember.objects.filter(user__username="owner@maple.test").count() == 1


def test_an_email_taken_before_the_link_is_opened_is_explained(  # type: ignore[no-untyped-def]
    client, cast, django_capture_on_commit_callbacks
) -> None:
    _request(client, django_capture_on_commit_callbacks)
    make_staff(cast.practice, "bea@birch.test", "Bea Elsewhere")
    response = _confirm(client, mail.outbox[0])
    assert response.status_code == 400
    assert "already been used" in response.content.decode()
    assert not Practice.objects.filter(name="Birch Therapy").exists()


def test_create_practice_is_rate_limited(client, cast, django_capture_on_commit_callbacks) -> None:  # type: ignore[no-untyped-def]
    for email in ("bea@birch.test", "owner@maple.test"):
        for _ in range(SIGNUPS_PER_EMAIL_PER_HOUR):
            _request(client, django_capture_on_commit_callbacks, {**GOOD, "email": email})
        refused = client.post(reverse("practice:create"), {**GOOD, "email": email})
        assert "Too many practices were requested" in refused.content.decode()
    # From one network address, at most SIGNUPS_PER_IP_PER_HOUR requests in all.
    for n in range(SIGNUPS_PER_IP_PER_HOUR):
        client.post(reverse("practice:create"), {**GOOD, "email": f"b{n}@birch.test"})
    assert PracticeSignup.objects.count() == SIGNUPS_PER_IP_PER_HOUR
