"""A minor's guardian on their own portal: the ward's sessions on the Dashboard and in the
prompts from 15 minutes before, joining as themselves (device check, location, Waiting Room),
losing all of it the moment they are removed; and what each of them does not see."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from teletherapy.clients import services
from teletherapy.test.personas import make_client
from teletherapy.video.models import VideoSession
from teletherapy.video.services import join_call, leave_call
from teletherapy.video.tests.conftest import make_tele_appointment

pytestmark = pytest.mark.django_db


@pytest.fixture
def family(cast):
    parent = make_client(
        cast.practice,
        "Gail",
        "Guardian",
        therapists=[cast.therapist],
        username="gail",
        email="gail.private@example.com",
        street="7 Secret Lane",
    )
    minor = make_client(
        cast.practice,
        "Mina",
        "Minor",
        therapists=[cast.therapist],
        is_minor=True,
        email="mina.private@example.com",
        street="9 Hidden Road",
    )
    minor.guardians.add(parent)
    start = (timezone.now() + timedelta(days=1)).replace(second=0, microsecond=0)
    call = make_tele_appointment(cast, client=minor, start=start)
    return parent, minor, call


def _as(client):
    from django.test import Client as HttpClient

    http = HttpClient()
    http.force_login(client.user, backend="django.contrib.auth.backends.ModelBackend")
    return http


def _url(name: str, call) -> str:
    return reverse(name, kwargs={"appointment_id": call.pk})


def test_the_dashboard_lists_the_wards_sessions_and_nothing_else(cast, family) -> None:
    parent, _minor, _call = family
    page = _as(parent).get(reverse("portal:dashboard")).content.decode()
    assert "Mina Minor's session with Tess Therapist" in page
    # The ward's record stays with the practice; nobody else's appointment shows.
    assert "mina.private" not in page and "Hidden Road" not in page
    assert "Casey" not in page and "ZZSECRET" not in page
    assert page.count("<tr>") == 1 + 1


def test_prompted_from_15_minutes_before_and_joins_as_themselves(cast, family) -> None:
    parent, minor, call = family
    with time_machine.travel(call.start - timedelta(minutes=15, seconds=1), tick=False):
        http = _as(parent)
        page = http.get(reverse("portal:dashboard")).content.decode()
        assert "Mina Minor&#x27;s Teletherapy session with Tess Therapist is at" in page
        assert _url("portal_video:check", call) not in page
        assert http.get(_url("portal_video:check", call)).status_code == 403
    with time_machine.travel(call.start - timedelta(minutes=15), tick=False):
        http = _as(parent)
        page = http.get(reverse("portal:dashboard")).content.decode()
        assert "Mina Minor&#x27;s Teletherapy session with Tess Therapist at" in page
        assert "is ready" in page and _url("portal_video:check", call) in page
        check = http.get(_url("portal_video:check", call)).content.decode()
        assert "Mina Minor&#x27;s Teletherapy session with" in check
        assert "Allow camera and microphone" in check
        # The guardian says where they are, as themselves.
        response = http.post(_url("portal_video:check", call), {"location": "NJ"})
        assert response.status_code == 302 and response["Location"] == _url(
            "portal_video:room", call
        )
        assert VideoSession.objects.get(appointment=call).client_location == "NJ"
        room = http.get(_url("portal_video:room", call))
        assert room.status_code == 200
        assert '<dd class="session-for">Mina Minor</dd>' in room.content.decode()
        # The prompts the Dashboard polls say the same.
        html = http.get(reverse("portal_video:ready"), HTTP_X_BACKGROUND="1").json()["html"]
        assert "Mina Minor&#x27;s Teletherapy session" in html and "Join session" in html


def test_the_therapist_sees_the_guardian_named_as_such(cast, family) -> None:
    parent, _minor, call = family
    VideoSession.objects.create(appointment=call, client_location="NJ")
    joined = join_call(appointment=call, user=parent.user, role="client", channel_name="x")
    leave_call(participation_id=joined.participation.pk)
    history = (
        cast.client_for("therapist")
        .get(reverse("scheduling:appointment_history", kwargs={"appointment_id": call.pk}))
        .content.decode()
    )
    assert "Gail Guardian (guardian of Mina Minor)" in history
    details = (
        cast.client_for("therapist")
        .get(reverse("scheduling:appointment", kwargs={"appointment_id": call.pk}))
        .content.decode()
    )
    assert "Joining for the minor" in details
    assert "Gail Guardian (guardian of Mina Minor)" in details


@pytest.mark.parametrize("how", ["removed", "unticked", "guardian_deactivated", "ward_inactive"])
def test_access_goes_at_once(cast, family, how) -> None:
    parent, minor, call = family
    with time_machine.travel(call.start - timedelta(minutes=5), tick=False):
        http = _as(parent)
        assert http.get(_url("portal_video:check", call)).status_code == 200
        if how == "removed":
            services.update_client(client=minor, by=cast.manager, fields={}, guardians=[])
        elif how == "unticked":
            services.update_client(client=minor, by=cast.manager, fields={"is_minor": False})
        elif how == "guardian_deactivated":
            services.set_client_active(client=parent, by=cast.manager, active=False)
        else:
            services.set_client_active(client=minor, by=cast.manager, active=False)
        expected = 403 if how == "guardian_deactivated" else 404
        for name in ("portal_video:check", "portal_video:room", "portal_video:ice"):
            assert http.get(_url(name, call)).status_code in (expected, 302), name
        assert http.get(_url("portal_video:check", call)).status_code in (expected, 302)
        dashboard = http.get(reverse("portal:dashboard"))
        if how == "guardian_deactivated":
            assert dashboard.status_code in (302, 403)
        else:
            page = dashboard.content.decode()
            assert "Mina Minor" not in page and "Join session" not in page


def test_the_minors_own_portal_does_not_show_the_guardian(cast, family) -> None:
    parent, minor, call = family
    teen = make_client(
        cast.practice, "Tia", "Teen", username="tia", is_minor=True, minor_may_sign_in=True
    )
    teen.guardians.add(parent)
    make_tele_appointment(cast, client=teen, start=call.start + timedelta(days=1))
    page = _as(teen).get(reverse("portal:dashboard")).content.decode()
    assert "With Tess Therapist" in page
    assert "Gail" not in page and "gail.private" not in page and "Secret Lane" not in page
    # And the guardian sees both wards' sessions, each named.
    page = _as(parent).get(reverse("portal:dashboard")).content.decode()
    assert "Mina Minor's session" in page and "Tia Teen's session" in page


def test_a_guardian_sees_no_other_clients_record(cast, family) -> None:
    parent, _minor, _call = family
    http = _as(parent)
    # Staff pages, the other client's session: refused, as for any client.
    assert http.get(reverse("clients:list")).status_code == 403
    assert http.get(_url("portal_video:check", cast.tele_appointment)).status_code == 404
    assert http.get(_url("portal_video:check", cast.other_appointment)).status_code == 404
