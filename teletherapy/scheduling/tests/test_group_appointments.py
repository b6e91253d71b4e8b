"""Appointments with up to four clients (a couple, a family): booking, editing and series
through the services and the New appointment / Edit forms; every rule for one client holds
for each; bad input is named beside its field with nothing lost; each client gets their own
email and .ics (one ATTENDEE, their own zone) through the real SMTP server, and never another
client's details; staff pages name everyone, the portal names no one else."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from icalendar import Calendar

from teletherapy.audit.models import Action, AuditEvent
from teletherapy.scheduling import series as series_services
from teletherapy.scheduling import services
from teletherapy.scheduling.models import Appointment
from teletherapy.test.browser import text_of
from teletherapy.test.personas import make_client

pytestmark = pytest.mark.django_db

START = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)  # Wednesday 10:00 AM EST, 9:00 AM CST
URL = "/schedule/new/"


@pytest.fixture
def pat(fcast):
    """Casey's partner: their own email, portal account and zone (Chicago)."""
    return make_client(
        fcast.practice,
        "Pat",
        "Partner",
        therapists=[fcast.therapist],
        username="pat",
        email="pat.partner@example.com",
        time_zone="America/Chicago",
        mobile_phone="+13125550177",
    )


def book(cast, *others, **overrides):
    args = {
        "therapist": cast.therapist,
        "client": cast.client_with_portal,
        "start": START,
        "duration_minutes": 50,
        "is_teletherapy": True,
        "additional_clients": list(others),
        "by": cast.therapist,
    }
    args.update(overrides)
    return services.book_appointment(**args)


def errors_of(excinfo) -> dict[str, list[str]]:
    return excinfo.value.message_dict


# Services -------------------------------------------------------------------------------------


def test_booking_a_couple_writes_history_and_audit(fcast, pat) -> None:
    appointment = book(fcast, pat)
    assert [c.pk for c in appointment.all_clients()] == [fcast.client_with_portal.pk, pat.pk]
    assert appointment.client == fcast.client_with_portal  # the primary, billed
    assert appointment.clients_label == "Casey Client & Pat Partner"
    [line] = appointment.changes.all()
    assert line.summary == "Booked as a Teletherapy Session; Added Pat Partner"
    event = AuditEvent.objects.get(action=Action.APPOINTMENT_CREATED)
    assert event.details["additional_client_ids"] == [pat.pk]


def test_bad_clients_are_refused_and_nothing_is_saved(fcast, pat) -> None:
    others = [
        make_client(fcast.practice, f"Kid{n}", "Family", therapists=[fcast.therapist])
        for n in range(4)
    ]
    no_email = make_client(fcast.practice, "Nomail", "Person", email="")
    abroad = make_client(fcast.practice, "Abe", "Abroad", country="Canada", state="ON")
    cases = [
        ([pat, *others], "at most 4 clients"),  # a fifth client
        ([fcast.other_client], "Client not found."),  # another practice: never say whose
        ([pat, pat], "Pat Partner is already in this appointment."),
        ([fcast.client_with_portal], "Casey Client is already in this appointment."),
        ([no_email], "Nomail Person has no email address."),
        ([abroad], "Teletherapy is available for U.S. residents only"),
    ]
    for clients, message in cases:
        with pytest.raises(ValidationError) as excinfo:
            book(fcast, *clients)
        assert message in " ".join(errors_of(excinfo)["additional_clients"]), message
        assert "ZZSECRET" not in str(errors_of(excinfo))
    assert not Appointment.objects.filter(start=START).exists()
    # Without Teletherapy, a client abroad may come to the office.
    assert book(fcast, abroad, is_teletherapy=False).is_group


def test_an_inactive_client_is_not_found(fcast, pat) -> None:
    pat.is_active = False
    pat.save()
    with pytest.raises(ValidationError) as excinfo:
        book(fcast, pat)
    assert errors_of(excinfo)["additional_clients"] == [services.CLIENT_NOT_FOUND]


def test_the_therapists_no_overlap_rule_holds_for_a_couple(fcast, pat) -> None:
    book(fcast)
    with pytest.raises(ValidationError) as excinfo:
        book(fcast, pat, client=fcast.client_without_portal)
    assert "This overlaps Casey Client's appointment" in errors_of(excinfo)["start"][0]


def test_edit_adds_removes_and_changes_the_primary(
    fcast, pat, smtp_server, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        appointment = book(fcast)
        services.change_appointment(
            appointment=appointment, by=fcast.therapist, clients=[pat, fcast.client_with_portal]
        )
    appointment.refresh_from_db()
    assert appointment.client == pat
    assert [c.pk for c in appointment.all_clients()] == [pat.pk, fcast.client_with_portal.pk]
    lines = [c.summary for c in appointment.changes.all()]
    assert lines[-1] == "Added Pat Partner; Primary client (billed): Pat Partner"
    # Pat is sent the booking in their own zone; Casey was told nothing new.
    added = smtp_server.wait_for(to="pat.partner@example.com")
    assert "9:00 AM CST" in str(added["Subject"])
    assert len([m for m in smtp_server.messages if "casey" in str(m["To"])]) == 1

    # Taking Casey off: Casey is sent a cancellation for their calendar, Pat nothing.
    with django_capture_on_commit_callbacks(execute=True):
        services.change_appointment(appointment=appointment, by=fcast.therapist, clients=[pat])
    removed = smtp_server.wait_for(to="casey.client@example.com", count=2)
    assert "no longer booked" in str(removed["Subject"])
    assert _ics(removed)["METHOD"] == "CANCEL"
    assert appointment.changes.last().summary == "Removed Casey Client"
    assert len([m for m in smtp_server.messages if "pat" in str(m["To"])]) == 1


def test_edit_refuses_a_bad_new_client_but_keeps_one_already_in_it(fcast, pat) -> None:
    appointment = book(fcast, pat)
    # Pat moves abroad after booking: the appointment can still be rescheduled.
    pat.country, pat.state = "Canada", "ON"
    pat.save()
    services.change_appointment(
        appointment=appointment, by=fcast.therapist, start=START + timedelta(hours=1)
    )
    with pytest.raises(ValidationError) as excinfo:
        services.change_appointment(
            appointment=appointment,
            by=fcast.therapist,
            clients=[fcast.client_with_portal, pat, fcast.other_client],
        )
    assert errors_of(excinfo)["additional_clients"] == [services.CLIENT_NOT_FOUND]


def test_a_series_keeps_its_clients_through_this_following_and_all(
    fcast, pat, smtp_server, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        series = series_services.book_series(
            therapist=fcast.therapist,
            client=fcast.client_with_portal,
            additional_clients=[pat],
            first_day=START.date(),
            at=datetime(2026, 1, 1, 10, 0).time(),
            repeats="weekly",
            count=4,
            is_teletherapy=True,
            by=fcast.therapist,
        )
    assert [c.pk for c in series.all_clients()] == [fcast.client_with_portal.pk, pat.pk]
    rows = list(series.occurrences.order_by("start"))
    assert all(r.clients_label == "Casey Client & Pat Partner" for r in rows)
    # Each gets the series' one calendar entry, for them alone, in their own zone.
    casey_mail = smtp_server.wait_for(to="casey.client@example.com")
    pat_mail = smtp_server.wait_for(to="pat.partner@example.com")
    assert "10:00 AM EST" in str(casey_mail["Subject"])
    assert "9:00 AM CST" in str(pat_mail["Subject"])
    for message, address in ((casey_mail, "casey.client"), (pat_mail, "pat.partner")):
        [event] = [e for e in _ics(message).walk("VEVENT")]
        assert "RRULE" in event
        assert [str(a) for a in _attendees(event)] == [f"mailto:{address}@example.com"]

    # This one, then this and following, then all: a time change keeps both clients.
    for scope, target in ((series_services.THIS, rows[0]), (series_services.FOLLOWING, rows[1])):
        series_services.change_series(
            appointment=target,
            scope=scope,
            by=fcast.therapist,
            start=target.start + timedelta(hours=1),
        )
    series_services.change_series(
        appointment=rows[2], scope=series_services.ALL, by=fcast.therapist, duration_minutes=45
    )
    for row in series.occurrences.all():
        assert [c.pk for c in row.all_clients()] == [fcast.client_with_portal.pk, pat.pk]
    # Changing the clients of one occurrence alone is refused (one calendar entry each).
    with pytest.raises(ValidationError) as excinfo:
        series_services.change_series(
            appointment=rows[3],
            scope=series_services.THIS,
            by=fcast.therapist,
            clients=[fcast.client_with_portal],
        )
    assert "this and the following" in errors_of(excinfo)["additional_clients"][0]
    # All of them: Pat is taken off every occurrence and the series, and told.
    with django_capture_on_commit_callbacks(execute=True):
        series_services.change_series(
            appointment=rows[0],
            scope=series_services.ALL,
            by=fcast.therapist,
            clients=[fcast.client_with_portal],
        )
    series.refresh_from_db()
    assert [c.pk for c in series.all_clients()] == [fcast.client_with_portal.pk]
    assert all(not r.is_group for r in series.occurrences.filter(start__gte=START))
    off = smtp_server.wait_for(to="pat.partner@example.com", count=2)
    assert _ics(off)["METHOD"] == "CANCEL"


# Emails and .ics: each client their own -------------------------------------------------------


def test_each_client_gets_their_own_email_and_ics_in_their_own_zone(
    fcast, pat, smtp_server, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        book(fcast, pat, staff_note="ZZNOTE couple conflict", service="90847")
    casey_mail = smtp_server.wait_for(to="casey.client@example.com")
    pat_mail = smtp_server.wait_for(to="pat.partner@example.com")
    assert len(smtp_server.messages) == 2
    assert "Wednesday November 25, 2026, 10:00 AM EST" in str(casey_mail["Subject"])
    assert "Wednesday November 25, 2026, 9:00 AM CST" in str(pat_mail["Subject"])
    assert "Hello Pat," in text_of(pat_mail)
    assert "(America/Chicago)" in text_of(pat_mail)
    assert "joint session" in text_of(pat_mail)
    for message, me, other in (
        (casey_mail, "casey.client@example.com", ("Pat", "pat.partner", "3125550177")),
        (pat_mail, "pat.partner@example.com", ("Casey", "casey.client")),
    ):
        [to] = [str(message["To"])]
        assert to == me
        event = next(iter(_ics(message).walk("VEVENT")))
        assert [str(a) for a in _attendees(event)] == [f"mailto:{me}"]
        everything = message.as_string()
        for secret in (*other, "ZZNOTE", "conflict", "90847", "Family psychotherapy"):
            assert secret not in everything, secret


def test_cancelling_tells_each_client(
    fcast, pat, smtp_server, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        appointment = book(fcast, pat)
        services.cancel_appointment(appointment=appointment, by=fcast.therapist, reason="Ill")
    for address in ("casey.client@example.com", "pat.partner@example.com"):
        message = smtp_server.wait_for(to=address, count=2)
        assert "cancelled" in str(message["Subject"])
        assert _ics(message)["METHOD"] == "CANCEL"


# The forms: the booking dialog and Edit without JavaScript --------------------------------------


def form_data(cast, **overrides):
    data = {
        "therapist": cast.therapist.pk,
        "client": cast.client_with_portal.pk,
        "client_2": "",
        "client_3": "",
        "client_4": "",
        "primary": "1",
        "date": "2026-11-25",
        "time": "10:00",
        "duration": "50",
        "service": "90847",
        "teletherapy": "on",
        "staff_note": "Bring the intake packet",
    }
    data.update(overrides)
    return data


def test_the_dialog_books_a_couple_with_the_chosen_primary(fcast, pat) -> None:
    http = fcast.client_for("therapist")
    html = http.get(URL, {"therapist": fcast.therapist.pk}).content.decode()
    assert "Couple or family: add clients (up to 3 more)" in html
    for label in ("Second person", "Third person", "Fourth person", "Billed to (the primary)"):
        assert label in html
    assert "Partner, Pat" in html
    response = http.post(URL, form_data(fcast, client_2=pat.pk, primary="2"))
    assert response.status_code == 302
    appointment = Appointment.objects.get(start=START)
    assert appointment.client == pat
    assert [c.pk for c in appointment.all_clients()] == [pat.pk, fcast.client_with_portal.pk]
    assert (
        "Booked Pat Partner &amp; Casey Client on"
        in http.get(response["Location"]).content.decode()
    )


def _kept_and_unsaved(response, *kept):
    assert response.status_code == 200
    html = response.content.decode()
    assert not Appointment.objects.filter(start=START).exists()
    for value in ("Bring the intake packet", 'value="10:00"', *kept):
        assert value in html, value
    # The extra clients' part stays open, with the error beside its field.
    assert '<details class="more-clients" open>' in html
    return html


def test_the_form_names_each_bad_client_beside_its_field(fcast, pat) -> None:
    http = fcast.client_for("therapist")
    no_email = make_client(
        fcast.practice, "Nomail", "Person", email="", therapists=[fcast.therapist]
    )
    cases = [
        ({"client_2": pat.pk, "client_3": pat.pk}, "client_3", "Pat Partner is already in"),
        ({"client_2": fcast.other_client.pk}, "client_2", "Client not found."),
        ({"client_2": "999999"}, "client_2", "Client not found."),
        ({"client_2": no_email.pk}, "client_2", "Nomail Person has no email address."),
        (
            {"client_2": pat.pk, "client_5": no_email.pk},
            "client_4",
            "An appointment can have at most 4",
        ),
        ({"primary": "3"}, "primary", "Choose a client in that place"),
    ]
    for overrides, field, message in cases:
        response = http.post(URL, form_data(fcast, **overrides))
        html = _kept_and_unsaved(response)
        if field == "primary":
            assert message in html
        else:
            assert f'id="id_{field}_error">{message}' in html, (field, message)
        assert "ZZSECRET" not in html
        if overrides.get("client_2") == pat.pk:
            assert f'<option value="{pat.pk}" selected>' in html  # the choice is kept


def test_edit_changes_the_clients_and_keeps_them_when_only_the_time_changes(fcast, pat) -> None:
    appointment = book(fcast, pat)
    http = fcast.client_for("therapist")
    edit = reverse("scheduling:appointment_edit", args=[appointment.pk])
    html = http.get(edit).content.decode()
    assert f'<option value="{pat.pk}" selected>' in html
    assert '<details class="more-clients" open>' in html
    data = form_data(fcast, client_2=pat.pk, time="11:00")
    data.pop("therapist")
    assert http.post(edit, data).status_code == 302
    appointment.refresh_from_db()
    assert appointment.is_group and appointment.start == START + timedelta(hours=1)
    # A bad client: said beside the field, nothing changed.
    response = http.post(edit, {**data, "client_3": fcast.other_client.pk})
    assert response.status_code == 200
    assert 'id="id_client_3_error">Client not found.' in response.content.decode()
    assert appointment.additional_clients.count() == 1


# Staff pages name everyone; the portal names no one else ---------------------------------------


def test_staff_pages_name_every_client_and_invite_each_without_a_portal(fcast, pat) -> None:
    appointment = book(fcast, pat, fcast.client_without_portal)
    http = fcast.client_for("therapist")
    details = http.get(reverse("scheduling:appointment", args=[appointment.pk])).content.decode()
    assert "Casey Client, Nora Noportal &amp; Pat Partner" in details
    assert "Casey Client (primary, billed)" in details
    assert "1 client can't join yet: no client portal account." in details
    invite = reverse("clients:send_portal_invite", args=[fcast.client_without_portal.pk])
    assert f'action="{invite}"' in details
    assert 'Send invite<span class="visually-hidden"> to Nora Noportal</span>' in details
    week = http.get(reverse("scheduling:my_schedule") + "?date=2026-11-25&view=week")
    assert "Casey Client, Nora Noportal &amp; Pat Partner" in week.content.decode()
    day = fcast.client_for("owner").get(reverse("scheduling:team_day") + "?date=2026-11-25")
    assert "Casey Client, Nora Noportal &amp; Pat Partner" in day.content.decode()
    profile = http.get(reverse("clients:detail", args=[pat.pk])).content.decode()
    assert "Joint</span> Casey Client, Nora Noportal &amp; Pat Partner" in profile


def test_the_portal_marks_a_joint_session_and_names_no_one_else(fcast, pat) -> None:
    book(fcast, pat)
    from django.test import Client as HttpClient

    http = HttpClient()
    http.force_login(pat.user)
    html = http.get(reverse("portal:dashboard")).content.decode()
    assert "Joint session" in html and "Tess Therapist" in html
    for other in ("Casey", "casey.client"):
        assert other not in html


def _ics(message) -> Calendar:
    for part in message.iter_attachments():
        if part.get_content_type() == "text/calendar":
            content = part.get_content()
            return Calendar.from_ical(content if isinstance(content, bytes) else content.encode())
    raise AssertionError("no calendar attachment")


def _attendees(event) -> list:
    value = event.get("ATTENDEE")
    return value if isinstance(value, list) else [value]
