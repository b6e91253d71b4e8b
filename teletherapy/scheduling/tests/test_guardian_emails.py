"""A minor's appointment emails and .ics go to whoever joins it (Appointment.told): each
active guardian their own, in their own zone, with one ATTENDEE (themself), naming the minor
only to them; the minor only when they may sign in and have an email. Through the real SMTP
server."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from teletherapy.scheduling import series as series_services
from teletherapy.scheduling import services
from teletherapy.scheduling.tests.test_group_appointments import START, _attendees, _ics, book
from teletherapy.test.browser import text_of
from teletherapy.test.personas import make_client

pytestmark = pytest.mark.django_db

GAIL = "gail.guardian@example.com"
GREG = "greg.guardian@example.com"


@pytest.fixture
def family(fcast):
    """Mina Minor (no email, no login) and her two guardians, in Chicago and Los Angeles."""
    gail = make_client(
        fcast.practice, "Gail", "Guardian", username="gail", time_zone="America/Chicago"
    )
    greg = make_client(
        fcast.practice, "Greg", "Guardian", username="greg", time_zone="America/Los_Angeles"
    )
    mina = make_client(
        fcast.practice, "Mina", "Minor", therapists=[fcast.therapist], is_minor=True, email=""
    )
    mina.guardians.add(gail, greg)
    return mina, gail, greg


def test_booking_emails_each_guardian_their_own_invitation_in_their_own_zone(
    fcast, family, smtp_server, django_capture_on_commit_callbacks
) -> None:
    mina, gail, greg = family
    with django_capture_on_commit_callbacks(execute=True):
        appointment = book(fcast, client=mina, staff_note="ZZNOTE school trouble")
    assert [p.pk for p in appointment.told()] == [gail.pk, greg.pk]
    gail_mail = smtp_server.wait_for(to=GAIL)
    greg_mail = smtp_server.wait_for(to=GREG)
    assert len(smtp_server.messages) == 2  # nothing for Mina: no email, no login
    assert "Wednesday November 25, 2026, 9:00 AM CST" in str(gail_mail["Subject"])
    assert "Wednesday November 25, 2026, 7:00 AM PST" in str(greg_mail["Subject"])
    therapist = fcast.therapist.name
    for message, me, other, zone in (
        (gail_mail, GAIL, GREG, "(America/Chicago)"),
        (greg_mail, GREG, GAIL, "(America/Los Angeles)"),
    ):
        body = text_of(message)
        assert f"Mina Minor's Teletherapy Session with {therapist}" in body
        assert "Mina Minor's" in str(message["Subject"])
        assert zone in body
        assert [str(a) for a in _attendees(next(iter(_ics(message).walk("VEVENT"))))] == [
            f"mailto:{me}"
        ]
        everything = message.as_string()
        for secret in (other, other.split(".")[0].title(), "ZZNOTE", "school", "90834"):
            assert secret not in everything, secret


def test_a_minor_who_may_sign_in_is_told_too_and_a_fellow_client_never_sees_the_minor(
    fcast, family, smtp_server, django_capture_on_commit_callbacks
) -> None:
    mina, gail, greg = family
    mina.minor_may_sign_in = True
    mina.email = "mina@example.com"
    mina.save()
    dad = make_client(fcast.practice, "Dan", "Dad", therapists=[fcast.therapist])
    with django_capture_on_commit_callbacks(execute=True):
        book(fcast, mina, client=dad, service="90847")
    for address in ("mina@example.com", GAIL, GREG, "dan.dad@example.com"):
        smtp_server.wait_for(to=address)
    assert len(smtp_server.messages) == 4
    # Dan is a client himself: his email names no one; Mina's own says "you".
    dan = text_of(smtp_server.wait_for(to="dan.dad@example.com"))
    assert "Mina" not in dan and "Guardian" not in dan
    assert "Mina Minor's" not in text_of(smtp_server.wait_for(to="mina@example.com"))
    assert "Mina Minor's" in text_of(smtp_server.wait_for(to=GAIL))


def test_a_removed_guardian_is_no_longer_told_and_cancelling_tells_each_one_left(
    fcast, family, smtp_server, django_capture_on_commit_callbacks
) -> None:
    mina, gail, greg = family
    with django_capture_on_commit_callbacks(execute=True):
        appointment = book(fcast, client=mina)
    mina.guardians.remove(greg)
    smtp_server.messages.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.change_appointment(
            appointment=appointment, by=fcast.therapist, start=START + timedelta(hours=1)
        )
    changed = smtp_server.wait_for(to=GAIL)
    assert "Mina Minor's appointment has changed" in str(changed["Subject"])
    assert len(smtp_server.messages) == 1
    with django_capture_on_commit_callbacks(execute=True):
        services.cancel_appointment(appointment=appointment, by=fcast.therapist, reason="Ill")
    cancelled = smtp_server.wait_for(to=GAIL, count=2)
    assert _ics(cancelled)["METHOD"] == "CANCEL"
    assert "cancelled Mina Minor's Teletherapy Session" in text_of(cancelled)
    assert not any(GREG in str(m["To"]) for m in smtp_server.messages)


def test_taking_the_minor_off_a_series_tells_her_guardians_they_are_off_it(
    fcast, family, smtp_server, django_capture_on_commit_callbacks
) -> None:
    mina, gail, greg = family
    dad = make_client(fcast.practice, "Dan", "Dad", therapists=[fcast.therapist])
    with django_capture_on_commit_callbacks(execute=True):
        series = series_services.book_series(
            therapist=fcast.therapist,
            client=mina,
            additional_clients=[dad],
            first_day=START.date(),
            at=datetime(2026, 1, 1, 10, 0).time(),
            repeats="weekly",
            count=3,
            is_teletherapy=True,
            by=fcast.therapist,
        )
    for address in (GAIL, GREG, "dan.dad@example.com"):
        assert "3 appointments in this series" in text_of(smtp_server.wait_for(to=address))
    first = series.occurrences.order_by("start")[0]
    with django_capture_on_commit_callbacks(execute=True):
        series_services.change_series(
            appointment=first, scope=series_services.ALL, by=fcast.therapist, clients=[dad]
        )
    for address in (GAIL, GREG):
        removed = smtp_server.wait_for(to=address, count=2)
        assert "no longer booked" in str(removed["Subject"])
        assert _ics(removed)["METHOD"] == "CANCEL"
