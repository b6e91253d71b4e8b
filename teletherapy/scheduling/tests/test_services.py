"""The booking rules the server enforces, whatever the page sends."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail
from django.core.exceptions import ValidationError

from teletherapy.audit.models import Action, AuditEvent
from teletherapy.scheduling import services
from teletherapy.scheduling.models import Appointment, AppointmentChange
from teletherapy.test.personas import make_client

from .conftest import NOW

# Wednesday November 25, 2026, 10:00 AM EST (the cast has appointments on Tuesday).
SLOT = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)


def book(cast, **overrides):
    args = {
        "therapist": cast.therapist,
        "client": cast.client_with_portal,
        "start": SLOT,
        "duration_minutes": 50,
        "by": cast.therapist,
    }
    args.update(overrides)
    return services.book_appointment(**args)


def errors_of(excinfo: pytest.ExceptionInfo[ValidationError]) -> dict[str, list[str]]:
    return excinfo.value.message_dict


def test_booking_writes_history_and_audit(fcast) -> None:
    appointment = book(fcast, staff_note="Prefers mornings")
    assert appointment.end == SLOT + timedelta(minutes=50)
    assert appointment.practice == fcast.practice
    assert appointment.status == Appointment.Status.SCHEDULED
    assert [c.summary for c in appointment.changes.all()] == ["Booked"]
    event = AuditEvent.objects.get(action=Action.APPOINTMENT_CREATED)
    assert event.object_id == str(appointment.pk)
    assert event.actor == fcast.therapist.user
    assert event.practice == fcast.practice
    assert mail.outbox == []  # an office appointment sends no email


def test_overlap_is_refused_and_names_the_other_appointment(fcast) -> None:
    book(fcast)
    with pytest.raises(ValidationError) as excinfo:
        book(fcast, client=fcast.client_without_portal, start=SLOT + timedelta(minutes=49))
    message = errors_of(excinfo)["start"][0]
    assert "Casey Client" in message
    assert "Wednesday November 25" in message
    assert "10:00 AM–10:50 AM EST" in message
    assert Appointment.objects.filter(client=fcast.client_without_portal).count() == 1  # persona's


def _scheduled_on_slot_day(therapist) -> list[tuple[datetime, datetime, int]]:
    return list(
        Appointment.objects.filter(
            therapist=therapist, start__date=SLOT.date(), status=Appointment.Status.SCHEDULED
        )
        .order_by("start")
        .values_list("start", "end", "client_id")
    )


def test_back_to_back_and_cancelled_do_not_collide(fcast) -> None:
    first = book(fcast)
    after = book(fcast, start=SLOT + timedelta(minutes=50))  # starts as the first ends
    before = book(fcast, start=SLOT - timedelta(minutes=15), duration_minutes=15)  # ends at start
    assert (before.end, after.start) == (first.start, first.end)
    cancelled = services.cancel_appointment(appointment=first, by=fcast.owner, reason="Client ill")
    assert cancelled.status == Appointment.Status.CANCELLED
    again = book(fcast, client=fcast.client_without_portal)  # the cancelled slot is free again
    assert again.status == Appointment.Status.SCHEDULED and again.pk != first.pk
    casey, nora = fcast.client_with_portal.pk, fcast.client_without_portal.pk
    assert _scheduled_on_slot_day(fcast.therapist) == [
        (SLOT - timedelta(minutes=15), SLOT, casey),
        (SLOT, SLOT + timedelta(minutes=50), nora),
        (SLOT + timedelta(minutes=50), SLOT + timedelta(minutes=100), casey),
    ]


def test_another_therapist_may_use_the_same_time(fcast) -> None:
    mine = book(fcast)
    theirs = book(fcast, therapist=fcast.therapist_plain, by=fcast.therapist_plain)
    assert theirs.pk != mine.pk
    assert (theirs.start, theirs.end) == (mine.start, mine.end)
    assert theirs.status == mine.status == Appointment.Status.SCHEDULED
    slot = (SLOT, SLOT + timedelta(minutes=50), fcast.client_with_portal.pk)
    assert _scheduled_on_slot_day(fcast.therapist) == [slot]
    assert _scheduled_on_slot_day(fcast.therapist_plain) == [slot]


def test_start_in_the_future_boundary(fcast, traveller) -> None:
    traveller.move_to(SLOT)
    book(fcast)  # valid at exactly the start
    traveller.move_to(SLOT + timedelta(hours=1, seconds=1))
    with pytest.raises(ValidationError) as excinfo:
        book(fcast, start=SLOT + timedelta(hours=1))  # refused one second later
    assert errors_of(excinfo)["start"] == ["Choose a time in the future."]


@pytest.mark.parametrize(("minutes", "ok"), [(14, False), (15, True), (240, True), (241, False)])
def test_duration_limits(fcast, minutes: int, ok: bool) -> None:
    if ok:
        assert book(fcast, duration_minutes=minutes).duration_minutes == minutes
    else:
        with pytest.raises(ValidationError) as excinfo:
            book(fcast, duration_minutes=minutes)
        assert "between 15 and 240 minutes" in errors_of(excinfo)["duration"][0]
        assert not Appointment.objects.filter(start=SLOT).exists()


def test_client_of_another_practice_is_refused(fcast) -> None:
    with pytest.raises(ValidationError) as excinfo:
        book(fcast, client=fcast.other_client)
    assert errors_of(excinfo)["client"] == [
        "Client not found. Choose one of the clients in the list."
    ]
    assert not Appointment.objects.filter(start=SLOT).exists()


def test_teletherapy_needs_the_therapists_teletherapy_role(fcast) -> None:
    with pytest.raises(ValidationError) as excinfo:
        book(fcast, therapist=fcast.therapist_plain, by=fcast.owner, is_teletherapy=True)
    assert "does not have Teletherapy enabled" in errors_of(excinfo)["is_teletherapy"][0]
    with pytest.raises(ValidationError):  # the location alone is refused too
        book(fcast, therapist=fcast.therapist_plain, by=fcast.owner, location="teletherapy")
    assert not Appointment.objects.filter(start=SLOT).exists()


def test_teletherapy_only_for_us_residents(fcast) -> None:
    abroad = make_client(
        fcast.practice,
        "Ana",
        "Abroad",
        therapists=[fcast.therapist],
        state="",
        country="Canada",
        time_zone="America/New_York",
    )
    with pytest.raises(ValidationError) as excinfo:
        book(fcast, client=abroad, is_teletherapy=True)
    assert "U.S. residents only" in errors_of(excinfo)["is_teletherapy"][0]
    assert book(fcast, client=abroad).is_teletherapy is False  # an office visit is fine


def test_teletherapy_booking_sets_location_and_emails(
    fcast, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        appointment = book(fcast, is_teletherapy=True)
    assert appointment.location == Appointment.Location.TELETHERAPY
    assert [m.to for m in mail.outbox] == [[fcast.client_with_portal.email]]


def test_reschedule_checks_overlap_but_not_with_itself(fcast) -> None:
    first = book(fcast)
    second = book(fcast, start=SLOT + timedelta(hours=1))
    moved = services.change_appointment(
        appointment=first, by=fcast.owner, start=SLOT + timedelta(minutes=5)
    )
    assert moved.start == SLOT + timedelta(minutes=5)
    with pytest.raises(ValidationError) as excinfo:
        services.change_appointment(
            appointment=second, by=fcast.owner, start=SLOT + timedelta(minutes=30)
        )
    assert "Casey Client" in errors_of(excinfo)["start"][0]
    second.refresh_from_db()
    assert second.start == SLOT + timedelta(hours=1)
    history = list(AppointmentChange.objects.filter(appointment=first).values_list("summary"))
    assert history == [("Booked",), ("Rescheduled",)]
    assert AuditEvent.objects.filter(action=Action.APPOINTMENT_CHANGED).count() == 1


def test_switching_to_teletherapy_and_back(fcast, django_capture_on_commit_callbacks) -> None:
    appointment = book(fcast)
    with django_capture_on_commit_callbacks(execute=True):
        changed = services.change_appointment(
            appointment=appointment, by=fcast.therapist, is_teletherapy=True
        )
    assert changed.is_teletherapy and changed.location == Appointment.Location.TELETHERAPY
    assert changed.ics_sequence == 1
    with django_capture_on_commit_callbacks(execute=True):
        back = services.change_appointment(
            appointment=changed, by=fcast.therapist, is_teletherapy=False
        )
    assert not back.is_teletherapy and back.location == Appointment.Location.OFFICE
    assert back.ics_sequence == 2
    assert len(mail.outbox) == 2  # told both times
    summaries = [c.summary for c in back.changes.all()]
    assert summaries == ["Booked", "Teletherapy Session? Yes", "Teletherapy Session? No"]


def test_switching_refused_without_teletherapy_role(fcast) -> None:
    appointment = book(fcast, therapist=fcast.therapist_plain, by=fcast.scheduler)
    with pytest.raises(ValidationError) as excinfo:
        services.change_appointment(appointment=appointment, by=fcast.owner, is_teletherapy=True)
    assert "does not have Teletherapy enabled" in errors_of(excinfo)["is_teletherapy"][0]
    appointment.refresh_from_db()
    assert appointment.is_teletherapy is False


def test_saving_without_changes_records_nothing(fcast) -> None:
    appointment = book(fcast)
    services.change_appointment(appointment=appointment, by=fcast.owner, start=SLOT)
    assert appointment.changes.count() == 1
    assert not AuditEvent.objects.filter(action=Action.APPOINTMENT_CHANGED).exists()


def test_cancel_needs_a_reason_and_is_final(fcast) -> None:
    appointment = book(fcast)
    with pytest.raises(ValidationError):
        services.cancel_appointment(appointment=appointment, by=fcast.owner, reason="  ")
    cancelled = services.cancel_appointment(
        appointment=appointment, by=fcast.owner, reason="Therapist ill"
    )
    assert cancelled.status == Appointment.Status.CANCELLED
    assert cancelled.cancel_reason == "Therapist ill"
    assert AuditEvent.objects.filter(action=Action.APPOINTMENT_CANCELLED).count() == 1
    with pytest.raises(ValidationError):
        services.change_appointment(
            appointment=cancelled, by=fcast.owner, start=SLOT + timedelta(hours=3)
        )
    with pytest.raises(ValidationError):
        services.cancel_appointment(appointment=cancelled, by=fcast.owner, reason="again")


def test_no_show_only_once_started(fcast, traveller) -> None:
    appointment = book(fcast)
    traveller.move_to(SLOT - timedelta(seconds=1))
    with pytest.raises(ValidationError):
        services.mark_no_show(appointment=appointment, by=fcast.therapist)
    traveller.move_to(SLOT)
    marked = services.mark_no_show(appointment=appointment, by=fcast.therapist)
    assert marked.status == Appointment.Status.NO_SHOW
    assert AuditEvent.objects.filter(action=Action.APPOINTMENT_NO_SHOW).count() == 1
    # A no-show still holds its time: nothing else can be booked over it.
    assert services.find_overlap(fcast.therapist, SLOT, SLOT + timedelta(minutes=1))


def test_now_is_monday_morning() -> None:
    assert NOW.isoformat() == "2026-11-23T14:00:00+00:00"


def test_the_acting_staff_member_needs_the_authority(fcast) -> None:  # type: ignore[no-untyped-def]
    from django.core.exceptions import PermissionDenied

    # A Therapist books only on their own schedule; the Biller on none.
    for by in (fcast.therapist_plain, fcast.biller, fcast.other_owner):
        with pytest.raises(PermissionDenied):
            book(fcast, by=by)
    assert not Appointment.objects.filter(start=SLOT).exists()
    mine = book(fcast)
    # Another therapist can't change, cancel or mark it: it isn't theirs to see.
    with pytest.raises(PermissionDenied):
        services.change_appointment(appointment=mine, by=fcast.therapist_plain, staff_note="x")
    with pytest.raises(PermissionDenied):
        services.cancel_appointment(appointment=mine, by=fcast.other_owner, reason="x")
    with pytest.raises(PermissionDenied):
        services.mark_no_show(appointment=mine, by=fcast.therapist_plain)
    mine.refresh_from_db()
    assert mine.status == Appointment.Status.SCHEDULED and mine.changes.count() == 1
