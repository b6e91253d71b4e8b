"""End to end in real browsers: a parent, guardian of a minor, is prompted on their own portal
Dashboard, checks their devices, says where they are, waits in the Telehealth Waiting Room and
has the Teletherapy Session with the therapist (video and audio both ways); removed as the
guardian mid-call, they are cut off at once. Runs inside scripts/netns-run with the test
coturn (Chromium gathers no loopback ICE candidates).

With TT_SCREENS_DIR set, the screenshot test saves the client form with guardians and the
guardian's Dashboard at 1280 and 375 px there."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from teletherapy.clients import services
from teletherapy.test.personas import PASSWORD, make_client
from teletherapy.video.tests.conftest import make_tele_appointment
from teletherapy.video.tests.test_call_browser import (
    needs_netns,
    sign_in_client,
    sign_in_staff,
    wait_for_media,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _family(cast: Any) -> tuple[Any, Any]:
    parent = make_client(
        cast.practice,
        "Gail",
        "Guardian",
        therapists=[cast.therapist],
        username="gail",
        password=PASSWORD,
    )
    minor = make_client(
        cast.practice,
        "Mina",
        "Minor",
        therapists=[cast.therapist],
        is_minor=True,
        date_of_birth=date(2014, 6, 1),
    )
    services.update_client(client=minor, by=cast.manager, fields={}, guardians=[parent])
    for user in (cast.therapist.user, cast.manager.user):
        user.set_password(PASSWORD)
        user.save()
    return parent, minor


@pytest.mark.netns
@needs_netns
def test_a_parent_joins_their_minors_session_from_their_own_portal(
    cast, browser, live_server_factory
) -> None:
    parent, minor = _family(cast)
    call = make_tele_appointment(cast, client=minor)
    # The guardian is removed from this test's process, whose in-memory channel layer is not
    # the server's: there the removal is found by the periodic full check, made frequent
    # here. The pushed revoke (at once, across processes) is test_guardian_revoke.py's.
    base = live_server_factory(env={"SIGNALING_ACCESS_RECHECK_SECONDS": "2"}).url
    contexts = [browser.new_context() for _ in range(2)]
    therapist, guardian = (context.new_page() for context in contexts)
    try:
        sign_in_staff(therapist, base, cast.therapist.user.email)
        sign_in_client(guardian, base, "gail")

        # The guardian's own Dashboard lists and prompts the minor's session.
        guardian.goto(f"{base}/portal/")
        expect(guardian.locator(".ward-session")).to_have_text(
            "Mina Minor's session with Tess Therapist"
        )
        prompt = guardian.locator(
            ".session-prompt", has_text="Mina Minor's Teletherapy session with Tess Therapist"
        )
        expect(prompt).to_contain_text("is ready")

        # Device check, where they are, the Waiting Room: as themselves.
        prompt.get_by_role("link", name="Join session").click()
        guardian.get_by_role("button", name="Allow camera and microphone").click()
        expect(guardian.locator("#device-status")).to_contain_text("work", timeout=30_000)
        guardian.select_option("select[name=location]", "NJ")
        guardian.get_by_role("button", name="Join session").click()
        guardian.wait_for_url(f"{base}/portal/sessions/{call.pk}/room/")
        expect(guardian.locator(".session-for")).to_have_text("Mina Minor")
        expect(guardian.locator("#waiting-status")).to_have_text(
            "Waiting for Tess Therapist to join"
        )

        therapist.goto(f"{base}/dashboard/")
        therapist.locator(".session-prompt").get_by_role("link", name="Start").click()
        therapist.wait_for_url(f"{base}/sessions/{call.pk}/")
        therapist.get_by_role("button", name="Allow camera and microphone").click()
        expect(therapist.locator("#device-status")).to_contain_text("work", timeout=30_000)
        therapist.get_by_role("button", name="Start", exact=True).click()
        expect(therapist.locator("#client-location")).to_contain_text("New Jersey")

        # Each sees and hears the other.
        for page in (therapist, guardian):
            summary = wait_for_media(page, timeout=60)
            assert summary["framesDecoded"] > 0 and summary["audioPacketsReceived"] > 0

        # Removed as the guardian mid-call: cut off at once, the therapist stays.
        services.update_client(client=minor, by=cast.manager, fields={}, guardians=[])
        expect(guardian.locator("#call-ended")).to_contain_text(
            "can't be joined now", timeout=15_000
        )
        response = guardian.goto(f"{base}/portal/sessions/{call.pk}/room/")
        assert response is not None and response.status == 404
        guardian.goto(f"{base}/portal/")
        expect(guardian.locator(".ward-session")).to_have_count(0)
    finally:
        for context in contexts:
            context.close()


def test_screens_of_the_form_and_the_guardians_dashboard(
    cast, browser, live_server_factory
) -> None:
    """The client form with guardians and the guardian's Dashboard fit a 375 px phone (no
    sideways scrolling) and a 1280 px screen; saved under TT_SCREENS_DIR when set."""
    parent, minor = _family(cast)
    make_tele_appointment(cast, client=minor)
    base = live_server_factory().url
    out = Path(os.environ["TT_SCREENS_DIR"]) if os.environ.get("TT_SCREENS_DIR") else None
    for width in (1280, 375):
        context = browser.new_context(viewport={"width": width, "height": 900})
        try:
            staff = context.new_page()
            sign_in_staff(staff, base, cast.manager.user.email)
            staff.goto(f"{base}/clients/{minor.pk}/edit/")
            expect(staff.get_by_label("This client is a minor")).to_be_checked()
            expect(staff.get_by_label("Guardian 1")).to_have_value(str(parent.pk))
            staff.locator("#minor-guardians").scroll_into_view_if_needed()
            assert staff.evaluate("document.documentElement.scrollWidth <= innerWidth + 1")
            if out is not None:
                out.mkdir(parents=True, exist_ok=True)
                staff.locator("#minor-guardians").screenshot(path=out / f"client-form-{width}.png")
            # The portal in a browser of its own (one sign-in per browser).
            context.close()
            context = browser.new_context(viewport={"width": width, "height": 900})
            portal = context.new_page()
            sign_in_client(portal, base, "gail")
            portal.goto(f"{base}/portal/")
            expect(portal.locator(".ward-session")).to_contain_text("Mina Minor's session")
            expect(portal.locator(".session-prompt")).to_contain_text("is ready")
            assert portal.evaluate("document.documentElement.scrollWidth <= innerWidth + 1")
            if out is not None:
                portal.screenshot(path=out / f"guardian-dashboard-{width}.png", full_page=True)
        finally:
            context.close()


def _guardian_check_in(page: Any, base: str, call_id: int, prompt_text: str) -> None:
    """From the portal Dashboard's prompt through the device check into the Waiting Room."""
    page.goto(f"{base}/portal/")
    prompt = page.locator(".session-prompt", has_text=prompt_text)
    expect(prompt).to_contain_text("is ready", timeout=30_000)
    prompt.get_by_role("link", name="Join session").click()
    page.get_by_role("button", name="Allow camera and microphone").click()
    expect(page.locator("#device-status")).to_contain_text("work", timeout=30_000)
    page.select_option("select[name=location]", "NJ")
    page.get_by_role("button", name="Join session").click()
    page.wait_for_url(f"{base}/portal/sessions/{call_id}/room/")
    expect(page.locator("#waiting-status")).to_have_text(
        "Waiting for Tess Therapist to join", timeout=30_000
    )


@pytest.mark.netns
@needs_netns
def test_a_minor_with_a_login_and_their_guardian_join_from_their_own_portals(
    cast, browser, live_server_factory
) -> None:
    """Three people: the minor (the practice lets them sign in) and their guardian each from
    their own portal, with the therapist; everyone decodes everyone else's video."""
    from teletherapy.video.tests.test_mesh_call_browser import wait_for_peers

    parent = make_client(
        cast.practice,
        "Gail",
        "Guardian",
        therapists=[cast.therapist],
        username="gail",
        password=PASSWORD,
    )
    minor = make_client(
        cast.practice,
        "Mina",
        "Minor",
        therapists=[cast.therapist],
        username="mina",
        password=PASSWORD,
        is_minor=True,
        minor_may_sign_in=True,
        email="mina@example.com",
        date_of_birth=date(2011, 6, 1),
    )
    services.update_client(client=minor, by=cast.manager, fields={}, guardians=[parent])
    cast.therapist.user.set_password(PASSWORD)
    cast.therapist.user.save()
    call = make_tele_appointment(cast, client=minor)
    base = live_server_factory().url
    contexts = [browser.new_context() for _ in range(3)]
    therapist, mina, gail = (context.new_page() for context in contexts)
    try:
        sign_in_staff(therapist, base, cast.therapist.user.email)
        sign_in_client(mina, base, "mina")
        sign_in_client(gail, base, "gail")
        _guardian_check_in(mina, base, call.pk, "Your Teletherapy session with Tess Therapist")
        _guardian_check_in(
            gail, base, call.pk, "Mina Minor's Teletherapy session with Tess Therapist"
        )

        therapist.goto(f"{base}/dashboard/")
        therapist.locator(".session-prompt").get_by_role("link", name="Start").click()
        therapist.wait_for_url(f"{base}/sessions/{call.pk}/")
        therapist.get_by_role("button", name="Allow camera and microphone").click()
        expect(therapist.locator("#device-status")).to_contain_text("work", timeout=30_000)
        therapist.get_by_role("button", name="Start", exact=True).click()

        everyone = {"Tess Therapist", "Mina Minor", "Gail Guardian"}
        for page, me in (
            (therapist, "Tess Therapist"),
            (mina, "Mina Minor"),
            (gail, "Gail Guardian"),
        ):
            peers = wait_for_peers(page, everyone - {me}, timeout=90)
            assert all(p["framesDecoded"] > 0 for p in peers.values()), peers
    finally:
        for context in contexts:
            context.close()
