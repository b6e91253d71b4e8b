"""In Chromium against the real app: create a practice, add a therapist who sets a password
from the emailed link, switch on Teletherapy, and check who sees the switch."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from teletherapy.practice.models import Practice, StaffMember
from teletherapy.practice.views import CREDENTIALING_NOTE
from teletherapy.test.browser import text_of
from teletherapy.test.personas import PASSWORD, make_staff

OWNER_PASSWORD = "granite willow kettle 62"
THERAPIST_PASSWORD = "saffron bridge meadow 19"
SHOTS = os.environ.get("SCREENSHOT_DIR")


def _shot(page, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=f"{SHOTS}/{name}.png", full_page=True)


def _watch(page, errors: list[str]) -> None:
    # CSP violations and script errors show up as console errors.
    def on_console(msg) -> None:
        if msg.type == "error":
            errors.append(msg.text)

    page.on("console", on_console)
    page.on("pageerror", lambda exc: errors.append(str(exc)))


@pytest.mark.browser
def test_create_practice_invite_therapist_and_switch_on_teletherapy(
    browser, live_server_factory, smtp_server
) -> None:
    server = live_server_factory(smtp=smtp_server)
    errors: list[str] = []

    # The owner creates the practice from the home page and lands on the Dashboard.
    owner_context = browser.new_context()
    owner = owner_context.new_page()
    _watch(owner, errors)
    owner.goto(server.url + "/")
    owner.get_by_role("link", name="Create your practice").click()
    owner.fill("#id_practice_name", "Cedar Counseling")
    owner.select_option("#id_state", "NY")
    owner.select_option("#id_time_zone", "America/New_York")
    owner.fill("#id_owner_name", "Cora Cedar")
    owner.fill("#id_email", "cora@cedar.test")
    owner.fill("#id_password1", OWNER_PASSWORD)
    owner.fill("#id_password2", OWNER_PASSWORD)
    _shot(owner, "01-create-practice")
    owner.get_by_role("button", name="Create practice").click()
    owner.get_by_role("heading", name="Check your inbox").wait_for()
    # The practice is created from the link emailed to its Owner.
    confirm = re.search(
        r"http://\S+/create-practice/confirm/\S+/",
        text_of(smtp_server.wait_for(to="cora@cedar.test")),
    )
    assert confirm, "no confirmation link"
    owner.goto(confirm.group(0))
    owner.get_by_role("button", name="Create practice").click()
    owner.wait_for_url(server.url + "/dashboard/")
    assert owner.get_by_role("heading", name="Dashboard").is_visible()
    _shot(owner, "02-dashboard")

    # Practice Settings → Staff → Add staff member.
    owner.get_by_role("navigation", name="Main menu").get_by_role(
        "link", name="Practice Settings"
    ).click()
    owner.get_by_role("link", name="Staff", exact=True).wait_for()
    owner.get_by_role("link", name="Add staff member").click()
    owner.fill("#id_full_name", "Theo Thorn")
    owner.fill("#id_email", "theo@cedar.test")
    owner.get_by_label("Therapist", exact=True).check()
    owner.select_option("#id_time_zone", "America/Chicago")
    # Licensed states: a checkbox list with a filter; Enter ticks the only match.
    states = owner.get_by_role("group", name="Licensed U.S. states")
    states.get_by_label("Filter states").fill("illi")
    states.get_by_label("Filter states").press("Enter")
    states.get_by_label("Filter states").fill("")
    states.get_by_label("New York", exact=True).check()
    assert states.get_by_role("button", name="Remove Illinois").is_visible()
    assert states.get_by_role("button", name="Remove New York").is_visible()
    _shot(owner, "03-add-staff")
    owner.get_by_role("button", name="Add and send invitation").click()
    owner.get_by_text("We emailed Theo Thorn (theo@cedar.test) a link").wait_for()
    owner.get_by_role("link", name="Theo Thorn").click()
    owner.get_by_role("heading", name="Theo Thorn").wait_for()

    # The therapist opens the emailed link and sets a password.
    message = smtp_server.wait_for(to="theo@cedar.test")
    body = text_of(message)
    assert "Cedar Counseling" in body and "Hello Theo," in body
    link = re.search(r"http://\S+/invitation/\S+/", body).group(0)  # type: ignore[union-attr]
    therapist_context = browser.new_context()
    therapist = therapist_context.new_page()
    _watch(therapist, errors)
    therapist.goto(link)
    assert therapist.url == server.url + "/invitation/"  # the token left the address bar
    therapist.fill("#id_password1", THERAPIST_PASSWORD)
    therapist.fill("#id_password2", THERAPIST_PASSWORD)
    therapist.get_by_role("button", name="Set password and sign in").click()
    therapist.wait_for_url(server.url + "/dashboard/")

    # The owner switches on Teletherapy under Permissions and Roles → Therapist.
    owner.reload()
    assert owner.get_by_role("heading", name="Permissions and Roles").is_visible()
    note = owner.get_by_text(CREDENTIALING_NOTE)
    assert not note.is_visible()
    owner.get_by_text("Switch on Teletherapy", exact=True).click()
    note.wait_for()
    _shot(owner, "04-profile-note")
    owner.get_by_role("button", name="Confirm: switch on Teletherapy").click()
    owner.get_by_text("Teletherapy is now on for Theo Thorn.").wait_for()
    _shot(owner, "05-profile-on")
    theo = StaffMember.objects.get(user__username="theo@cedar.test")
    assert theo.has_teletherapy

    # The therapist's own Profile shows it, without the switch.
    therapist.get_by_role("navigation", name="Main menu").get_by_role(
        "link", name="Practice Settings"
    ).click()
    therapist.get_by_role("link", name="Theo Thorn").click()
    therapist.get_by_role("heading", name="Permissions and Roles").wait_for()
    assert therapist.locator(".teletherapy .tele-state").inner_text() == "On"
    assert therapist.get_by_text("Switch off Teletherapy").count() == 0
    _shot(therapist, "06-therapist-profile")

    # A Scheduler sees Theo's Profile but not the switch.
    practice = Practice.objects.get(name="Cedar Counseling")
    make_staff(practice, "sid@cedar.test", "Sid Scheduler", password=PASSWORD, is_scheduler=True)
    scheduler_context = browser.new_context()
    scheduler = scheduler_context.new_page()
    _watch(scheduler, errors)
    scheduler.goto(server.url + "/accounts/sign-in/")
    scheduler.fill("#id_email", "sid@cedar.test")
    scheduler.fill("#id_password", PASSWORD)
    scheduler.get_by_role("button", name="Sign in").click()
    scheduler.wait_for_url(server.url + "/dashboard/")
    scheduler.goto(server.url + f"/settings/staff/{theo.pk}/")
    scheduler.get_by_role("heading", name="Permissions and Roles").wait_for()
    assert scheduler.locator(".teletherapy .tele-state").inner_text() == "On"
    assert scheduler.get_by_role("button", name=re.compile("Teletherapy")).count() == 0
    assert scheduler.get_by_text("Switch on Teletherapy").count() == 0
    assert scheduler.locator("input[name=roles]").count() == 0
    _shot(scheduler, "07-scheduler-view")

    assert errors == []
    for context in (owner_context, therapist_context, scheduler_context):
        context.close()
