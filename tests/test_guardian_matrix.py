"""The permission matrix's guardian rows: a minor's Teletherapy Session asked by its
guardian, a removed guardian, a client of the same practice who is neither, and another
practice's client, on every portal call route and the signaling socket, window closed and
open. The shared matrix (test_permission_matrix.py) keeps its fixed cast; these personas are
built on top of it here, and each cell is counted in the same TALLY."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.conf import settings
from django.test import Client as HttpClient
from django.urls import reverse

from teletherapy.clients import services
from teletherapy.test.matrix import ACCEPT, TALLY
from teletherapy.test.personas import Cast, make_client
from teletherapy.video.tests.conftest import make_tele_appointment

GUARDIAN_PERSONAS = ("guardian", "removed_guardian", "bystander", "other_client")

# Window closed (the session is tomorrow): the guardian sees it but may not join yet (403);
# everyone else does not see it at all (404), like another client's session.
CLOSED = {"guardian": 403, "removed_guardian": 404, "bystander": 404, "other_client": 404}
# Window open: the guardian gets in (the room first sends them to say where they are).
OPEN = {
    "check": {**CLOSED, "guardian": 200},
    "room": {**CLOSED, "guardian": 302},
    "ice": {**CLOSED, "guardian": 200},
}
WS_CLOSED = {"guardian": 4403, "removed_guardian": 4404, "bystander": 4404, "other_client": 4404}
WS_OPEN = {**WS_CLOSED, "guardian": ACCEPT}


def _family(cast: Cast) -> tuple[dict[str, Any], Any]:
    guardian = make_client(cast.practice, "Gail", "Guardian", username="gail")
    removed = make_client(cast.practice, "Rex", "Removed", username="rex")
    bystander = make_client(cast.practice, "Bea", "Bystander", username="bea")
    minor = make_client(cast.practice, "Mina", "Minor", is_minor=True, therapists=[cast.therapist])
    services.update_client(client=minor, by=cast.manager, fields={}, guardians=[guardian, removed])
    services.update_client(client=minor, by=cast.manager, fields={}, guardians=[guardian])
    start = cast.tele_appointment.start + timedelta(hours=4)
    call = make_tele_appointment(cast, client=minor, start=start)
    users = {
        "guardian": guardian.user,
        "removed_guardian": removed.user,
        "bystander": bystander.user,
        "other_client": cast.other_client.user,
    }
    return users, call


def _http(user: Any) -> HttpClient:
    http = HttpClient()
    http.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return http


@pytest.mark.django_db
def test_guardian_rows_on_the_call_routes(cast: Cast) -> None:
    users, call = _family(cast)
    wrong: list[str] = []
    for when, at in (("closed", None), ("open", call.start + timedelta(minutes=1))):
        travel = time_machine.travel(at, tick=True) if at else None
        if travel:
            travel.start()
        try:
            for name in ("check", "room", "ice"):
                url = reverse(f"portal_video:{name}", kwargs={"appointment_id": call.pk})
                for persona in GUARDIAN_PERSONAS:
                    got = _http(users[persona]).get(url).status_code
                    want = CLOSED[persona] if when == "closed" else OPEN[name][persona]
                    cell = f"{persona} GET {url} ({when})"
                    if not TALLY.check("http", cell, got, want):
                        wrong.append(f"{cell}: got {got}, expected {want}")
            # The Dashboard: only the guardian's lists the minor's session.
            for persona in GUARDIAN_PERSONAS:
                page = _http(users[persona]).get(reverse("portal:dashboard")).content.decode()
                shown = "Mina Minor" in page
                if not TALLY.check(
                    "http", f"{persona} dashboard ({when})", shown, persona == "guardian"
                ):
                    wrong.append(f"{persona} dashboard ({when}): minor shown={shown}")
        finally:
            if travel:
                travel.stop()
    assert not wrong, "\n".join(wrong)


async def _connect(path: str, cookie: str) -> str | int:
    from config.asgi import application
    from teletherapy.test.sockets import WebsocketCommunicator

    headers = [(b"origin", settings.SITE_URL.encode()), (b"cookie", f"sessionid={cookie}".encode())]
    ws = WebsocketCommunicator(application, path, headers=headers)
    connected, code = await ws.connect()
    if connected:
        await ws.disconnect()
        return ACCEPT
    return int(code)


@pytest.mark.django_db(transaction=True)
def test_guardian_rows_on_the_socket(cast: Cast) -> None:
    from teletherapy.video.models import VideoSession

    users, call = _family(cast)
    VideoSession.objects.create(appointment=call, client_location="NY")
    path = f"/ws/sessions/{call.pk}/"
    wrong: list[str] = []
    with ThreadPoolExecutor(max_workers=1) as pool:
        for when, at, expected in (
            ("closed", None, WS_CLOSED),
            ("open", call.start + timedelta(minutes=1), WS_OPEN),
        ):
            travel = time_machine.travel(at, tick=True) if at else None
            if travel:
                travel.start()
            try:
                for persona in GUARDIAN_PERSONAS:
                    cookie = _http(users[persona]).cookies["sessionid"].value
                    got = pool.submit(asyncio.run, _connect(path, cookie)).result()
                    cell = f"{persona} WS {path} ({when})"
                    if not TALLY.check("socket", cell, got, expected[persona]):
                        wrong.append(f"{cell}: got {got}, expected {expected[persona]}")
            finally:
                if travel:
                    travel.stop()
    assert not wrong, "\n".join(wrong)
