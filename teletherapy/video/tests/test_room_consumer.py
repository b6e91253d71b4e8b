"""Leave, hold and End for everyone through the real ASGI stack, and the session record they
leave: only the therapist may hold or end (the client is refused, nothing recorded), a Leave
keeps the session open, an end closes it exactly once however many ends race."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from channels.db import database_sync_to_async
from django.core.exceptions import PermissionDenied
from django.db import close_old_connections, connection
from django.test import Client as HttpClient

from teletherapy.audit.models import Action, AuditEvent
from teletherapy.video import services
from teletherapy.video.models import Participation, SessionEvent, VideoSession
from teletherapy.video.tests.test_consumer import _pair, joined, own_loop, socket

pytestmark = pytest.mark.django_db(transaction=True)


def _events(appointment: Any) -> list[str]:
    return list(
        SessionEvent.objects.filter(session__appointment=appointment).values_list("kind", flat=True)
    )


@own_loop
async def test_the_client_may_not_hold_or_end(cast, located) -> None:
    client, therapist = await _pair(cast, located)
    for kind in ("hold", "resume", "end"):
        await client.send_json_to({"type": kind})
        assert await client.receive_json_from() == {"type": "error", "code": "not_therapist"}
    assert await therapist.receive_nothing()
    # The call goes on, and nothing was recorded.
    await client.send_json_to({"type": "media", "audio": True, "video": False})
    assert (await therapist.receive_json_from())["type"] == "peer-media"
    session = await database_sync_to_async(VideoSession.objects.get)(appointment=located)
    assert session.closed_at is None and session.on_hold_since is None
    assert await database_sync_to_async(_events)(located) == []
    await client.disconnect()
    await therapist.disconnect()


@own_loop
async def test_hold_and_resume_reach_both_and_are_recorded(cast, located) -> None:
    client, therapist = await _pair(cast, located)
    await therapist.send_json_to({"type": "hold"})
    assert await therapist.receive_json_from() == {"type": "hold", "on": True}
    assert await client.receive_json_from() == {"type": "hold", "on": True}
    # The client reloads while on hold: its welcome says so.
    await client.disconnect()
    assert await therapist.receive_json_from() == {"type": "peer-left", "ended": False}
    client, welcome = await joined(cast.client_with_portal.user, located.pk)
    assert welcome["on_hold"] is True
    assert (await therapist.receive_json_from())["type"] == "peer-joined"
    await therapist.send_json_to({"type": "resume"})
    assert await therapist.receive_json_from() == {"type": "hold", "on": False}
    assert await client.receive_json_from() == {"type": "hold", "on": False}

    def _record() -> tuple[list[tuple[str, int]], list[str]]:
        events = list(
            SessionEvent.objects.filter(session__appointment=located).values_list("kind", "by")
        )
        actions = list(
            AuditEvent.objects.filter(action__in=[Action.SESSION_HELD, Action.SESSION_RESUMED])
            .order_by("id")
            .values_list("action", flat=True)
        )
        return events, actions

    events, actions = await database_sync_to_async(_record)()
    therapist_id = cast.therapist.user.pk
    assert events == [("hold", therapist_id), ("resume", therapist_id)]
    assert actions == [Action.SESSION_HELD, Action.SESSION_RESUMED]
    await client.disconnect()
    await therapist.disconnect()


@own_loop
async def test_leave_keeps_the_session_open_and_a_rejoin_takes_the_same_seat(cast, located) -> None:
    client, therapist = await _pair(cast, located)
    await client.send_json_to({"type": "leave"})
    assert await client.receive_json_from() == {"type": "left"}
    assert await therapist.receive_json_from() == {"type": "peer-left", "ended": True}
    client, welcome = await joined(cast.client_with_portal.user, located.pk)
    assert welcome["peer_present"] is True
    assert (await therapist.receive_json_from())["type"] == "peer-joined"

    def _present() -> list[str]:
        return sorted(
            Participation.objects.filter(
                session__appointment=located, left_at__isnull=True
            ).values_list("role", flat=True)
        )

    assert await database_sync_to_async(_present)() == ["client", "therapist"]
    await client.disconnect()
    await therapist.disconnect()


@own_loop
async def test_end_for_everyone_closes_every_connection_and_the_session(cast, located) -> None:
    client, therapist = await _pair(cast, located)
    await therapist.send_json_to({"type": "end"})
    assert await therapist.receive_json_from() == {"type": "ended"}
    assert await client.receive_json_from(timeout=5) == {"type": "session-ended"}
    assert (await client.receive_output(timeout=5))["type"] == "websocket.close"
    # No one gets back in.
    again = await socket(cast.client_with_portal.user, located.pk)
    connected, code = await again.connect()
    assert not connected and code == 4403
    session = await database_sync_to_async(VideoSession.objects.get)(appointment=located)
    assert session.closed_at is not None and session.closed_by_id == cast.therapist.user.pk
    assert session.ended_at is not None
    assert await database_sync_to_async(_events)(located) == ["end"]
    await therapist.disconnect()


def test_the_end_form_asks_then_ends_and_the_join_links_say_so(cast, located) -> None:
    http = cast.client_for("therapist")
    url = f"/sessions/{located.pk}/end/"
    asked = http.post(url)
    assert asked.status_code == 200
    assert b"End the session for everyone?" in asked.content
    assert b"No one can join this session again." in asked.content
    assert VideoSession.objects.get(appointment=located).closed_at is None
    done = http.post(url, {"confirmed": "yes"})
    assert done.status_code == 302 and done["Location"] == "/dashboard/"
    assert VideoSession.objects.get(appointment=located).closed_at is not None
    page = http.get(f"/sessions/{located.pk}/")
    assert page.status_code == 403 and b"This session has ended." in page.content
    client_http = HttpClient()
    client_http.force_login(cast.client_with_portal.user)
    for path in (f"/portal/sessions/{located.pk}/", f"/portal/sessions/{located.pk}/room/"):
        response = client_http.get(path)
        assert response.status_code == 403 and b"This session has ended." in response.content
    # A second end (another tab) is the same page, not a second closing.
    assert http.post(url, {"confirmed": "yes"}).status_code == 403
    assert _events(located) == ["end"]


def _concurrent_ends(cast: Any, appointment: Any, threads: int) -> list[bool]:
    barrier = threading.Barrier(threads)
    results: list[bool] = []
    errors: list[BaseException] = []

    def end() -> None:
        try:
            barrier.wait(timeout=30)
            results.append(
                services.end_for_everyone(appointment=appointment, by=cast.therapist.user)
            )
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            close_old_connections()

    workers = [threading.Thread(target=end) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    assert not errors, errors
    return results


def _assert_closed_once(appointment: Any) -> None:
    assert _events(appointment) == ["end"]
    ends = AuditEvent.objects.filter(action=Action.SESSION_ENDED, object_id=str(appointment.pk))
    assert ends.count() == 1


def test_concurrent_ends_close_the_record_once_on_sqlite(cast, located) -> None:
    if connection.vendor != "sqlite":
        pytest.skip("the PostgreSQL run has its own test")
    results = _concurrent_ends(cast, located, threads=4)
    assert sorted(results) == [False, False, False, True]
    _assert_closed_once(located)


@pytest.mark.postgres
def test_concurrent_ends_close_the_record_once_on_postgresql(cast, located) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("needs DATABASE_URL pointing at PostgreSQL")
    results = _concurrent_ends(cast, located, threads=8)
    assert sorted(results) == [False] * 7 + [True]
    _assert_closed_once(located)


def test_only_the_therapist_may_end(cast, located) -> None:
    for user in (cast.client_with_portal.user, cast.owner.user):
        with pytest.raises(PermissionDenied):
            services.end_for_everyone(appointment=located, by=user)
    assert VideoSession.objects.get(appointment=located).closed_at is None


def test_history_shows_hold_and_end(cast, located, rf) -> None:
    from django.template.loader import render_to_string

    session = VideoSession.objects.get(appointment=located)
    row = Participation.objects.create(
        session=session, user=cast.therapist.user, role="therapist", channel_name="x"
    )
    services.set_hold(participation_id=row.pk, on=True)
    services.set_hold(participation_id=row.pk, on=True)  # already on hold: nothing more
    services.set_hold(participation_id=row.pk, on=False)
    services.end_for_everyone(appointment=located, by=cast.therapist.user)
    # Once ended for everyone, a late hold is refused, not announced.
    with pytest.raises(PermissionDenied):
        services.set_hold(participation_id=row.pk, on=True)
    request = rf.get("/")
    request.user = cast.owner.user
    html = render_to_string(
        "video/_appointment_history.html", {"appointment": located}, request=request
    )
    assert html.count("Put the client on hold") == 1
    assert "Brought the client back" in html and "Ended the session for everyone" in html
