"""Join from the reminder without a password (a practice setting, off by default): the date of
birth, the 5-try limit, a sign-in for that one appointment only (its device check, Waiting
Room and call; every other portal and staff URL refused, and the signaling socket of any
other appointment), ending with the session. And the device check a day ahead."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.core import mail
from django.test import Client as HttpClient
from django.urls import reverse
from django.utils import timezone

from teletherapy.reminders.models import ReminderLink, ReminderSettings
from teletherapy.reminders.tasks import send_reminder_now
from teletherapy.reminders.tests.test_reminder_links import (
    START,
    _open,
    booked,  # noqa: F401 - a fixture
    send_first_reminder,
)
from teletherapy.scheduling.models import Appointment
from teletherapy.video.models import VideoSession

pytestmark = pytest.mark.django_db

WINDOW_OPEN = START - timedelta(minutes=10)


@pytest.fixture
def join_on(cast):
    ReminderSettings.objects.create(practice=cast.practice, join_link=True)


def _joined(booked, at=WINDOW_OPEN) -> HttpClient:  # noqa: F811
    paths = send_first_reminder(booked)
    http, page = _open(paths["join"], at)
    with time_machine.travel(at, tick=False):
        response = http.post(page, {"date_of_birth": "1990-05-17"})
    assert response.status_code == 302
    assert response["Location"] == reverse(
        "portal_video:check", kwargs={"appointment_id": booked.pk}
    )
    return http


def test_no_join_link_unless_the_practice_turns_it_on(cast, booked) -> None:  # noqa: F811
    assert "join" not in send_first_reminder(booked)


def test_date_of_birth_then_only_this_appointment(cast, join_on, booked) -> None:  # noqa: F811
    http = _joined(booked)
    with time_machine.travel(WINDOW_OPEN, tick=False):
        check = http.get(reverse("portal_video:check", kwargs={"appointment_id": booked.pk}))
        assert check.status_code == 200
        assert 'id="device-check"' in check.content.decode()
        assert http.get(reverse("reminders_portal:device_check")).status_code == 200
        ice = http.get(reverse("portal_video:ice", kwargs={"appointment_id": booked.pk}))
        assert ice.status_code == 200
        # Nothing else of the portal, no staff page, no other appointment.
        other = Appointment.objects.create(
            practice=cast.practice,
            therapist=cast.therapist,
            client=cast.client_with_portal,
            start=START - timedelta(minutes=5),
            end=START - timedelta(minutes=1),
            is_teletherapy=True,
        )
        for url in (
            reverse("portal:dashboard"),
            reverse("portal:details"),
            reverse("portal:password"),
            reverse("portal_video:ready"),
            reverse("portal_video:check", kwargs={"appointment_id": other.pk}),
            reverse("portal_video:room", kwargs={"appointment_id": other.pk}),
            reverse("practice:dashboard"),
            reverse("scheduling:my_schedule"),
            reverse("clients:list"),
        ):
            response = http.get(url)
            assert response.status_code == 403, url
        assert (
            "opens only your Teletherapy Session"
            in http.get(reverse("portal:dashboard")).content.decode()
        )


@pytest.mark.file_db
@pytest.mark.django_db(transaction=True)
async def test_the_socket_of_another_appointment_is_refused(cast, join_on, booked) -> None:  # noqa: F811
    from asgiref.sync import sync_to_async

    from config.asgi import application
    from teletherapy.test.sockets import WebsocketCommunicator

    http = await sync_to_async(_joined)(booked)
    cookie = http.cookies[settings.SESSION_COOKIE_NAME].value
    headers = [
        (b"origin", settings.SITE_URL.encode()),
        (b"cookie", f"sessionid={cookie}".encode()),
    ]

    async def close_code(appointment_id: int) -> int:
        ws = WebsocketCommunicator(application, f"/ws/sessions/{appointment_id}/", headers=headers)
        with time_machine.travel(WINDOW_OPEN, tick=True):
            connected, code = await ws.connect()
        if connected:
            await ws.disconnect()
            return 1000
        return int(code)

    # Another appointment: refused by the join scope (4403; the consumer alone says 4404).
    assert await close_code(cast.other_appointment.pk) == 4403
    # Its own appointment passes the scope: the consumer then asks where the client is first.
    assert await close_code(booked.pk) == 4428


def test_five_wrong_dates_of_birth_void_the_link(cast, join_on, booked) -> None:  # noqa: F811
    paths = send_first_reminder(booked)
    http, page = _open(paths["join"], WINDOW_OPEN)
    with time_machine.travel(WINDOW_OPEN, tick=False):
        for tries_left in (4, 3, 2, 1):
            response = http.post(page, {"date_of_birth": "1991-01-01"})
            assert response.status_code == 200
            assert f"{tries_left} tr" in response.content.decode()
        fifth = http.post(page, {"date_of_birth": "1991-01-01"})
        assert fifth.status_code == 400
        assert "no longer works" in fifth.content.decode()
        # Even the right date now: the link is void.
        right = http.post(page, {"date_of_birth": "1990-05-17"})
        assert right.status_code == 400
        assert http.get(reverse("portal:dashboard")).status_code == 302  # not signed in
    link = ReminderLink.objects.get(appointment=booked, kind="join")
    assert link.dob_failures == 5 and link.voided_at is not None


def test_it_ends_with_the_session(cast, join_on, booked) -> None:  # noqa: F811
    http = _joined(booked)
    check = reverse("portal_video:check", kwargs={"appointment_id": booked.pk})
    closes = booked.end + timedelta(minutes=settings.TELETHERAPY_GRACE_MINUTES)
    with time_machine.travel(closes, tick=False):
        assert http.get(check).status_code == 200
    with time_machine.travel(closes + timedelta(seconds=1), tick=False):
        response = http.get(check)
        assert response.status_code == 302
        assert response["Location"] == reverse("portal:sign_in")
        # Signed out: the portal asks for a sign-in again.
        assert http.get(reverse("portal:dashboard")).status_code == 302


def test_a_moment_with_nobody_there_does_not_sign_out_but_end_for_everyone_does(
    cast,
    join_on,
    booked,  # noqa: F811
) -> None:
    http = _joined(booked)
    check = reverse("portal_video:check", kwargs={"appointment_id": booked.pk})
    # Both people briefly gone (a reload, a server restart): the session is empty, not over.
    session = VideoSession.objects.create(appointment=booked, ended_at=WINDOW_OPEN)
    with time_machine.travel(WINDOW_OPEN, tick=False):
        assert http.get(check).status_code == 200
    session.closed_at = timezone.now()
    session.save(update_fields=["closed_at"])
    with time_machine.travel(WINDOW_OPEN, tick=False):
        response = http.get(check)
        assert response.status_code == 302
        assert response["Location"] == reverse("portal:sign_in")


def test_no_join_link_around_the_clients_two_step_sign_in(cast, join_on, booked) -> None:  # noqa: F811
    """A client who switched two-step sign-in on gets no join link (a date of birth is not
    the second step they chose); a link sent before they switched it on no longer signs in."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    paths = send_first_reminder(booked)
    assert "join" in paths
    TOTPDevice.objects.create(user=cast.client_with_portal.user, name="app", confirmed=True)
    http, page = _open(paths["join"], WINDOW_OPEN)
    with time_machine.travel(WINDOW_OPEN, tick=False):
        shown = http.get(page)
        assert shown.status_code == 400 and "two-step sign-in" in shown.content.decode()
        refused = http.post(page, {"date_of_birth": "1990-05-17"})
        assert refused.status_code == 400
        assert http.get(reverse("portal:dashboard")).status_code == 302  # not signed in
    later = booked.reminders.get(channel="email", label="2 hours")
    with time_machine.travel(later.send_at, tick=False):
        mail.outbox.clear()
        send_reminder_now(reminder_id=later.pk)
    assert "/r/join/" not in str(mail.outbox[0].body)
    assert "/r/confirm/" in str(mail.outbox[0].body)


def test_portal_sign_in_keeps_working(cast, join_on, booked) -> None:  # noqa: F811
    _joined(booked)
    http = cast.client_for("client")
    with time_machine.travel(WINDOW_OPEN, tick=False):
        assert http.get(reverse("portal:dashboard")).status_code == 200
        assert http.get(reverse("portal:details")).status_code in (200, 302)


def test_device_check_a_day_ahead(cast, booked) -> None:  # noqa: F811
    day_before = START - timedelta(days=1)
    client = cast.client_for("client")
    with time_machine.travel(day_before, tick=False):
        dashboard = client.get(reverse("portal:dashboard")).content.decode()
        assert "Test your camera and microphone now" in dashboard
        page = client.get(reverse("reminders_portal:device_check"))
        assert page.status_code == 200
        html = page.content.decode()
        assert 'id="device-check"' in html and "js/call/device-check.js" in html
        assert "camera=(self)" in page["Permissions-Policy"]
        # Nobody else's: a client with no upcoming Teletherapy Session is refused.
        other = cast.client_for("other_client")
        Appointment.objects.filter(client=cast.other_client).delete()
        assert other.get(reverse("reminders_portal:device_check")).status_code == 403
        assert "Test your camera" not in other.get(reverse("portal:dashboard")).content.decode()


def test_a_client_signed_in_in_full_keeps_the_full_sign_in(cast, join_on, booked) -> None:  # noqa: F811
    paths = send_first_reminder(booked)
    http = cast.client_for("client")
    with time_machine.travel(WINDOW_OPEN, tick=True):
        http.force_login(cast.client_with_portal.user)  # a fresh sign-in at this moment
        opened = http.get(paths["join"])
        page = http.get(opened["Location"])
        assert page.status_code == 302
        assert page["Location"] == reverse(
            "portal_video:check", kwargs={"appointment_id": booked.pk}
        )
        assert http.get(reverse("portal:dashboard")).status_code == 200
