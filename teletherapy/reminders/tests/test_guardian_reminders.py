"""Reminders of a minor's session go to whoever joins it (Appointment.told): each guardian
their own, in their own zone, with their own links, naming the minor only to them, through
the real SMTP server; nothing for a minor without a login or email; a guardian removed from
the minor has their planned reminders withdrawn at once."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine

from teletherapy.reminders.models import Reminder, ReminderLink
from teletherapy.reminders.tests.test_group_reminders import START, T0, _send
from teletherapy.scheduling import services as scheduling
from teletherapy.test.personas import make_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def family(cast, smtp_server, django_capture_on_commit_callbacks):
    gail = make_client(
        cast.practice, "Gail", "Guardian", username="gail", time_zone="America/Chicago"
    )
    greg = make_client(
        cast.practice, "Greg", "Guardian", username="greg", time_zone="America/Los_Angeles"
    )
    mina = make_client(
        cast.practice, "Mina", "Minor", therapists=[cast.therapist], is_minor=True, email=""
    )
    mina.guardians.add(gail, greg)
    with time_machine.travel(T0, tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            appointment = scheduling.book_appointment(
                therapist=cast.therapist,
                client=mina,
                start=START,
                is_teletherapy=True,
                staff_note="ZZNOTE school trouble",
                by=cast.therapist,
            )
    smtp_server.messages.clear()
    return appointment, mina, gail, greg


def test_each_guardian_gets_their_own_reminders_and_the_minor_none(
    cast, family, smtp_server
) -> None:
    appointment, mina, gail, greg = family
    planned = appointment.reminders.filter(status=Reminder.Status.PLANNED, channel="email")
    assert sorted(planned.values_list("client_id", "label")) == sorted(
        [(gail.pk, "2 days"), (gail.pk, "2 hours"), (greg.pk, "2 days"), (greg.pk, "2 hours")]
    )
    assert not appointment.reminders.filter(client=mina).exists()

    gail_body, gail_links = _send(
        planned.get(client=gail, label="2 days"), smtp_server, "gail.guardian@example.com"
    )
    greg_body, greg_links = _send(
        planned.get(client=greg, label="2 days"), smtp_server, "greg.guardian@example.com"
    )
    assert "Thursday March 5, 2026, 9:00 AM CST" in gail_body
    assert "Thursday March 5, 2026, 7:00 AM PST" in greg_body
    for body, other in ((gail_body, "Greg"), (greg_body, "Gail")):
        assert "Hello " in body and "reminder of Mina Minor's Teletherapy Session" in body
        assert other not in body
    assert set(gail_links) == set(greg_links) == {"confirm", "cancel"}
    assert gail_links["confirm"] != greg_links["confirm"]
    links = ReminderLink.objects.filter(appointment=appointment, kind="cancel")
    assert {link.reminder.client_id for link in links} == {gail.pk, greg.pk}


def test_a_removed_guardians_reminders_are_withdrawn_at_once(
    cast, family, django_capture_on_commit_callbacks
) -> None:
    appointment, mina, gail, greg = family
    with time_machine.travel(T0 + timedelta(hours=1), tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            mina.guardians.remove(greg)
    greg_reminders = appointment.reminders.filter(client=greg)
    assert greg_reminders.count() == 2
    assert set(greg_reminders.values_list("status", "note")) == {
        (Reminder.Status.WITHDRAWN, "No longer told of this appointment")
    }
    assert appointment.reminders.filter(client=gail, status=Reminder.Status.PLANNED).count() == 2

    # Added back: planned again, at the same times, without touching Gail's.
    with time_machine.travel(T0 + timedelta(hours=2), tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            greg.wards.add(mina)
    assert appointment.reminders.filter(client=greg, status=Reminder.Status.PLANNED).count() == 2
    assert appointment.reminders.filter(client=gail).count() == 2
