"""In a real browser against the real app: a therapist books a Teletherapy Session by choosing
a slot in My Schedule, switches another appointment to one, and the client is emailed; a
therapist without Teletherapy never sees the checkbox."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar

from teletherapy.lib.clock import day_text
from teletherapy.scheduling.models import Appointment
from teletherapy.test.browser import text_of
from teletherapy.test.personas import PASSWORD, build_cast

NEW_YORK = ZoneInfo("America/New_York")


def _sign_in(browser, url: str, email: str, errors: list[str]):
    context = browser.new_context(viewport={"width": 1280, "height": 1600})
    page = context.new_page()
    page.on("console", lambda msg: errors.extend([msg.text] if msg.type == "error" else []))
    page.goto(url + "/accounts/sign-in/")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()
    return context, page


def _ics(message) -> Calendar:
    for part in message.iter_attachments():
        if part.get_content_type() == "text/calendar":
            content = part.get_content()
            return Calendar.from_ical(content if isinstance(content, bytes) else content.encode())
    raise AssertionError("no calendar attachment")


@pytest.mark.browser
def test_book_and_switch_to_teletherapy(browser, live_server_factory, smtp_server) -> None:
    cast = build_cast(password=PASSWORD)
    # Next week's Wednesday in New York: always in the future, clear of the cast's appointments.
    today = datetime.now(NEW_YORK).date()
    wednesday = today - timedelta(days=(today.weekday() + 1) % 7) + timedelta(days=10)
    office_start = datetime.combine(wednesday, time(13), tzinfo=NEW_YORK)
    Appointment.objects.create(
        practice=cast.practice,
        therapist=cast.therapist,
        client=cast.client_with_portal,
        start=office_start,
        end=office_start + timedelta(minutes=50),
    )
    server = live_server_factory(smtp=smtp_server)
    errors: list[str] = []

    context, page = _sign_in(browser, server.url, "tess@maple.test", errors)
    page.get_by_role("navigation", name="Main menu").get_by_role("link", name="My Schedule").click()
    page.get_by_role("link", name="Next week").click()
    assert page.get_by_text("Times in America/New York").is_visible()

    # Keyboard: focus the slot and press Enter; the form opens in a dialog.
    slot = page.get_by_role("link", name=f"New appointment, {day_text(wednesday)}, 10:00 AM")
    slot.focus()
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog")
    dialog.get_by_role("heading", name="New appointment").wait_for()
    assert dialog.get_by_label("Time", exact=True).input_value() == "10:00"
    assert dialog.get_by_label("Duration (minutes)").input_value() == "50"
    # A client without a portal account: the dialog says so and offers the invite.
    notice = dialog.get_by_text("Client can't join yet: no client portal account")
    dialog.get_by_label("Client").select_option(label="Noportal, Nora (no portal account)")
    assert not notice.is_visible()
    dialog.get_by_label("Teletherapy Session").check()
    assert notice.is_visible()
    invite = dialog.get_by_role("button", name="Send invite")
    assert invite.is_visible()
    assert invite.evaluate("b => b.form.action").endswith(
        f"/clients/{cast.client_without_portal.pk}/portal/invite/"
    )
    # One control: no Location menu to keep in step with it.
    assert dialog.get_by_label("Location").count() == 0
    dialog.get_by_label("Client").select_option(label="Client, Casey")
    assert not notice.is_visible()
    dialog.get_by_role("button", name="Save").click()

    booked = page.get_by_role("link", name="10:00 AM–10:50 AM EST Casey Client Teletherapy")
    booked.wait_for()
    assert page.get_by_text("as a Teletherapy Session").is_visible()
    message = smtp_server.wait_for(to="casey.client@example.com")
    assert "Sign in to your client portal to join, from 15 minutes before the start" in text_of(
        message
    )
    assert _ics(message)["METHOD"] == "REQUEST"

    # Bad input keeps the dialog and what was typed: book over the new session.
    page.get_by_role("link", name=f"New appointment, {day_text(wednesday)}, 11:00 AM").click()
    dialog.get_by_label("Client").select_option(label="Client, Casey")
    dialog.get_by_label("Duration (minutes)").fill("300")
    dialog.get_by_role("button", name="Save").click()
    dialog.get_by_text("The duration must be between 15 and 240 minutes.").wait_for()
    assert dialog.get_by_label("Duration (minutes)").input_value() == "300"
    dialog.get_by_role("button", name="Close").click()

    # Open the office appointment and switch it to a Teletherapy Session.
    page.get_by_role("link", name="1:00 PM–1:50 PM EST Casey Client").click()
    page.get_by_role("link", name="Edit").click()
    page.get_by_label("Teletherapy Session").check()
    page.get_by_role("button", name="Save").click()
    page.get_by_text("Appointment saved.").wait_for()
    assert page.locator("dt:text('Teletherapy Session?') + dd").inner_text() == "Yes"
    changed = smtp_server.wait_for(to="casey.client@example.com", count=2)
    calendar = _ics(changed)
    event = next(iter(calendar.walk("VEVENT")))
    assert event["SEQUENCE"] == 1
    page.get_by_role("link", name="History").click()
    assert page.get_by_text("Teletherapy Session? Yes").is_visible()

    # Drag it to 3:00 PM the same day; it keeps its 50 minutes and the client is told.
    page.get_by_role("link", name="← My Schedule").click()
    session = page.get_by_role("link", name="1:00 PM–1:50 PM EST Casey Client Teletherapy")
    target = page.get_by_role("link", name=f"New appointment, {day_text(wednesday)}, 3:00 PM")
    target.scroll_into_view_if_needed()
    session.hover()
    page.mouse.down()
    box = session.bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + box["width"] / 2 + 8, box["y"] + box["height"] / 2 + 8)
    target.hover()
    target.hover()  # a second move, so Chromium sends dragover to the slot
    page.mouse.up()
    page.get_by_role("link", name="3:00 PM–3:50 PM EST Casey Client Teletherapy").wait_for()
    assert page.get_by_text("Moved Casey Client to").is_visible()
    moved = smtp_server.wait_for(to="casey.client@example.com", count=3)
    assert next(iter(_ics(moved).walk("VEVENT")))["SEQUENCE"] == 2
    context.close()

    # A therapist without Teletherapy gets the same dialog without the checkbox.
    context, page = _sign_in(browser, server.url, "paul@maple.test", errors)
    page.goto(server.url + "/schedule/")
    page.get_by_role("link", name="Next week").click()
    page.get_by_role("link", name=f"New appointment, {day_text(wednesday)}, 10:00 AM").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_role("heading", name="New appointment").wait_for()
    assert dialog.get_by_label("Teletherapy Session").count() == 0
    assert dialog.locator("option[value=teletherapy]").count() == 0
    context.close()
    assert errors == []
