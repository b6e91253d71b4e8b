"""Scale-out: the therapist's pages come from one app process and the client's from another
(different ports), both on the test PostgreSQL and Redis. Each sees the prompt on their
Dashboard, and the call connects: the signaling crosses from one process to the other
through Redis. Runs in the services phase of scripts/test-in-netns."""

from __future__ import annotations

import os

import pytest
from playwright.sync_api import expect

from teletherapy.video.tests.conftest import make_tele_appointment
from teletherapy.video.tests.test_call_browser import (
    _passwords,
    sign_in_client,
    sign_in_staff,
    wait_for_media,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.netns,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not os.environ.get("TT_NETNS_ADDR") or not os.environ.get("REDIS_URL"),
        reason="needs the private network namespace, PostgreSQL and Redis: run under "
        "scripts/netns-run scripts/test-in-netns",
    ),
]


def test_a_call_between_two_app_processes(cast, browser, live_server_factory) -> None:  # type: ignore[no-untyped-def]
    from django.db import connection

    assert connection.vendor == "postgresql"
    call = make_tele_appointment(cast)
    _passwords(cast.therapist.user, cast.client_with_portal.user)
    redis = {"REDIS_URL": os.environ["REDIS_URL"]}
    one, two = live_server_factory(env=redis), live_server_factory(env=redis)
    assert one.url != two.url
    contexts = [browser.new_context() for _ in range(2)]
    therapist, client = (context.new_page() for context in contexts)
    try:
        sign_in_staff(therapist, one.url, cast.therapist.user.email)
        sign_in_client(client, two.url, "casey")

        therapist.goto(f"{one.url}/dashboard/")
        expect(therapist.locator(".session-prompt")).to_contain_text(
            "Your Teletherapy session with Casey Client"
        )
        client.goto(f"{two.url}/portal/")
        client_prompt = client.locator(
            ".session-prompt", has_text="Your Teletherapy session with Tess Therapist"
        )
        expect(client_prompt).to_contain_text("is ready")

        # The client waits on process two ...
        client_prompt.get_by_role("link", name="Join session").click()
        client.get_by_role("button", name="Allow camera and microphone").click()
        expect(client.locator("#device-status")).to_contain_text("work", timeout=10000)
        client.select_option("select[name=location]", "NJ")
        client.get_by_role("button", name="Join session").click()
        client.wait_for_url(f"{two.url}/portal/sessions/{call.pk}/room/")
        expect(client.locator("#waiting-status")).to_have_text("Waiting for Tess Therapist to join")

        # ... and the therapist starts on process one; the call connects across them.
        therapist.locator(".session-prompt").get_by_role("link", name="Start").click()
        therapist.wait_for_url(f"{one.url}/sessions/{call.pk}/")
        therapist.get_by_role("button", name="Allow camera and microphone").click()
        expect(therapist.locator("#device-status")).to_contain_text("work", timeout=10000)
        therapist.get_by_role("button", name="Start", exact=True).click()
        assert "New Jersey" in therapist.locator("#client-location").inner_text()
        for page in (therapist, client):
            wait_for_media(page)
            assert page.locator("#waiting-room").is_hidden()
        # Each process served its own person's WebSocket.
        assert f"/ws/sessions/{call.pk}/" in one.log()
        assert f"/ws/sessions/{call.pk}/" in two.log()
    finally:
        for context in contexts:
            context.close()
