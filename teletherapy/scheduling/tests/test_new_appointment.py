"""The New appointment form: prefilled, the Teletherapy Session checkbox, and bad input."""

from __future__ import annotations

from datetime import UTC, datetime

from django.urls import reverse

from teletherapy.scheduling.models import Appointment
from teletherapy.test.personas import make_client

URL = reverse("scheduling:new_appointment")
WEDNESDAY_10 = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)  # 10:00 AM EST


def form_data(cast, **overrides):
    data = {
        "therapist": cast.therapist.pk,
        "client": cast.client_with_portal.pk,
        "date": "2026-11-25",
        "time": "10:00",
        "duration": "50",
        "service": "90834",
        "location": "office",
        "staff_note": "Bring the intake packet",
    }
    data.update(overrides)
    return data


def test_form_is_prefilled_and_offers_teletherapy(fcast) -> None:
    html = (
        fcast.client_for("therapist")
        .get(URL, {"therapist": fcast.therapist.pk, "date": "2026-11-25", "time": "10:15"})
        .content.decode()
    )
    assert 'value="2026-11-25"' in html and 'value="10:15"' in html
    assert 'name="duration" value="50"' in html
    assert "Teletherapy Session</label>" in html
    # Clients without a portal account are marked, for the "can't join yet" notice.
    assert "Noportal, Nora (no portal account)" in html
    assert "Client can't join yet: no client portal account" in html
    # The dialog's script points the Send invite form at the chosen client.
    assert 'data-invite-template="/clients/0/portal/invite/"' in html
    assert "ZZSECRET" not in html


def test_no_checkbox_for_a_therapist_without_teletherapy(fcast) -> None:
    html = fcast.client_for("therapist_plain").get(URL).content.decode()
    assert "Teletherapy Session</label>" not in html
    assert '<option value="teletherapy"' not in html


def test_booking_redirects_to_the_week(fcast, django_capture_on_commit_callbacks) -> None:
    http = fcast.client_for("therapist")
    with django_capture_on_commit_callbacks(execute=True):
        response = http.post(URL, form_data(fcast, teletherapy="on"))
    assert response.status_code == 302
    assert "date=2026-11-25" in response["Location"]
    appointment = Appointment.objects.get(start=WEDNESDAY_10)
    assert appointment.is_teletherapy and appointment.location == "teletherapy"
    assert appointment.created_by == fcast.therapist.user
    assert appointment.staff_note == "Bring the intake packet"
    week = http.get(response["Location"]).content.decode()
    assert "Booked Casey Client on Wednesday November 25, 2026, 10:00 AM EST" in week


def test_the_dialog_gets_a_location_header(fcast) -> None:
    response = fcast.client_for("scheduler").post(URL, form_data(fcast, partial="1"))
    assert response.status_code == 204
    assert response["X-Location"].startswith(reverse("scheduling:my_schedule"))
    # With errors, only the form comes back, to replace the dialog's content.
    response = fcast.client_for("scheduler").post(URL, form_data(fcast, partial="1"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html and "This overlaps Casey Client" in html


def test_no_portal_account_teletherapy_is_booked_with_the_notice(fcast) -> None:
    data = form_data(fcast, client=fcast.client_without_portal.pk, teletherapy="on")
    response = fcast.client_for("therapist").post(URL, data)
    appointment = Appointment.objects.get(start=WEDNESDAY_10)
    assert response["Location"] == reverse("scheduling:appointment", args=[appointment.pk])
    html = fcast.client_for("therapist").get(response["Location"]).content.decode()
    assert "Client can't join yet: no client portal account" in html


def assert_kept_and_unsaved(response, *values: str) -> str:
    html = response.content.decode()
    assert response.status_code == 200
    for value in values:
        assert value in html, value
    assert not Appointment.objects.filter(start=WEDNESDAY_10).exists()
    return html


def test_overlap_message_beside_the_time(fcast) -> None:
    data = form_data(fcast, date="2026-11-24", time="09:30")
    response = fcast.client_for("therapist").post(URL, data)
    html = assert_kept_and_unsaved(response, 'value="09:30"', "Bring the intake packet")
    assert (
        '<p class="error" id="id_time_error">This overlaps Casey Client&#x27;s appointment on '
        "Tuesday November 24, 9:00 AM–9:50 AM EST.</p>"
    ) in html


def test_past_time_refused(fcast) -> None:
    response = fcast.client_for("therapist").post(
        URL, form_data(fcast, time="08:45", date="2026-11-23")
    )
    html = assert_kept_and_unsaved(response, 'value="08:45"', "Bring the intake packet")
    assert '<p class="error" id="id_time_error">Choose a time in the future.</p>' in html


def test_duration_out_of_range(fcast) -> None:
    for bad in ("241", "10", "abc"):
        response = fcast.client_for("therapist").post(URL, form_data(fcast, duration=bad))
        html = assert_kept_and_unsaved(response, f'value="{bad}"', "Bring the intake packet")
        assert 'id="id_duration_error"' in html


def test_off_grid_time_refused(fcast) -> None:
    response = fcast.client_for("therapist").post(URL, form_data(fcast, time="10:07"))
    html = assert_kept_and_unsaved(response, 'value="10:07"')
    assert "quarter hour" in html


def test_unknown_or_foreign_client(fcast) -> None:
    for client_id in (fcast.other_client.pk, 999999, "x"):
        response = fcast.client_for("owner").post(URL, form_data(fcast, client=client_id))
        html = assert_kept_and_unsaved(response, "Bring the intake packet")
        assert (
            '<p class="error" id="id_client_error">Client not found. Choose one of the clients in the list.</p>'
            in html
        )
        assert "ZZSECRET" not in html


def test_a_therapist_books_only_their_own_clients(fcast) -> None:
    stranger = make_client(fcast.practice, "Sol", "Stranger", therapists=[fcast.therapist_plain])
    html = fcast.client_for("therapist").get(URL).content.decode()
    assert "Stranger" not in html
    response = fcast.client_for("therapist").post(URL, form_data(fcast, client=stranger.pk))
    assert_kept_and_unsaved(response, "Choose one of the clients in the list.")
    # The owner may book any client of the practice.
    assert (
        fcast.client_for("owner").post(URL, form_data(fcast, client=stranger.pk)).status_code == 302
    )


def test_tampered_teletherapy_for_a_therapist_without_it(fcast) -> None:
    for tampered in ({"teletherapy": "on"}, {"location": "teletherapy"}):
        data = form_data(fcast, therapist=fcast.therapist_plain.pk, **tampered)
        response = fcast.client_for("therapist_plain").post(URL, data)
        html = assert_kept_and_unsaved(response, "Bring the intake packet")
        assert "Paul Plain does not have Teletherapy enabled" in html


def test_teletherapy_refused_for_a_client_abroad(fcast) -> None:
    abroad = make_client(
        fcast.practice, "Ana", "Abroad", therapists=[fcast.therapist], state="", country="Canada"
    )
    data = form_data(fcast, client=abroad.pk, teletherapy="on")
    response = fcast.client_for("therapist").post(URL, data)
    html = assert_kept_and_unsaved(response, "Bring the intake packet")
    assert "Teletherapy is available for U.S. residents only" in html


def test_booking_for_another_practices_therapist_is_404(fcast) -> None:
    data = form_data(fcast, therapist=fcast.other_therapist.pk)
    assert fcast.client_for("owner").post(URL, data).status_code == 404
    assert fcast.client_for("owner").get(URL, {"therapist": "abc"}).status_code == 404


def test_absurd_dates_are_messages_not_errors(fcast) -> None:
    http = fcast.client_for("therapist")
    response = http.post(URL, form_data(fcast, date="9999-12-31", time="23:45"))
    assert_kept_and_unsaved(response, "Choose a date between 2000 and 2099.", 'value="9999-12-31"')
    schedule = reverse("scheduling:my_schedule")
    for day in ("0001-01-01", "9999-12-31", "2026-02-30", "x"):
        assert http.get(schedule, {"date": day}).status_code == 200
        assert http.get(URL, {"date": day, "time": "99:99"}).status_code == 200


def test_an_id_in_the_address_that_no_database_holds_is_not_found(fcast) -> None:
    """The client's Book button puts ?client=<id> in the address: a number too large for
    the database, or digits int() refuses ("²"), is a 404, not a 500."""
    owner = fcast.client_for("owner")
    for bad in ("1" + "0" * 20, "²", "٣", "-1"):
        assert owner.get(URL, {"client": bad}).status_code == 404, bad
        assert owner.get(URL, {"therapist": bad}).status_code == 404, bad
    assert owner.get(URL, {"client": fcast.client_with_portal.pk}).status_code == 200


def test_a_client_id_int_refuses_is_a_message_not_a_500(fcast) -> None:
    response = fcast.client_for("owner").post(URL, form_data(fcast, client="²"))
    html = assert_kept_and_unsaved(response, "Bring the intake packet")
    assert "Choose one of the clients in the list." in html
