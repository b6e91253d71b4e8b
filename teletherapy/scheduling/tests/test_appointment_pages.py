"""An appointment's Details, Edit and History tabs; cancel and no-show."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.urls import reverse

from teletherapy.scheduling.models import Appointment


def url(name: str, appointment: Appointment) -> str:
    return reverse(f"scheduling:{name}", args=[appointment.pk])


def test_details_tab(fcast) -> None:
    html = fcast.client_for("therapist").get(url("appointment", fcast.tele_appointment)).content
    html = html.decode()
    assert "Casey Client: Tuesday November 24, 2026, 9:00 AM EST" in html
    assert "<dt>Teletherapy Session?</dt><dd>Yes</dd>" in html
    assert 'aria-current="page">Details</a>' in html
    assert "Client can't join yet" not in html  # Casey has a portal account


def test_details_warn_when_the_client_cannot_join(fcast) -> None:
    office = fcast.office_appointment  # Nora has no portal account
    office.is_teletherapy = True
    office.save()
    html = fcast.client_for("therapist").get(url("appointment", office)).content.decode()
    assert "Client can't join yet: no client portal account." in html


def test_edit_switches_to_teletherapy(fcast, django_capture_on_commit_callbacks) -> None:
    http = fcast.client_for("therapist")
    appointment = fcast.office_appointment
    html = http.get(url("appointment_edit", appointment)).content.decode()
    # The same Teletherapy Session checkbox as New appointment, unticked for an office visit.
    assert '<input type="checkbox" name="teletherapy" id="id_teletherapy">' in html
    data = {
        "teletherapy": "on",
        "date": "2026-11-24",
        "time": "11:00",
        "duration": "50",
        "service": appointment.service,
        "staff_note": "",
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = http.post(url("appointment_edit", appointment), data)
    assert response.status_code == 302
    appointment.refresh_from_db()
    assert appointment.is_teletherapy
    assert appointment.start == datetime(2026, 11, 24, 16, 0, tzinfo=UTC)  # unchanged
    history = http.get(url("appointment_history", appointment)).content.decode()
    assert "Teletherapy Session? Yes" in history
    assert "Tess Therapist" in history


def test_edit_reschedules_and_keeps_input_on_error(fcast) -> None:
    http = fcast.client_for("owner")
    appointment = fcast.office_appointment
    data = {
        "date": "2026-11-24",
        "time": "09:15",  # into Casey's 9:00 appointment
        "duration": "45",
        "service": "90837",
        "staff_note": "moved",
    }
    response = http.post(url("appointment_edit", appointment), data)
    html = response.content.decode()
    assert response.status_code == 200
    assert "This overlaps Casey Client" in html
    assert 'value="09:15"' in html and 'value="45"' in html and "moved" in html
    appointment.refresh_from_db()
    assert appointment.start == datetime(2026, 11, 24, 16, 0, tzinfo=UTC)
    data["time"] = "13:15"
    assert http.post(url("appointment_edit", appointment), data).status_code == 302
    appointment.refresh_from_db()
    assert appointment.start == datetime(2026, 11, 24, 18, 15, tzinfo=UTC)
    assert appointment.duration_minutes == 45
    history = http.get(url("appointment_history", appointment)).content.decode()
    assert "Rescheduled; Service changed; Staff note changed" in history
    assert (
        "from Tuesday November 24, 2026, 11:00 AM EST (50 min) to Tuesday November 24, 2026, 1:15 PM EST (45 min)"
        in history
    )
    assert "Olivia Owner" in history


def test_edit_refuses_tampered_teletherapy(fcast) -> None:
    http = fcast.client_for("therapist_plain")
    start = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)
    appointment = Appointment.objects.create(
        practice=fcast.practice,
        therapist=fcast.therapist_plain,
        client=fcast.client_with_portal,
        start=start,
        end=start + timedelta(minutes=50),
    )
    html = http.get(url("appointment_edit", appointment)).content.decode()
    assert 'name="teletherapy"' not in html
    data = {
        "teletherapy": "yes",
        "date": "2026-11-25",
        "time": "10:00",
        "duration": "50",
        "service": appointment.service,
    }
    response = http.post(url("appointment_edit", appointment), data)
    assert "Paul Plain does not have Teletherapy enabled" in response.content.decode()
    appointment.refresh_from_db()
    assert not appointment.is_teletherapy


def test_cancel_with_reason(fcast) -> None:
    http = fcast.client_for("scheduler")
    appointment = fcast.office_appointment
    response = http.post(url("appointment_cancel", appointment), {"reason": ""})
    assert response.status_code == 200
    assert "Give a reason for cancelling." in response.content.decode()
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.SCHEDULED
    # A reason alone only asks (the page without JavaScript); nothing changes yet.
    response = http.post(url("appointment_cancel", appointment), {"reason": "Client moved away"})
    assert response.status_code == 200
    assert "Cancel this appointment?" in response.content.decode()
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.SCHEDULED
    response = http.post(
        url("appointment_cancel", appointment), {"reason": "Client moved away", "confirmed": "yes"}
    )
    assert response.status_code == 302
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.CANCELLED
    details = http.get(url("appointment", appointment)).content.decode()
    assert "Cancelled: Client moved away" in details
    assert "Cancel appointment</button>" not in details
    edit = http.get(url("appointment_edit", appointment)).content.decode()
    assert "can&#x27;t be changed" in edit or "can't be changed" in edit
    history = http.get(url("appointment_history", appointment)).content.decode()
    assert "Reason: Client moved away" in history


def test_no_show_once_started(fcast, traveller) -> None:
    http = fcast.client_for("therapist")
    appointment = fcast.tele_appointment
    response = http.post(url("appointment_no_show", appointment), follow=True)
    assert "only once the appointment has started" in response.content.decode()
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.SCHEDULED
    traveller.move_to(appointment.start + timedelta(minutes=20))
    http = fcast.client_for("therapist")  # a fresh session: the old one went idle
    html = http.get(url("appointment", appointment)).content.decode()
    assert "Mark no-show</button>" in html
    http.post(url("appointment_no_show", appointment))
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.NO_SHOW


def test_another_therapists_appointment_is_not_found(fcast) -> None:
    http = fcast.client_for("therapist_plain")
    for name in ("appointment", "appointment_edit", "appointment_history"):
        assert http.get(url(name, fcast.tele_appointment)).status_code == 404
    assert (
        fcast.client_for("owner").get(url("appointment", fcast.other_appointment)).status_code
        == 404
    )
    response = http.post(url("appointment_cancel", fcast.tele_appointment), {"reason": "x"})
    assert response.status_code == 404
    fcast.tele_appointment.refresh_from_db()
    assert fcast.tele_appointment.status == Appointment.Status.SCHEDULED


def test_send_invite_from_the_appointment(fcast, django_capture_on_commit_callbacks) -> None:
    from django.core import mail

    office = fcast.office_appointment  # Nora has no portal account
    office.is_teletherapy = True
    office.save()
    http = fcast.client_for("therapist")
    page = url("appointment", office)
    html = http.get(page).content.decode()
    invite = reverse(
        "clients:send_portal_invite", kwargs={"client_id": fcast.client_without_portal.pk}
    )
    assert f'<form method="post" action="{invite}"' in html
    assert f'name="next" value="{page}"' in html
    with django_capture_on_commit_callbacks(execute=True):
        response = http.post(invite, {"next": page})
    assert response.status_code == 302 and response["Location"] == page
    assert [m.to for m in mail.outbox] == [["nora@example.com"]]


def test_move_keeps_the_duration(fcast) -> None:
    http = fcast.client_for("therapist")
    appointment = fcast.office_appointment  # Tuesday 11:00-11:50 AM EST
    week = http.get(reverse("scheduling:my_schedule")).content.decode()
    assert f'data-move-url="{url("appointment_move", appointment)}"' in week
    response = http.post(
        url("appointment_move", appointment), {"date": "2026-11-26", "time": "14:15"}
    )
    assert response.status_code == 302 and "date=2026-11-26" in response["Location"]
    appointment.refresh_from_db()
    assert appointment.start == datetime(2026, 11, 26, 19, 15, tzinfo=UTC)
    assert appointment.duration_minutes == 50
    page = http.get(response["Location"]).content.decode()
    assert "Moved Nora Noportal to Thursday November 26, 2026, 2:15 PM EST." in page


def test_move_refused_with_a_message(fcast) -> None:
    http = fcast.client_for("therapist")
    appointment = fcast.office_appointment
    for data, message in [
        ({"date": "2026-11-24", "time": "09:30"}, "This overlaps Casey Client"),
        ({"date": "2026-11-20", "time": "09:00"}, "Choose a time in the future."),
        ({"date": "2026-11-26", "time": "09:07"}, "quarter hour"),
        ({"date": "nonsense", "time": ""}, "Enter a valid date."),
    ]:
        response = http.post(url("appointment_move", appointment), data, follow=True)
        assert message in response.content.decode(), data
        appointment.refresh_from_db()
        assert appointment.start == datetime(2026, 11, 24, 16, 0, tzinfo=UTC)


def test_new_and_edit_show_the_same_fields_the_same_way(fcast) -> None:  # type: ignore[no-untyped-def]
    import re

    http = fcast.client_for("therapist")
    new = http.get(reverse("scheduling:new_appointment")).content.decode()
    edit = http.get(url("appointment_edit", fcast.office_appointment)).content.decode()

    def controls(html: str) -> list[str]:
        form = html[html.index('<form method="post"', html.index("<main")) :]
        form = form[: form.index("</form>")]
        found = re.findall(
            r'<(input|select|textarea)[^>]*\bname="([a-z_0-9]+)"[^>]*?(type="\w+")?', form
        )
        return [f"{tag} {name}" for tag, name, _ in found if name not in HIDDEN_NAMES]

    # Edit keeps the therapist; everything else (the clients too) matches New, in its order
    # (New alone asks whether it repeats: a series is edited occurrence by occurrence).
    repeat = {"repeats", "ends", "count", "until"}
    assert [c for c in controls(new) if c.split()[1] not in repeat] == controls(edit)
    assert controls(edit)[:5] == [
        "select client",
        "select client_2",
        "select client_3",
        "select client_4",
        "input primary",
    ]
    assert "Location" not in new and "Location" not in edit.split("<main")[1].split("</form>")[0]
    for html in (new, edit):
        assert '<label for="id_teletherapy">Teletherapy Session</label>' in html


HIDDEN_NAMES = {"csrfmiddlewaretoken", "therapist", "partial"}
