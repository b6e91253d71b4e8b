"""A client marked as a minor with guardians: the form's messages for each bad input (nothing
typed lost), the services' audit rows and History, and the minor's own login as the practice
chooses (off by default)."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from teletherapy.accounts.models import User
from teletherapy.audit.models import Action, AuditEvent
from teletherapy.clients import services
from teletherapy.clients.models import Client
from teletherapy.clients.tests.test_client_form import _form
from teletherapy.test.personas import make_client


def _family(cast):
    parent = make_client(
        cast.practice, "Gail", "Guardian", therapists=[cast.therapist], username="gail"
    )
    minor = make_client(
        cast.practice,
        "Mina",
        "Minor",
        therapists=[cast.therapist],
        is_minor=True,
        email="mina@example.com",
    )
    return parent, minor


def _edit_data(client: Client, **overrides):
    data = _form(
        first_name=client.first_name,
        last_name=client.last_name,
        date_of_birth=client.date_of_birth.isoformat(),
        email=client.email,
        state="NY",
        zip_code="10001",
        city="Springfield",
        street="1 Main St",
        time_zone="America/New_York",
        **overrides,
    )
    return data


def test_manager_adds_a_minor_with_two_guardians(cast) -> None:
    parent, _minor = _family(cast)
    other_parent = make_client(cast.practice, "Glen", "Guardian", username="glen")
    http = cast.client_for("manager")
    form = http.get(reverse("clients:add")).content.decode()
    assert "This client is a minor" in form and 'for="id_guardians"' in form
    assert "Guardian 2" in form and "Gail Guardian" in form
    # Minors and other practices' clients are not offered.
    assert "Mina Minor" not in form and "ZZSECRET" not in form

    response = http.post(
        reverse("clients:add"),
        _form(
            first_name="Kit",
            last_name="Kid",
            date_of_birth="2014-03-02",
            is_minor="on",
            guardians=[str(parent.pk), "", str(other_parent.pk)],
        ),
    )
    kid = Client.objects.get(last_name="Kid")
    assert response.status_code == 302
    assert kid.is_minor and not kid.minor_may_sign_in
    assert set(kid.guardians.all()) == {parent, other_parent}
    added = AuditEvent.objects.filter(action=Action.GUARDIAN_ADDED, object_id=str(kid.pk))
    assert sorted(e.details["guardian"] for e in added) == ["Gail Guardian", "Glen Guardian"]

    page = http.get(response["Location"]).content.decode()
    assert "Guardians" in page and "Gail Guardian" in page and "Glen Guardian" in page
    assert "History" in page and "Gail Guardian added as a guardian by Mark Manager" in page
    # The minor has no login of their own unless the practice ticks it: no invite offered.
    assert 'id="minor-no-login"' in page
    assert reverse("clients:send_portal_invite", kwargs={"client_id": kid.pk}) not in page
    # The guardian's record says whose guardian they are.
    guardian_page = http.get(reverse("clients:detail", kwargs={"client_id": parent.pk}))
    assert "Guardian of" in guardian_page.content.decode()


@pytest.mark.parametrize(
    "case, message",
    [
        ("other_practice", "Not found: choose guardians from this practice&#x27;s clients."),
        ("self", "A client can&#x27;t be their own guardian."),
        ("minor", "Mo Minor is marked as a minor; a guardian must be an adult client."),
        ("duplicate", "Gail Guardian is chosen more than once."),
        ("not_a_number", "Not found: choose guardians from this practice&#x27;s clients."),
        ("not_minor", "Tick &quot;This client is a minor&quot; to give them guardians."),
    ],
)
def test_each_bad_guardian_gets_a_message_and_keeps_what_was_typed(cast, case, message) -> None:
    parent, minor = _family(cast)
    other_minor = make_client(cast.practice, "Mo", "Minor", is_minor=True)
    chosen = {
        "other_practice": [str(cast.other_client.pk)],
        "self": [str(minor.pk)],
        "minor": [str(other_minor.pk)],
        "duplicate": [str(parent.pk), str(parent.pk)],
        "not_a_number": ["9" * 30],
    }.get(case, [str(parent.pk)])
    extra = {} if case == "not_minor" else {"is_minor": "on"}
    http = cast.client_for("manager")
    url = reverse("clients:edit", kwargs={"client_id": minor.pk})
    if case == "not_minor":
        minor.is_minor = False
        minor.save(update_fields=["is_minor"])
    response = http.post(url, _edit_data(minor, guardians=chosen, preferred_name="Mimi", **extra))
    assert response.status_code == 200
    page = response.content.decode()
    assert message in page, page[page.find("minor-guardians") :][:2000]
    assert 'id="id_guardians-errors"' in page
    # Nothing typed is lost: the other fields and the choices come back as sent.
    assert 'value="Mimi"' in page
    if case in ("duplicate", "minor"):
        assert page.count(f'value="{chosen[-1]}" selected') >= 1
    minor.refresh_from_db()
    assert minor.preferred_name == "" and not minor.guardians.exists()
    assert not AuditEvent.objects.filter(action=Action.GUARDIAN_ADDED).exists()


def test_a_guardian_cannot_be_marked_a_minor(cast) -> None:
    parent, minor = _family(cast)
    minor.guardians.add(parent)
    http = cast.client_for("manager")
    response = http.post(
        reverse("clients:edit", kwargs={"client_id": parent.pk}),
        _edit_data(parent, is_minor="on"),
    )
    assert response.status_code == 200
    assert "a guardian can&#x27;t be marked as a minor" in response.content.decode()
    parent.refresh_from_db()
    assert not parent.is_minor


def test_removing_and_unticking_write_history(cast) -> None:
    parent, minor = _family(cast)
    glen = make_client(cast.practice, "Glen", "Guardian", therapists=[cast.therapist])
    services.update_client(
        client=minor, by=cast.manager, fields={}, guardians=[parent, glen], request=None
    )
    services.update_client(client=minor, by=cast.manager, fields={}, guardians=[glen])
    assert list(minor.guardians.all()) == [glen]
    removed = AuditEvent.objects.get(action=Action.GUARDIAN_REMOVED, object_id=str(minor.pk))
    assert removed.details == {"guardian_id": parent.pk, "guardian": "Gail Guardian"}

    # Un-ticking "minor" removes the guardians, each with its row.
    services.update_client(client=minor, by=cast.manager, fields={"is_minor": False})
    assert not minor.guardians.exists()
    assert AuditEvent.objects.filter(action=Action.GUARDIAN_REMOVED).count() == 2
    page = cast.client_for("manager").get(reverse("clients:detail", kwargs={"client_id": minor.pk}))
    assert "Glen Guardian removed as a guardian" in page.content.decode()


def test_services_refuse_what_the_form_refuses(cast) -> None:
    parent, minor = _family(cast)
    with pytest.raises(services.GuardianError):
        services.update_client(
            client=minor, by=cast.manager, fields={}, guardians=[cast.other_client]
        )
    with pytest.raises(services.GuardianError):
        services.update_client(client=minor, by=cast.manager, fields={}, guardians=[minor])
    with pytest.raises(PermissionDenied):
        services.update_client(client=minor, by=cast.other_owner, fields={}, guardians=[parent])
    assert not minor.guardians.exists()


def test_a_therapist_keeps_guardians_they_cannot_see(cast) -> None:
    parent, minor = _family(cast)
    hidden = make_client(cast.practice, "Hal", "Hidden")  # assigned to no one
    minor.guardians.add(parent, hidden)
    http = cast.client_for("therapist")
    form = http.get(reverse("clients:edit", kwargs={"client_id": minor.pk})).content.decode()
    assert "Hal Hidden" not in form
    response = http.post(
        reverse("clients:edit", kwargs={"client_id": minor.pk}),
        _edit_data(minor, is_minor="on", guardians=[]),
    )
    assert response.status_code == 302
    assert list(minor.guardians.all()) == [hidden]


def test_the_minors_own_login_follows_the_practices_choice(cast) -> None:
    parent, minor = _family(cast)
    with pytest.raises(services.PortalLinkError, match="minor without a login"):
        services.send_portal_invite(client=minor, by=cast.manager)
    services.update_client(client=minor, by=cast.manager, fields={"minor_may_sign_in": True})
    assert services.send_portal_invite(client=minor, by=cast.manager).pk
    page = cast.client_for("manager").get(reverse("clients:detail", kwargs={"client_id": minor.pk}))
    assert "may sign in to the Client Portal" in page.content.decode()

    # With a login, un-ticking switches it off (the guardian keeps theirs); ticking, back on.
    teen = make_client(
        cast.practice, "Tia", "Teen", username="tia", is_minor=True, minor_may_sign_in=True
    )
    services.update_client(client=teen, by=cast.manager, fields={"minor_may_sign_in": False})
    assert not User.objects.get(client=teen).is_active
    services.update_client(client=teen, by=cast.manager, fields={"minor_may_sign_in": True})
    assert User.objects.get(client=teen).is_active
    assert User.objects.get(client=parent).is_active
