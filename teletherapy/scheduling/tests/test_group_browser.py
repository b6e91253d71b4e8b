"""In Chromium, by keyboard: a therapist books a couple's Teletherapy Session in the New
appointment dialog (Casey, and Nora who has no portal account yet), the dialog names who
can't join yet, the grid names both, each is emailed, and the appointment page offers Send
invite to Nora. Screenshots at 1280 px and on a 375 px phone (the page also fits 360 px)."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from teletherapy.lib.clock import day_text
from teletherapy.scheduling.models import Appointment
from teletherapy.test.personas import PASSWORD, build_cast

NEW_YORK = ZoneInfo("America/New_York")
SCREENS = Path("/work/wt/screens/group")


def _sign_in(browser, url: str, width: int, height: int):
    context = browser.new_context(
        viewport={"width": width, "height": height}, is_mobile=width < 400
    )
    page = context.new_page()
    page.set_default_timeout(30_000)
    page.goto(url + "/accounts/sign-in/")
    page.fill("input[name=email]", "tess@maple.test")
    page.fill("input[name=password]", PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url("**/dashboard/**")
    return context, page


def _shoot(page, name: str) -> None:
    if SCREENS.parent.is_dir():
        SCREENS.mkdir(exist_ok=True)
        page.screenshot(path=str(SCREENS / f"{name}.png"), full_page=True)


def _choose_couple_by_keyboard(page, scope) -> None:
    scope.get_by_label("Client", exact=True).focus()
    page.keyboard.type("Client")  # "Client, Casey": a select picks the option typed
    summary = scope.get_by_text("Couple or family: add clients")
    summary.focus()
    page.keyboard.press("Enter")  # opens the extra clients
    second = scope.get_by_label("Second person")
    second.wait_for()
    second.focus()
    page.keyboard.type("Noportal")
    scope.get_by_label("Teletherapy Session").focus()
    page.keyboard.press("Space")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_book_a_couple_by_keyboard(browser, live_server_factory, smtp_server) -> None:
    cast = build_cast(password=PASSWORD)
    nora = cast.client_without_portal
    today = datetime.now(NEW_YORK).date()
    wednesday = today - timedelta(days=(today.weekday() + 1) % 7) + timedelta(days=10)
    server = live_server_factory(smtp=smtp_server)
    errors: list[str] = []

    context, page = _sign_in(browser, server.url, 1280, 1200)
    page.on("console", lambda msg: errors.extend([msg.text] if msg.type == "error" else []))
    page.goto(
        f"{server.url}/schedule/?therapist={cast.therapist.pk}&view=week"
        f"&date={wednesday.isoformat()}"
    )
    slot = page.get_by_role("link", name=f"New appointment, {day_text(wednesday)}, 10:00 AM")
    slot.focus()
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog")
    dialog.get_by_role("heading", name="New appointment").wait_for()
    _choose_couple_by_keyboard(page, dialog)
    notice = dialog.get_by_text("Can't join yet, no client portal account: Noportal, Nora.")
    notice.wait_for()
    invite = dialog.get_by_role("button", name="Send invite to Noportal, Nora")
    assert invite.evaluate("b => b.form.action").endswith(f"/clients/{nora.pk}/portal/invite/")
    # The primary (billed) is the first unless chosen: the radios say so.
    assert dialog.get_by_label("The first").is_checked()
    _shoot(page, "dialog-two-clients-1280")
    dialog.get_by_role("button", name="Save").focus()
    page.keyboard.press("Enter")

    # A client without a portal account: the booking opens the appointment's page.
    page.get_by_role("heading", name="Casey Client & Nora Noportal").wait_for()
    assert page.get_by_text("Booked Casey Client & Nora Noportal on").is_visible()
    appointment = Appointment.objects.get(start__date=wednesday)
    assert [c.pk for c in appointment.all_clients()] == [cast.client_with_portal.pk, nora.pk]
    assert page.get_by_text("Casey Client (primary, billed)").is_visible()
    assert page.get_by_text("1 client can't join yet: no client portal account.").is_visible()
    assert page.get_by_role("button", name="Send invite to Nora Noportal").is_visible()
    _shoot(page, "appointment-details-1280")
    for address in ("casey.client@example.com", nora.email):
        message = smtp_server.wait_for(to=address)
        assert str(message["To"]) == address
    page.get_by_role("link", name="← My Schedule").click()
    page.get_by_role("link", name="Casey Client & Nora Noportal Teletherapy").wait_for()
    context.close()

    # On a phone: the same form (the plain page, no script needed), then the details.
    context, page = _sign_in(browser, server.url, 375, 812)
    page.goto(
        f"{server.url}/schedule/new/?therapist={cast.therapist.pk}"
        f"&date={wednesday.isoformat()}&time=14:00"
    )
    _choose_couple_by_keyboard(page, page.locator("main"))
    page.get_by_text("Can't join yet, no client portal account: Noportal, Nora.").wait_for()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    _shoot(page, "dialog-two-clients-375")
    page.goto(f"{server.url}/schedule/appointments/{appointment.pk}/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    _shoot(page, "appointment-details-375")
    page.set_viewport_size({"width": 360, "height": 740})
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    context.close()
    assert errors == []
