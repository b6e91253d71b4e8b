"""In a real browser against the real app: a therapist adds a client and sends the invite; the
client signs up from the emailed link; the link is refused a second time and a day later,
when the practice's page offers a new one."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from teletherapy.clients.models import Client, PortalInvitation
from teletherapy.test.browser import text_of
from teletherapy.test.personas import PASSWORD, build_cast, make_client

CLIENT_PASSWORD = "a long and unusual passphrase 71"
EXPIRED = "This link has expired. Please ask your therapist's office to send a new one."


def _staff_sign_in(browser, url: str):
    context = browser.new_context()
    page = context.new_page()
    page.goto(url + "/accounts/sign-in/")
    page.fill("input[name=email]", "paul@maple.test")
    page.fill("input[name=password]", PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()
    return context, page


def _note_error(errors: list[str], msg) -> None:
    if msg.type == "error":
        errors.append(msg.text)


def _link_in(message) -> str:
    return re.search(r"http://\S+/portal/invite/\S+/", text_of(message)).group(0)  # type: ignore[union-attr]


@pytest.mark.browser
def test_invite_from_profile_to_portal_dashboard(browser, live_server_factory, smtp_server) -> None:
    cast = build_cast(password=PASSWORD)
    server = live_server_factory(smtp=smtp_server)
    errors: list[str] = []

    staff, page = _staff_sign_in(browser, server.url)
    page.on("console", lambda msg: _note_error(errors, msg))
    page.goto(server.url + "/clients/add/")
    page.fill("#id_first_name", "Rosa")
    page.fill("#id_last_name", "Reyes")
    page.fill("#id_date_of_birth", "1988-04-09")
    page.fill("#id_email", "rosa@example.com")
    page.fill("#id_street", "5 Pine Rd")
    page.fill("#id_city", "Denver")
    page.select_option("#id_state", "CO")
    # The time zone follows the state in the page, before anything is saved.
    assert page.input_value("#id_time_zone") == "America/Denver"
    page.fill("#id_zip_code", "80202")
    page.get_by_role("button", name="Add client").click()
    page.get_by_role("heading", name="Client Portal Login").wait_for()
    page.get_by_role("button", name="Send invite").click()
    page.get_by_text("Invite sent", exact=False).first.wait_for()

    message = smtp_server.wait_for(to="rosa@example.com")
    assert "Hello Rosa," in text_of(message)
    assert "(America/Denver)" in text_of(message)
    link = _link_in(message)
    assert link.startswith(server.url)

    rosa_context = browser.new_context()
    rosa = rosa_context.new_page()
    rosa.on("console", lambda msg: _note_error(errors, msg))
    rosa.goto(link)
    # The token left the address bar at once.
    assert rosa.url == server.url + "/portal/invite/"
    rosa.fill("#id_date_of_birth", "1988-04-09")
    rosa.get_by_role("button", name="Continue").click()
    rosa.fill("#id_username", "rosa")
    rosa.fill("#id_password1", CLIENT_PASSWORD)
    rosa.fill("#id_password2", CLIENT_PASSWORD)
    rosa.get_by_role("button", name="Create account").click()
    rosa.wait_for_url(server.url + "/portal/")
    assert rosa.get_by_role("heading", name="Dashboard").is_visible()
    assert rosa.get_by_text("Your Client Portal account is ready.").is_visible()
    rosa_context.close()

    # A second use of the same link is refused.
    again_context = browser.new_context()
    again = again_context.new_page()
    again.goto(link)
    assert again.get_by_text(EXPIRED).is_visible()
    again_context.close()

    # The practice sees the new account.
    page.reload()
    assert page.locator(".portal-username").inner_text() == "rosa"
    assert page.get_by_role("button", name="Send password reset link").is_visible()
    staff.close()
    assert errors == []
    assert Client.objects.get(last_name="Reyes").therapists.get() == cast.therapist_plain


@pytest.mark.browser
def test_link_refused_a_day_later_and_staff_page_offers_a_new_one(
    browser, live_server_factory, smtp_server
) -> None:
    cast = build_cast(password=PASSWORD)
    make_client(
        cast.practice, "Lee", "Later", therapists=[cast.therapist_plain], email="lee@example.com"
    )
    server = live_server_factory(smtp=smtp_server)
    staff, page = _staff_sign_in(browser, server.url)
    lee = Client.objects.get(last_name="Later")
    page.goto(f"{server.url}/clients/{lee.pk}/")
    page.get_by_role("button", name="Send invite").click()
    link = _link_in(smtp_server.wait_for(to="lee@example.com"))
    staff.close()
    server.stop()

    invite = PortalInvitation.objects.get(client=lee)
    later = live_server_factory(
        smtp=smtp_server, travel_to=invite.expires_at + timedelta(seconds=1)
    )
    link = link.replace(server.url, later.url)
    client_context = browser.new_context()
    client_page = client_context.new_page()
    client_page.goto(link)
    assert client_page.get_by_text(EXPIRED).is_visible()
    client_context.close()

    staff, page = _staff_sign_in(browser, later.url)
    page.goto(f"{later.url}/clients/{lee.pk}/")
    assert page.locator(".link-state").get_by_text("Invite expired").is_visible()
    page.get_by_role("button", name="Send new invite").click()
    fresh = _link_in(smtp_server.wait_for(to="lee@example.com", count=2))
    assert fresh != link
    staff.close()
