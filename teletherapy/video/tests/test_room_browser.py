"""The session room in real browsers (issue 10 items 3-6): chat over the peer connection's
data channel (and nothing of it on the server), Leave and rejoin into the same call, End for
everyone and what every page says afterwards, hold and resume (media stops and comes back,
measured with getStats), tile names and the timer. Runs inside scripts/netns-run."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from teletherapy.video.tests.conftest import make_tele_appointment
from teletherapy.video.tests.test_call_browser import (
    _passwords,
    needs_netns,
    sign_in_client,
    sign_in_staff,
    wait_for,
    wait_for_media,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.netns,
    needs_netns,
    pytest.mark.django_db(transaction=True),
]

SCREENS = Path("/work/wt/screens/room")


def _screenshot(page: Any, name: str, *, full_page: bool = False) -> None:
    if SCREENS.parent.is_dir():
        SCREENS.mkdir(exist_ok=True)
        page.screenshot(path=str(SCREENS / name), full_page=full_page)


def _setup(cast: Any, live_server_factory: Any, **fields: Any) -> tuple[Any, Any]:
    from teletherapy.video.models import VideoSession

    call = make_tele_appointment(cast, **fields)
    VideoSession.objects.create(appointment=call, client_location="NJ")
    _passwords(cast.therapist.user, cast.client_with_portal.user)
    return call, live_server_factory()


def _in_call(browser: Any, base: str, call: Any) -> tuple[Any, Any, Any, Any]:
    client_ctx = browser.new_context()
    client = client_ctx.new_page()
    sign_in_client(client, base, "casey")
    client.goto(f"{base}/portal/sessions/{call.pk}/room/")
    expect(client.locator("#waiting-status")).to_have_text("Waiting for Tess Therapist to join")
    # Alone in the Waiting Room: no Share screen, no Chat, no End.
    assert client.locator("#toggle-chat").is_hidden()
    therapist_ctx = browser.new_context()
    therapist = therapist_ctx.new_page()
    sign_in_staff(therapist, base, "tess@maple.test")
    therapist.goto(f"{base}/sessions/{call.pk}/")
    therapist.get_by_role("button", name="Start", exact=True).click()
    for page in (therapist, client):
        wait_for_media(page)
    return client_ctx, therapist_ctx, client, therapist


def _chat_open(page: Any) -> None:
    page.wait_for_function("() => window.__call.chat.state.channel?.readyState === 'open'")


def _database_text() -> str:
    """Every row of every table, as text: what a chat message would leave behind."""
    from django.db import connection

    out = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f'SELECT * FROM "{table}"')  # nosec B608 - table names from the schema
            out += [repr(row) for row in cursor.fetchall()]
    return "\n".join(out)


def test_chat_both_ways_peer_to_peer_and_nothing_kept(cast, browser, live_server_factory) -> None:
    call, server = _setup(cast, live_server_factory)
    client_ctx, therapist_ctx, client, therapist = _in_call(browser, server.url, call)
    secret_out = "Tess-to-Casey 7f3a see https://example.test/x"
    secret_back = "Casey-to-Tess 9c1e <b>not bold</b>"
    try:
        # Each tile names its person; the timer runs with the scheduled end.
        expect(therapist.locator(".remote-name")).to_have_text("Casey Client")
        expect(client.locator(".remote-name")).to_have_text("Tess Therapist")
        expect(therapist.locator("#call-timer")).to_contain_text(" · ends ")
        expect(therapist.locator("#end-note")).to_be_hidden()

        for page in (therapist, client):
            _chat_open(page)
        therapist.get_by_role("button", name="Chat").click()
        expect(therapist.get_by_label("Message to Casey Client")).to_be_focused()
        expect(therapist.locator("#chat-panel")).to_contain_text(
            "Messages go directly between you and Casey Client and are not saved."
        )
        therapist.get_by_label("Message to Casey Client").fill(secret_out)
        therapist.keyboard.press("Enter")
        expect(therapist.locator("#chat-log")).to_contain_text(secret_out)

        # The client, chat closed: an unread badge, the text announced politely.
        expect(client.locator("#chat-unread")).to_have_text("1")
        expect(client.get_by_role("button", name="Chat, 1 unread")).to_be_visible()
        expect(client.locator("#chat-announce")).to_have_text(f"Tess Therapist says: {secret_out}")
        client.get_by_role("button", name="Chat, 1 unread").click()
        expect(client.locator("#chat-unread")).to_be_hidden()
        expect(client.locator("#chat-log")).to_contain_text(secret_out)
        # A link is text, not a link; markup is text too.
        assert client.locator("#chat-log a").count() == 0
        client.get_by_label("Message to Tess Therapist").fill(secret_back)
        client.get_by_role("button", name="Send").click()
        expect(therapist.locator("#chat-log")).to_contain_text(secret_back)
        assert therapist.locator("#chat-log b").count() == 0

        # Too long: a clear message, the text kept in the box.
        long = "x" * 1001
        client.get_by_label("Message to Tess Therapist").fill(long)
        client.get_by_role("button", name="Send").click()
        expect(client.locator("#chat-problem")).to_contain_text(
            "Messages can be up to 1,000 characters; this one has 1,001."
        )
        assert client.get_by_label("Message to Tess Therapist").input_value() == long
        client.get_by_label("Message to Tess Therapist").fill("")

        # The video is not covered by the chat: on a 375 px phone it sits below the picture.
        _screenshot(therapist, "chat-desktop-1280.png")
        client.set_viewport_size({"width": 375, "height": 740})
        stage = client.locator(".stage").bounding_box()
        panel = client.locator("#chat-panel").bounding_box()
        assert stage and panel and panel["y"] >= stage["y"] + stage["height"] - 1, (stage, panel)
        assert (
            client.evaluate("getComputedStyle(document.getElementById('remote-video')).objectFit")
            == "contain"
        )
        client.get_by_label("Message to Tess Therapist").focus()
        _screenshot(client, "chat-phone-375.png", full_page=True)
    finally:
        therapist_ctx.close()
        client_ctx.close()
    # Nothing of it on the server: not in the database, not in the log.
    dumped = _database_text()
    log = server.log()
    for text in ("7f3a", "9c1e", "Tess-to-Casey", "Casey-to-Tess"):
        assert text not in dumped
        assert text not in log


def test_leave_and_rejoin_then_end_for_everyone(cast, browser, live_server_factory) -> None:
    from teletherapy.lib.clock import short_date_time_text, viewer_zone
    from teletherapy.video.models import Participation, SessionEvent, VideoSession

    call, server = _setup(cast, live_server_factory)
    base = server.url
    client_ctx, therapist_ctx, client, therapist = _in_call(browser, base, call)
    try:
        client.get_by_role("button", name="Leave").click()
        expect(client.locator("#call-ended-title")).to_have_text("You left the session")
        expect(client.locator("#call-ended-title")).to_be_focused()
        expect(client.locator("#call-ended")).to_contain_text("you can rejoin from your Dashboard")
        expect(therapist.locator("#waiting-status")).to_have_text(
            "Casey Client left the session. Waiting for Casey Client to join"
        )
        # Alone again: End and Share screen are not offered to the therapist.
        expect(therapist.locator("#end-call")).to_be_hidden()

        # Back from the Dashboard, into the same call.
        client.goto(f"{base}/portal/")
        client.locator(".session-prompt").get_by_role("link", name="Join session").click()
        client.get_by_role("button", name="Allow camera and microphone").click()
        client.select_option("select[name=location]", "NJ")
        client.get_by_role("button", name="Join session").click()
        for page in (therapist, client):
            wait_for_media(page)
        session = VideoSession.objects.get(appointment=call)
        present = Participation.objects.filter(session=session, left_at__isnull=True)
        assert sorted(present.values_list("role", flat=True)) == ["client", "therapist"]

        # End for everyone, after a question that names what happens.
        therapist.get_by_role("button", name="End session for everyone").click()
        confirm = therapist.get_by_role("dialog", name="End the session for everyone?")
        expect(confirm).to_contain_text("No one can join this session again.")
        confirm.get_by_role("button", name="End session").click()
        expect(therapist.locator("#call-ended-title")).to_have_text("You ended the session")
        expect(therapist.locator("#call-ended-title")).to_be_focused()
        expect(client.locator("#call-ended-title")).to_have_text("Tess Therapist ended the session")
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            session.refresh_from_db()
            if session.closed_at is not None:
                break
            time.sleep(0.2)
        assert session.closed_at is not None and session.ended_at is not None
        assert SessionEvent.objects.filter(session=session, kind="end").count() == 1
        assert not Participation.objects.filter(session=session, left_at__isnull=True).exists()

        # Afterwards: the client's Dashboard offers no Join and lists it nowhere as upcoming.
        client.goto(f"{base}/portal/")
        prompts = client.locator("#session-prompts")
        expect(prompts).to_contain_text("Your Teletherapy session with Tess Therapist")
        expect(prompts).to_contain_text("has ended")
        assert client.get_by_role("link", name="Join session").count() == 0
        when = short_date_time_text(call.start, viewer_zone(cast.client_with_portal))
        assert when not in client.locator("#upcoming-heading + *").inner_text()
        response = client.goto(f"{base}/portal/sessions/{call.pk}/")
        assert response is not None and response.status == 403
        expect(client.locator("main")).to_contain_text("This session has ended.")
        therapist.goto(f"{base}/dashboard/")
        expect(therapist.locator("#session-prompts")).to_contain_text("has ended")
        assert therapist.locator("#session-prompts").get_by_role("link", name="Start").count() == 0
        therapist.goto(f"{base}/sessions/{call.pk}/")
        expect(therapist.locator("main")).to_contain_text("This session has ended.")
    finally:
        therapist_ctx.close()
        client_ctx.close()


def _inbound_video(page: Any) -> int:
    return page.evaluate("async () => (await __call.summary()).framesDecoded")


def _stops_growing(page: Any, what: str, timeout: float = 30.0) -> int:
    """Wait until the page's inbound video frames stay the same over two seconds."""
    deadline = time.monotonic() + timeout
    before = _inbound_video(page)
    while time.monotonic() < deadline:
        page.wait_for_timeout(2000)
        now = _inbound_video(page)
        if now == before:
            return now
        before = now
    raise AssertionError(f"{what}: inbound video still growing after {timeout}s")


def test_hold_and_resume(cast, browser, live_server_factory) -> None:
    from teletherapy.video.models import SessionEvent

    call, server = _setup(cast, live_server_factory)
    client_ctx, therapist_ctx, client, therapist = _in_call(browser, server.url, call)
    try:
        therapist.get_by_role("button", name="Put on hold").click()
        expect(client.locator("#waiting-status")).to_have_text("Tess Therapist will be right back")
        expect(client.locator("#waiting-room")).to_be_visible()
        expect(therapist.locator("#peer-status")).to_have_text(
            "Casey Client is on hold in the Waiting Room"
        )
        held_client = _stops_growing(client, "the client on hold")
        held_therapist = _stops_growing(therapist, "the therapist holding")
        # While on hold it stays stopped.
        client.wait_for_timeout(1500)
        assert _inbound_video(client) == held_client

        therapist.get_by_role("button", name="Bring Casey Client back").click()
        wait_for(client, f"s.framesDecoded > {held_client} + 10")
        wait_for(therapist, f"s.framesDecoded > {held_therapist} + 10")
        expect(client.locator("#waiting-room")).to_be_hidden()
        expect(therapist.get_by_role("button", name="Put on hold")).to_be_visible()
        kinds = list(
            SessionEvent.objects.filter(session__appointment=call).values_list("kind", "by")
        )
        assert kinds == [
            ("hold", cast.therapist.user.pk),
            ("resume", cast.therapist.user.pk),
        ]
    finally:
        therapist_ctx.close()
        client_ctx.close()


def test_the_therapist_is_told_five_minutes_before_the_end(
    cast, browser, live_server_factory
) -> None:
    from datetime import timedelta

    from django.utils import timezone

    start = (timezone.now() - timedelta(minutes=46)).replace(microsecond=0)
    call, server = _setup(cast, live_server_factory, start=start, minutes=50)
    client_ctx, therapist_ctx, client, therapist = _in_call(browser, server.url, call)
    try:
        expect(therapist.locator("#end-note")).to_contain_text(
            "minutes left: the session is scheduled to end at"
        )
        expect(client.locator("#end-note")).to_have_count(0)
    finally:
        therapist_ctx.close()
        client_ctx.close()
