"""In Chromium, by keyboard only, on a 360 px phone: a scheduler books a client's weekly
Teletherapy series, is told which week collides, skips it, and the rest is booked."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from teletherapy.scheduling.models import Appointment, AppointmentSeries
from teletherapy.test.personas import PASSWORD, build_cast

NEW_YORK = ZoneInfo("America/New_York")
SCREENS = Path("/work/wt/screens/series")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_keyboard_series_with_a_collision_on_a_phone(browser, live_server_factory) -> None:
    cast = build_cast(password=PASSWORD)
    today = datetime.now(NEW_YORK).date()
    tuesday = today + timedelta(days=(1 - today.weekday()) % 7 + 7)
    blocked = datetime.combine(tuesday + timedelta(weeks=2), time(10, 30), tzinfo=NEW_YORK)
    Appointment.objects.create(
        practice=cast.practice,
        therapist=cast.therapist,
        client=cast.client_without_portal,
        start=blocked,
        end=blocked + timedelta(minutes=50),
    )
    server = live_server_factory()
    context = browser.new_context(viewport={"width": 360, "height": 740}, is_mobile=True)
    page = context.new_page()
    page.set_default_timeout(30_000)
    page.goto(server.url + "/accounts/sign-in/")
    page.fill("input[name=email]", "sam@maple.test")
    page.fill("input[name=password]", PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url("**/dashboard/**")
    page.goto(
        f"{server.url}/schedule/new/?therapist={cast.therapist.pk}"
        f"&date={tuesday.isoformat()}&time=10:00"
    )

    page.get_by_label("Client").focus()
    page.keyboard.type("Client")  # "Client, Casey": a select picks the option typed
    page.get_by_label("Teletherapy Session").focus()
    page.keyboard.press("Space")
    page.get_by_label("Repeats").focus()
    page.keyboard.type("Every week")
    page.keyboard.press("Tab")  # to Ends: "After a number of times" is chosen
    page.keyboard.press("Tab")  # to Number of times
    assert page.evaluate("document.activeElement.name") == "count"
    page.keyboard.press("Control+A")
    page.keyboard.type("6")
    page.keyboard.press("Enter")

    alert = page.locator("#collisions")
    alert.wait_for()
    when = f"{blocked:%A %B} {blocked.day}, {blocked.year}, 10:00 AM"
    assert when in alert.inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert not AppointmentSeries.objects.exists()
    SCREENS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENS / "collisions-360.png"), full_page=True)

    skip = alert.get_by_role("button", name="Skip it and book the rest")
    skip.focus()
    page.keyboard.press("Enter")
    page.get_by_text("Booked 5 appointments for Casey Client").wait_for()
    series = AppointmentSeries.objects.get()
    assert series.occurrences.count() == 5
    assert all(o.is_teletherapy for o in series.occurrences.all())
    context.close()
