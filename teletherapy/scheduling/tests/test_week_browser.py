"""In Chromium, by keyboard only: book a weekly Teletherapy series from the New appointment
button (next free slot prefilled) and appointments from the time grid with the arrow keys (the grid is one Tab stop); after
saving, the focus is on the confirmation. And the Day view of all therapists for a
Manager, on a desktop and on a 360 px phone."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from teletherapy.lib.clock import day_text
from teletherapy.scheduling.models import Appointment
from teletherapy.test.personas import PASSWORD, build_cast

NEW_YORK = ZoneInfo("America/New_York")
DEADLINE = 30_000  # ms: the machine may be busy


def _sign_in(browser, url: str, email: str, errors: list[str], **options):
    context = browser.new_context(**({"viewport": {"width": 1280, "height": 1000}} | options))
    page = context.new_page()
    page.set_default_timeout(DEADLINE)
    page.on("console", lambda msg: errors.extend([msg.text] if msg.type == "error" else []))
    page.goto(url + "/accounts/sign-in/")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()
    return context, page


def _focused(page) -> str:
    """The focused element's accessible text (its label, else its text)."""
    return page.evaluate(
        "() => { const e = document.activeElement;"
        " return (e.getAttribute('aria-label') || e.innerText || e.textContent || '').trim(); }"
    )


def _tab_until(page, test: str, limit: int = 60) -> int:
    """Press Tab until `test` (a JS expression on the focused element `e`) holds; the count."""
    for count in range(1, limit + 1):
        page.keyboard.press("Tab")
        if page.evaluate(f"() => {{ const e = document.activeElement; return Boolean({test}); }}"):
            return count
    raise AssertionError(f"never reached {test} in {limit} Tab presses")


def _fill_dialog_by_keyboard(page, *, weekly_teletherapy: int = 0) -> None:
    """The dialog opened with the focus on Client: choose the first client, Tab to Save.
    With weekly_teletherapy=N: also tick Teletherapy Session and repeat it every week, N
    times, by keyboard."""
    dialog = page.get_by_role("dialog")
    dialog.get_by_role("heading", name="New appointment").wait_for()
    page.wait_for_function("() => document.activeElement.name === 'client'")
    page.keyboard.press("ArrowDown")
    assert dialog.get_by_label("Client").evaluate("s => s.selectedOptions[0].text") == (
        "Client, Casey"
    )
    if weekly_teletherapy:
        _tab_until(page, "e.name === 'teletherapy'", limit=30)
        page.keyboard.press("Space")
        _tab_until(page, "e.name === 'repeats'", limit=30)
        page.keyboard.type("Every week")  # a select picks the option typed
        _tab_until(page, "e.name === 'count'", limit=10)
        page.keyboard.press("Control+A")
        page.keyboard.type(str(weekly_teletherapy))
    _tab_until(page, "e.type === 'submit' && e.textContent.trim() === 'Save'", limit=30)
    page.keyboard.press("Enter")


def _confirmation_has_focus(page) -> str:
    page.wait_for_function(
        "() => document.activeElement.classList.contains('messages')", timeout=DEADLINE
    )
    return _focused(page)


@pytest.mark.browser
def test_keyboard_booking_from_the_button_and_from_the_grid(browser, live_server_factory) -> None:
    cast = build_cast(password=PASSWORD)
    server = live_server_factory()
    errors: list[str] = []
    context, page = _sign_in(browser, server.url, "tess@maple.test", errors)
    page.goto(server.url + "/schedule/?view=week")

    # The New appointment button, a few Tab presses from the top, with the next free slot.
    presses = _tab_until(page, "e.classList.contains('new-appointment')", limit=25)
    assert presses <= 20
    suggestion = page.locator("#next-free").inner_text()
    assert suggestion.startswith("Next free slot: ") and "(America/New York)" in suggestion
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog")
    dialog.get_by_role("heading", name="New appointment").wait_for()
    day = dialog.get_by_label("Date", exact=True).input_value()
    at = dialog.get_by_label("Time", exact=True).input_value()
    # A weekly Teletherapy series, four times, from the button.
    _fill_dialog_by_keyboard(page, weekly_teletherapy=4)
    message = _confirmation_has_focus(page)
    assert message.startswith("Booked 4 appointments for Casey Client"), message
    start = datetime.combine(
        datetime.fromisoformat(day).date(), time.fromisoformat(at), tzinfo=NEW_YORK
    )
    first = Appointment.objects.get(therapist=cast.therapist, start=start)
    assert first.series is not None and first.is_teletherapy
    starts = [o.start for o in first.series.occurrences.order_by("start")]
    local = datetime.combine(datetime.fromisoformat(day).date(), time.fromisoformat(at))
    assert starts == [(local + timedelta(weeks=n)).replace(tzinfo=NEW_YORK) for n in range(4)]

    # The grid: a week after the series (no appointments there), one Tab stop.
    today = datetime.now(NEW_YORK).date()
    sunday = today - timedelta(days=(today.weekday() + 1) % 7) + timedelta(weeks=6)
    tuesday = sunday + timedelta(days=2)
    page.goto(server.url + f"/schedule/?view=week&date={sunday.isoformat()}")
    grid = page.get_by_role("grid")
    assert grid.locator("[tabindex='0']").count() == 1
    presses = _tab_until(page, "e.closest('table[role=grid]')", limit=40)
    assert presses <= 25  # was 165 to reach Tuesday 4:00 PM
    # The grid starts on the first working time: Monday 8:00 AM.
    assert _focused(page) == f"New appointment, {day_text(sunday + timedelta(days=1))}, 8:00 AM"
    # Tab again leaves the grid: it is one Tab stop.
    page.keyboard.press("Tab")
    assert not page.evaluate("() => Boolean(document.activeElement.closest('table'))")
    page.keyboard.press("Shift+Tab")
    assert _focused(page) == f"New appointment, {day_text(sunday + timedelta(days=1))}, 8:00 AM"
    # Arrows: one day right, 32 quarter hours down (8:00 AM + 8 h = 4:00 PM).
    page.keyboard.press("ArrowRight")
    for _ in range(32):
        page.keyboard.press("ArrowDown")
    assert _focused(page) == f"New appointment, {day_text(tuesday)}, 4:00 PM"
    # Home: the row's time; End: Saturday, outside working hours (said in words).
    page.keyboard.press("End")
    saturday = sunday + timedelta(days=6)
    assert _focused(page) == (
        f"New appointment, {day_text(saturday)}, 4:00 PM, outside working hours"
    )
    page.keyboard.press("Home")
    assert _focused(page) == "4:00 PM"
    for _ in range(3):
        page.keyboard.press("ArrowRight")
    assert _focused(page) == f"New appointment, {day_text(tuesday)}, 4:00 PM"
    # PageDown: the week after, at the same place; PageUp back.
    page.keyboard.press("PageDown")
    page.wait_for_url(f"**date={(sunday + timedelta(days=7)).isoformat()}**")
    page.wait_for_function("() => document.activeElement.classList.contains('slot')")
    assert _focused(page) == f"New appointment, {day_text(tuesday + timedelta(days=7))}, 4:00 PM"
    page.keyboard.press("PageUp")
    page.wait_for_url(f"**date={sunday.isoformat()}**")
    page.wait_for_function("() => document.activeElement.classList.contains('slot')")
    assert _focused(page) == f"New appointment, {day_text(tuesday)}, 4:00 PM"
    # Enter books that time.
    page.keyboard.press("Enter")
    dialog.get_by_role("heading", name="New appointment").wait_for()
    assert dialog.get_by_label("Time", exact=True).input_value() == "16:00"
    assert dialog.get_by_label("Date", exact=True).input_value() == tuesday.isoformat()
    # A weekly Teletherapy series from the grid too, three times.
    _fill_dialog_by_keyboard(page, weekly_teletherapy=3)
    message = _confirmation_has_focus(page)
    assert message.startswith("Booked 3 appointments for Casey Client"), message
    expected = [
        datetime.combine(tuesday + timedelta(weeks=n), time(16), tzinfo=NEW_YORK) for n in range(3)
    ]
    booked = Appointment.objects.filter(therapist=cast.therapist, start__in=expected)
    assert booked.count() == 3
    assert all(a.is_teletherapy and a.series_id is not None for a in booked)
    assert len({a.series_id for a in booked}) == 1

    # Saturday is outside the working hours: the dialog asks, keeps the choices, and the
    # focus goes to the confirm checkbox.
    page.goto(server.url + f"/schedule/?view=week&date={sunday.isoformat()}")
    _tab_until(page, "e.closest('table[role=grid]')", limit=40)
    page.keyboard.press("End")
    assert (
        _focused(page) == f"New appointment, {day_text(saturday)}, 8:00 AM, outside working hours"
    )
    page.keyboard.press("Enter")
    _fill_dialog_by_keyboard(page)
    page.wait_for_function("() => document.activeElement.name === 'outside_hours_ok'")
    assert (
        dialog.get_by_role("alert")
        .inner_text()
        .startswith("This is outside Tess Therapist's working hours (Saturday: Not working")
    )
    assert dialog.get_by_label("Client").evaluate("s => s.selectedOptions[0].text") == (
        "Client, Casey"
    )
    assert dialog.get_by_label("Time", exact=True).input_value() == "08:00"
    page.keyboard.press("Space")
    _tab_until(page, "e.type === 'submit' && e.textContent.trim() === 'Save'", limit=30)
    page.keyboard.press("Enter")
    assert _confirmation_has_focus(page).startswith(f"Booked Casey Client on {day_text(saturday)}")
    assert Appointment.objects.filter(
        therapist=cast.therapist, start=datetime.combine(saturday, time(8), tzinfo=NEW_YORK)
    ).exists()
    context.close()
    assert errors == []


@pytest.mark.browser
def test_day_view_of_all_therapists_for_a_manager(browser, live_server_factory) -> None:
    cast = build_cast(password=PASSWORD)
    server = live_server_factory()
    errors: list[str] = []
    context, page = _sign_in(browser, server.url, "manager@maple.test", errors)
    page.goto(server.url + "/schedule/")
    page.get_by_role("link", name="All therapists, Day view").click()
    page.get_by_role("heading", name="All therapists, Day view").wait_for()
    grid = page.get_by_role("grid")
    headers = grid.get_by_role("columnheader").all_inner_texts()
    assert [h.strip() for h in headers] == ["Time", "Paul Plain", "Tess Therapist"]
    page.get_by_role("link", name="Next day").click()
    tomorrow = datetime.now(NEW_YORK).date() + timedelta(days=1)
    page.wait_for_url(f"**date={tomorrow.isoformat()}**")
    # Tess's two appointments, each on its own New York day (they are a day and two hours
    # from now, so at some hours on different days), once each.
    for appointment, name in (
        (cast.tele_appointment, "Casey Client"),
        (cast.office_appointment, "Nora Noportal"),
    ):
        day = appointment.start.astimezone(NEW_YORK).date()
        page.goto(f"{server.url}/schedule/day/?date={day.isoformat()}")
        grid.get_by_role("link", name=name).first.wait_for()
        assert grid.get_by_role("link", name=name).count() == 1
        assert appointment.therapist_id == cast.therapist.pk
    context.close()

    # On a 360 px phone: no sideways page scroll; the grid scrolls in its own frame.
    context, page = _sign_in(
        browser, server.url, "manager@maple.test", errors, viewport={"width": 360, "height": 740}
    )
    page.goto(server.url + "/schedule/day/")
    page.get_by_role("grid").wait_for()
    page.wait_for_function("() => document.documentElement.scrollWidth <= 360")
    frame = page.locator(".team-scroll")
    assert frame.evaluate("f => f.scrollWidth >= f.clientWidth")
    context.close()
    assert errors == []
