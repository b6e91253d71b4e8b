"""Switching a therapist's Teletherapy off with a session booked (issue 10 item 9): Practice
Settings lists the booked Teletherapy Sessions and asks whether to keep them as in-person
appointments or cancel them; both choices, with the dialog (Chromium) and without JavaScript;
the client is emailed through the usual path, with no clinical details; afterwards every page
says the same about the appointment."""

from __future__ import annotations

import pytest

from teletherapy.practice.teletherapy_off import CANCEL, KEEP
from teletherapy.scheduling.models import Appointment
from teletherapy.test.browser import text_of
from teletherapy.test.personas import PASSWORD, build_cast

from .conftest import ics_of


def _profile_url(cast) -> str:  # type: ignore[no-untyped-def]
    return f"/settings/staff/{cast.therapist.pk}/"


@pytest.mark.django_db
def test_without_javascript_the_page_lists_the_sessions_and_asks(cast) -> None:  # type: ignore[no-untyped-def]
    http = cast.client_for("owner")
    url = f"{_profile_url(cast)}teletherapy/"
    asked = http.post(url, {"enabled": "0"})
    page = asked.content.decode()
    assert asked.status_code == 200
    assert "Upcoming Teletherapy Session" in page and "Casey Client" in page
    assert 'name="booked" id="choice-keep" value="keep" checked' in page
    assert 'value="cancel"' in page
    # Confirmed without an answer: asked again, saying what is missing; nothing changed.
    again = http.post(url, {"enabled": "0", "confirmed": "yes", "booked": "maybe"})
    assert again.status_code == 400 and "choose whether to keep them" in again.content.decode()
    cast.therapist.refresh_from_db()
    assert cast.therapist.teletherapy_enabled


@pytest.mark.django_db
@pytest.mark.parametrize("choice", [KEEP, CANCEL])
def test_each_choice_leaves_every_page_saying_the_same(
    cast, choice, mailoutbox, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    appointment = cast.tele_appointment
    http = cast.client_for("manager")
    with django_capture_on_commit_callbacks(execute=True):
        response = http.post(
            f"{_profile_url(cast)}teletherapy/",
            {"enabled": "0", "confirmed": "yes", "booked": choice},
        )
    assert response.status_code == 302
    appointment.refresh_from_db()
    cast.therapist.refresh_from_db()
    assert not cast.therapist.teletherapy_enabled
    message = http.get(response["Location"]).content.decode()
    details = http.get(f"/schedule/appointments/{appointment.pk}/").content.decode()
    history = http.get(f"/schedule/appointments/{appointment.pk}/history/").content.decode()
    portal = cast.client_for("client").get("/portal/").content.decode()
    assert "Teletherapy Session" not in portal or "join" not in portal.lower()
    if choice == KEEP:
        assert appointment.is_teletherapy is False
        assert appointment.location == Appointment.Location.OFFICE
        assert appointment.status == Appointment.Status.SCHEDULED
        assert "1 booked session kept as in-person appointments" in message
        assert "<dt>Teletherapy Session?</dt><dd>No</dd>" in details
        assert "Teletherapy Session? No" in history
        assert [m.subject for m in mailoutbox if "casey" in m.to[0]]
    else:
        assert appointment.status == Appointment.Status.CANCELLED
        assert "1 booked session cancelled; the clients were emailed." in message
        assert "Cancelled" in details and "Cancelled" in history
        sent = [m for m in mailoutbox if "casey" in m.to[0]]
        assert sent, "the client is emailed"
        body = sent[-1].body
        # No clinical details, nor the reason kept for staff.
        assert "switched off" not in body and "90834" not in body and "Psychotherapy" not in body
    assert "You can join from" not in portal


@pytest.mark.browser
def test_switch_off_in_chromium_keep_with_the_dialog_cancel_without_javascript(
    browser, live_server_factory, smtp_server
) -> None:  # type: ignore[no-untyped-def]
    from datetime import timedelta

    from django.utils import timezone

    cast = build_cast(password=PASSWORD)
    therapist = cast.therapist
    server = live_server_factory(smtp=smtp_server)
    errors: list[str] = []

    def owner_page(javascript: bool):  # type: ignore[no-untyped-def]
        context = browser.new_context(java_script_enabled=javascript)
        page = context.new_page()
        page.on("console", lambda m: errors.extend([m.text] if m.type == "error" else []))
        page.goto(server.url + "/accounts/sign-in/")
        page.fill("input[name=email]", cast.owner.user.email)
        page.fill("input[name=password]", PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(server.url + "/dashboard/**")
        page.goto(server.url + _profile_url(cast))
        return context, page

    # With the dialog: it lists the booked session, keep is chosen; the session stays, in person.
    context, page = owner_page(True)
    page.get_by_role("button", name="Switch off Teletherapy").click()
    dialog = page.get_by_role("dialog", name=f"Switch off Teletherapy for {therapist.name}?")
    assert "Casey Client" in dialog.locator(".confirm-items").inner_text()
    assert dialog.get_by_label("Keep them, as in-person appointments", exact=False).is_checked()
    dialog.get_by_role("button", name="Switch off Teletherapy").click()
    page.wait_for_url(server.url + _profile_url(cast))
    assert (
        "1 booked session kept as in-person appointments" in page.locator(".messages").inner_text()
    )
    assert page.locator(".teletherapy .tele-state").inner_text() == "Off"
    kept = Appointment.objects.get(pk=cast.tele_appointment.pk)
    assert not kept.is_teletherapy and kept.status == Appointment.Status.SCHEDULED
    changed = smtp_server.wait_for(to="casey.client@example.com")
    assert "Tess Therapist" in text_of(changed)
    context.close()

    # On again, a new session booked; then off without JavaScript, cancelling it.
    from teletherapy.practice.services import set_teletherapy

    set_teletherapy(staff=therapist, by=cast.owner, enabled=True)
    start = (timezone.now() + timedelta(days=2)).replace(minute=0, second=0, microsecond=0)
    booked = Appointment.objects.create(
        practice=cast.practice,
        therapist=therapist,
        client=cast.client_with_portal,
        start=start,
        end=start + timedelta(minutes=50),
        is_teletherapy=True,
        location=Appointment.Location.TELETHERAPY,
        created_by=therapist.user,
    )
    context, page = owner_page(False)
    page.get_by_role("button", name="Switch off Teletherapy").click()
    page.get_by_role("heading", name=f"Switch off Teletherapy for {therapist.name}?").wait_for()
    assert "Casey Client" in page.locator(".confirm-items").inner_text()
    page.get_by_label("Cancel them and email the clients").check()
    page.get_by_role("button", name="Switch off Teletherapy").click()
    page.wait_for_url(server.url + _profile_url(cast))
    assert "1 booked session cancelled" in page.locator(".messages").inner_text()
    booked.refresh_from_db()
    assert booked.status == Appointment.Status.CANCELLED
    cancelled = smtp_server.wait_for(to="casey.client@example.com", count=2)
    body = text_of(cancelled)
    assert "cancelled" in body and "switched off" not in body
    context.close()
    assert errors == []


@pytest.mark.django_db
@pytest.mark.parametrize("choice", [KEEP, CANCEL])
def test_a_series_gets_one_email_not_one_per_session(
    cast, choice, mailoutbox, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    from datetime import date, time

    from teletherapy.scheduling import recurrence, series

    with django_capture_on_commit_callbacks(execute=True):
        booked = series.book_series(
            therapist=cast.therapist,
            client=cast.client_with_portal,
            first_day=date(2027, 2, 23),
            at=time(10),
            repeats=recurrence.WEEKLY,
            count=5,
            is_teletherapy=True,
            by=cast.scheduler,
        )
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = cast.client_for("manager").post(
            f"{_profile_url(cast)}teletherapy/",
            {"enabled": "0", "confirmed": "yes", "booked": choice},
        )
    assert response.status_code == 302
    series_mail = [
        m
        for m in mailoutbox
        if "casey" in m.to[0] and f"series-{booked.pk}@" in ics_of(m).to_ical().decode()
    ]
    single = [m for m in mailoutbox if "casey" in m.to[0]]
    # The cast's own Teletherapy Session gets its email; the series one, whatever its length.
    assert len(single) == 2, [m.subject for m in single]
    assert len(series_mail) == 1
    booked.refresh_from_db()
    statuses = set(booked.occurrences.values_list("status", flat=True))
    if choice == KEEP:
        assert booked.is_teletherapy is False
        assert statuses == {Appointment.Status.SCHEDULED}
        assert not booked.occurrences.filter(is_teletherapy=True).exists()
    else:
        assert statuses == {Appointment.Status.CANCELLED}
        assert "METHOD:CANCEL" in ics_of(series_mail[0]).to_ical().decode()
