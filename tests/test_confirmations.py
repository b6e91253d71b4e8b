"""Destructive actions ask first: deactivating a staff member or a client, switching
Teletherapy off, cancelling an appointment. Without JavaScript the server answers a page that
asks (and changes nothing); its form, sent, does the action. With JavaScript the same question
comes in a <dialog>, and nothing is sent until it is answered yes."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest
from django.conf import settings
from django.urls import reverse
from playwright.sync_api import expect

from teletherapy.scheduling.models import Appointment
from teletherapy.test.personas import Cast, build_cast

HIDDEN = re.compile(r'<input type="hidden" name="([a-z_]+)" value="([^"]*)">')


def _ask_then_confirm(cast: Cast, persona: str, url: str, data: dict[str, str]) -> str:
    """Post without confirming: a page that asks, whose form repeats the fields; post that."""
    http = cast.client_for(persona)
    response = http.post(url, data)
    assert response.status_code == 200
    page = response.content.decode()
    assert f'action="{url}"' in page
    # The asking form's own fields (the page's other forms, such as the alert tray's, aside).
    form = page[page.index(f'action="{url}"') :]
    form = form[: form.index("</form>")]
    fields = {
        name: html.unescape(value)
        for name, value in HIDDEN.findall(form)
        if name != "csrfmiddlewaretoken"
    }
    assert fields == {**data, "confirmed": "yes"}
    assert http.post(url, fields).status_code == 302
    return page


@pytest.mark.django_db
def test_deactivating_a_staff_member_asks_first(cast) -> None:  # type: ignore[no-untyped-def]
    url = reverse("practice:staff_deactivate", args=[cast.biller.pk])

    def active() -> bool:
        cast.biller.user.refresh_from_db()
        return cast.biller.user.is_active

    http = cast.client_for("owner")
    http.post(url)
    assert active()
    page = _ask_then_confirm(cast, "owner", url, {})
    assert "Deactivate Bill Biller?" in page
    assert "signed out everywhere at once and can no longer sign in" in page
    assert not active()


@pytest.mark.django_db
def test_deactivating_a_client_asks_first(cast) -> None:  # type: ignore[no-untyped-def]
    client = cast.client_with_portal
    url = reverse("clients:deactivate", args=[client.pk])
    page = cast.client_for("manager").post(url).content.decode()
    client.refresh_from_db()
    assert client.is_active
    assert "Deactivate Casey Client?" in page
    assert "can no longer sign in to the Client Portal" in page
    _ask_then_confirm(cast, "manager", url, {})
    client.refresh_from_db()
    assert not client.is_active


@pytest.mark.django_db
def test_switching_teletherapy_off_asks_first_and_on_does_not(cast) -> None:  # type: ignore[no-untyped-def]
    url = reverse("practice:staff_teletherapy", args=[cast.therapist.pk])
    page = _ask_then_confirm(cast, "manager", url, {"enabled": "0"})
    assert "Switch off Teletherapy for Tess Therapist?" in page
    cast.therapist.refresh_from_db()
    assert not cast.therapist.teletherapy_enabled
    # Switching on has its own note to confirm in the page; it needs no second question.
    response = cast.client_for("manager").post(url, {"enabled": "1"})
    assert response.status_code == 302
    cast.therapist.refresh_from_db()
    assert cast.therapist.teletherapy_enabled


@pytest.mark.django_db
def test_cancelling_an_appointment_asks_first_and_keeps_the_reason(cast) -> None:  # type: ignore[no-untyped-def]
    appointment = cast.tele_appointment
    url = reverse("scheduling:appointment_cancel", args=[appointment.pk])
    page = _ask_then_confirm(cast, "scheduler", url, {"reason": 'Moved <away> & "on"'})
    assert "Cancel this appointment?" in page
    assert "The client is emailed that the Teletherapy Session is cancelled." in page
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.CANCELLED
    assert appointment.cancel_reason == 'Moved <away> & "on"'


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_dialog_asks_and_nothing_happens_until_yes(browser, live_server_factory) -> None:  # type: ignore[no-untyped-def]
    from tests.test_accessibility_browser import _session_key, _signed_in_context

    cast = build_cast()
    server = live_server_factory(env={"SECRET_KEY": settings.SECRET_KEY})
    context = _signed_in_context(browser, server.url, _session_key(cast, "owner"))
    page: Any = context.new_page()
    errors: list[str] = []
    page.on("console", lambda msg: errors.extend([msg.text] if msg.type == "error" else []))
    client = cast.client_without_portal
    page.goto(server.url + reverse("clients:detail", args=[client.pk]))

    deactivate = page.get_by_role("button", name="Deactivate")
    deactivate.focus()
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog", name="Deactivate Nora Noportal?")
    expect(dialog).to_contain_text("moves to the inactive clients")
    # "Go back" is where focus starts; it changes nothing and returns focus to the button.
    expect(dialog.get_by_role("button", name="Go back")).to_be_focused()
    page.keyboard.press("Enter")
    expect(dialog).to_be_hidden()
    expect(deactivate).to_be_focused()
    # Escape closes it too.
    deactivate.click()
    expect(dialog).to_be_visible()
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(deactivate).to_be_focused()
    client.refresh_from_db()
    assert client.is_active

    deactivate.click()
    dialog.get_by_role("button", name="Deactivate").click()
    expect(page.get_by_role("status")).to_contain_text("Nora Noportal is now inactive.")
    client.refresh_from_db()
    assert not client.is_active
    assert errors == []
    context.close()
