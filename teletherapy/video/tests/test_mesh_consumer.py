"""A couple's call through the real ASGI stack: the mesh signaling (video/mesh.py) tells
each person who is there, relays each signal to the one person it is for, keeps people in
the Waiting Room apart, and replaces a reloaded connection."""

from __future__ import annotations

from typing import Any

import pytest
from channels.db import database_sync_to_async

from config.asgi import application
from teletherapy.clients.models import Client
from teletherapy.test.personas import make_client
from teletherapy.test.sockets import WebsocketCommunicator
from teletherapy.video import services
from teletherapy.video.mesh import Member, polite_towards
from teletherapy.video.models import PersonLocation
from teletherapy.video.tests.conftest import make_tele_appointment
from teletherapy.video.tests.test_consumer import CANDIDATE, OFFER, ORIGIN, _cookie_for, own_loop

pytestmark = pytest.mark.django_db(transaction=True)


def make_partner(cast: Any) -> Client:
    return make_client(
        cast.practice,
        "Pat",
        "Partner",
        therapists=[cast.therapist],
        username="pat",
        password="x",
        email="pat.partner@example.com",
    )


@pytest.fixture
def couple(cast):  # type: ignore[no-untyped-def]
    """Casey and Pat's session with Tess; Casey is in New Jersey, Pat in Vermont."""
    call = make_tele_appointment(cast)
    partner = make_partner(cast)
    call.additional_clients.add(partner)
    services.set_client_location(appointment=call, by=cast.client_with_portal, location="NJ")
    services.set_client_location(appointment=call, by=partner, location="VT")
    return call, partner


async def mesh_socket(user: Any, appointment_id: int) -> WebsocketCommunicator:
    cookie = await database_sync_to_async(_cookie_for)(user)
    headers = [ORIGIN, (b"cookie", f"sessionid={cookie}".encode())]
    return WebsocketCommunicator(
        application, f"/ws/sessions/{appointment_id}/mesh/", headers=headers
    )


async def enter(user: Any, appointment_id: int) -> tuple[WebsocketCommunicator, dict[str, Any]]:
    ws = await mesh_socket(user, appointment_id)
    connected, _code = await ws.connect()
    assert connected
    return ws, await ws.receive_json_from()


def test_the_polite_side_of_each_pair_is_agreed() -> None:
    tess = Member(1, 1, "a", "therapist", "Tess")
    casey = Member(2, 2, "b", "client", "Casey")
    pat = Member(3, 3, "c", "client", "Pat")
    assert not polite_towards(tess, casey) and polite_towards(casey, tess)
    assert polite_towards(pat, casey) and not polite_towards(casey, pat)
    for a, b in [(tess, casey), (casey, pat), (pat, tess)]:
        assert polite_towards(a, b) != polite_towards(b, a)


def test_each_person_states_their_own_location(cast, couple) -> None:  # type: ignore[no-untyped-def]
    call, partner = couple
    codes = {r.client_id: r.code for r in PersonLocation.objects.filter(session__appointment=call)}
    assert codes == {cast.client_with_portal.pk: "NJ", partner.pk: "VT"}
    call.video_session.refresh_from_db()
    assert call.video_session.client_location == "NJ"  # the primary's, as before


@own_loop
async def test_a_couple_and_their_therapist_form_a_mesh(cast, couple) -> None:
    call, partner = couple
    casey, welcome = await enter(cast.client_with_portal.user, call.pk)
    assert welcome["mesh"] and welcome["people"] == []
    pat, welcome = await enter(partner.user, call.pk)
    # In the Waiting Room they do not see each other.
    assert welcome["people"] == []
    assert await casey.receive_nothing(timeout=0.3)
    # A signal to someone not visible is refused.
    await pat.send_json_to({"type": "signal", "to": welcome["id"] - 1, "candidate": CANDIDATE})
    assert (await pat.receive_json_from())["code"] == "peer_absent"

    tess, welcome = await enter(cast.therapist.user, call.pk)
    people = {p["name"]: p for p in welcome["people"]}
    assert set(people) == {"Casey Client", "Pat Partner"}
    assert people["Pat Partner"]["location"] == {"code": "VT", "name": "Vermont", "licensed": False}
    assert not any(p["polite"] for p in people.values())
    tess_id = welcome["id"]
    casey_sees = [await casey.receive_json_from() for _ in range(2)]
    pat_sees = [await pat.receive_json_from() for _ in range(2)]
    assert {m["person"]["name"] for m in casey_sees} == {"Tess Therapist", "Pat Partner"}
    assert {m["person"]["name"] for m in pat_sees} == {"Tess Therapist", "Casey Client"}
    # A client never sees another client's location.
    assert all("location" not in m["person"] for m in casey_sees + pat_sees)
    casey_id = people["Casey Client"]["id"]
    pat_id = people["Pat Partner"]["id"]

    # A signal goes to the one person it is for, from the server's `from`.
    await tess.send_json_to({"type": "signal", "to": pat_id, "description": OFFER})
    got = await pat.receive_json_from()
    assert got == {"type": "signal", "description": OFFER, "from": tess_id}
    assert await casey.receive_nothing(timeout=0.3)
    await casey.send_json_to({"type": "signal", "to": pat_id, "candidate": CANDIDATE})
    assert await pat.receive_json_from() == {
        "type": "signal",
        "candidate": CANDIDATE,
        "from": casey_id,
    }

    # Pat reloads: the new connection replaces the old one, everyone hears it.
    pat2, welcome = await enter(partner.user, call.pk)
    assert {p["name"] for p in welcome["people"]} == {"Tess Therapist", "Casey Client"}
    assert (await pat.receive_json_from())["type"] == "replaced"
    for ws in (tess, casey):
        seen = [await ws.receive_json_from() for _ in range(2)]
        assert {m["type"] for m in seen} == {"left", "joined"}
        left = next(m for m in seen if m["type"] == "left")
        assert left["id"] == pat_id

    # Casey leaves on purpose; the call goes on for the others.
    await casey.send_json_to({"type": "leave"})
    assert (await casey.receive_json_from())["type"] == "left"
    for ws in (tess, pat2):
        got = await ws.receive_json_from()
        assert got == {"type": "left", "id": casey_id, "ended": True}
    await tess.send_json_to({"type": "signal", "to": welcome["id"], "candidate": CANDIDATE})
    assert (await pat2.receive_json_from())["from"] == tess_id

    # The therapist leaves: Pat is back alone in the Waiting Room.
    await tess.send_json_to({"type": "leave"})
    assert (await pat2.receive_json_from())["type"] == "left"
    for ws in (casey, pat, pat2, tess):
        await ws.disconnect()


@own_loop
async def test_someone_not_in_the_appointment_gets_nothing(cast, couple) -> None:
    call, _partner = couple
    ws = await mesh_socket(cast.other_client.user, call.pk)
    connected, code = await ws.connect()
    assert not connected or code is not None
    other = await database_sync_to_async(make_client)(
        cast.practice, "Sam", "Same", therapists=[cast.therapist], username="sam", password="x"
    )
    ws = await mesh_socket(other.user, call.pk)
    connected, _code = await ws.connect()
    assert not connected


@own_loop
async def test_a_client_who_has_not_stated_a_location_is_sent_to_the_check(cast) -> None:
    call = await database_sync_to_async(make_tele_appointment)(cast)
    partner = await database_sync_to_async(make_partner)(cast)
    await database_sync_to_async(call.additional_clients.add)(partner)
    ws = await mesh_socket(partner.user, call.pk)
    connected, code = await ws.connect()
    assert not connected and code == 4428


async def _three(cast: Any, call: Any, partner: Client) -> tuple[Any, Any, Any, dict[str, int]]:
    casey, _ = await enter(cast.client_with_portal.user, call.pk)
    pat, _ = await enter(partner.user, call.pk)
    tess, welcome = await enter(cast.therapist.user, call.pk)
    ids = {p["name"]: p["id"] for p in welcome["people"]}
    ids["Tess Therapist"] = welcome["id"]
    for ws in (casey, pat):
        for _ in range(2):
            assert (await ws.receive_json_from())["type"] == "joined"
    return tess, casey, pat, ids


@own_loop
async def test_the_therapist_holds_and_removes_one_person(cast, couple) -> None:
    from teletherapy.video.models import SessionEvent

    call, partner = couple
    tess, casey, pat, ids = await _three(cast, call, partner)
    # A client cannot hold anyone.
    await casey.send_json_to({"type": "hold-person", "id": ids["Pat Partner"]})
    assert (await casey.receive_json_from())["code"] == "not_therapist"

    await tess.send_json_to({"type": "hold-person", "id": ids["Pat Partner"]})
    assert await pat.receive_json_from() == {"type": "hold", "on": True}
    assert await casey.receive_json_from() == {
        "type": "held",
        "id": ids["Pat Partner"],
        "on": True,
    }
    assert (await tess.receive_json_from())["type"] == "held"
    # A reload during the hold: still on hold.
    pat2, welcome = await enter(partner.user, call.pk)
    assert welcome["on_hold"] is True
    assert (await pat.receive_json_from())["type"] == "replaced"
    for ws in (tess, casey):
        got = [await ws.receive_json_from() for _ in range(2)]
        assert {m["type"] for m in got} == {"left", "joined"}
    pat_id = welcome["id"]
    await tess.send_json_to({"type": "resume-person", "id": pat_id})
    assert await pat2.receive_json_from() == {"type": "hold", "on": False}

    await tess.send_json_to({"type": "together", "id": ids["Casey Client"]})
    assert await tess.receive_json_from() == {"type": "held", "id": pat_id, "on": False}
    assert await tess.receive_json_from() == {"type": "noted", "id": ids["Casey Client"]}

    # Removing Pat: their call ends, the others go on; Pat cannot come back.
    await tess.send_json_to({"type": "remove-person", "id": pat_id})
    assert (await pat2.receive_json_from())["type"] == "removed"
    for ws in (tess, casey):
        seen = await ws.receive_json_from()
        while seen["type"] == "held":
            seen = await ws.receive_json_from()
        assert seen == {"type": "left", "id": pat_id, "ended": True}
    ws = await mesh_socket(partner.user, call.pk)
    connected, code = await ws.connect()
    assert not connected and code == 4403
    kinds = await database_sync_to_async(
        lambda: [(e.kind, e.about_id) for e in SessionEvent.objects.order_by("id")]
    )()
    assert kinds == [
        ("hold", partner.pk),
        ("resume", partner.pk),
        ("together", cast.client_with_portal.pk),
        ("remove", partner.pk),
    ]
    for sock in (tess, casey, pat, pat2):
        await sock.disconnect()
