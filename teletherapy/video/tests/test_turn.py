"""TURN REST credentials: expiry, HMAC checked independently, and who may get them."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

import pytest
from django.urls import reverse

from teletherapy.video import turn

SECRET = "unit-test-secret"


@pytest.fixture
def turn_settings(settings):
    settings.TURN_URLS = ["turn:turn.example.org:3478?transport=udp", "turns:turn.example.org:5349"]
    settings.STUN_URLS = ["stun:turn.example.org:3478"]
    settings.TURN_SECRET = SECRET
    settings.TURN_TTL_SECONDS = 600
    return settings


def test_credential_username_carries_the_expiry_and_an_opaque_id(turn_settings) -> None:
    cred = turn.turn_credential(now=1_800_000_000)
    expiry, opaque = cred.username.split(":")
    assert int(expiry) == 1_800_000_000 + 600 == cred.expires_at
    assert len(opaque) == 16 and opaque.isalnum()
    assert turn.turn_credential(now=1_800_000_000).username != cred.username


def test_credential_is_base64_hmac_sha1_of_the_username(turn_settings) -> None:
    cred = turn.turn_credential()
    expected = base64.b64encode(
        hmac.new(SECRET.encode(), cred.username.encode(), hashlib.sha1).digest()
    ).decode()
    assert cred.credential == expected
    wrong = base64.b64encode(
        hmac.new(b"another-secret", cred.username.encode(), hashlib.sha1).digest()
    ).decode()
    assert cred.credential != wrong


def test_ice_servers_list_stun_then_turn(turn_settings) -> None:
    servers = turn.ice_servers()
    assert servers[0] == {"urls": ["stun:turn.example.org:3478"]}
    assert servers[1]["urls"] == turn_settings.TURN_URLS
    assert set(servers[1]) == {"urls", "username", "credential"}


def test_no_turn_configured_means_no_turn_server(settings) -> None:
    settings.TURN_URLS = []
    settings.STUN_URLS = []
    assert turn.ice_servers() == []


def test_relay_can_be_forced_only_in_debug_or_tests(settings) -> None:
    settings.ICE_TRANSPORT_POLICY = "all"
    settings.DEBUG, settings.TESTING = False, False
    assert turn.ice_transport_policy(force_relay=True) == "all"
    settings.TESTING = True
    assert turn.ice_transport_policy(force_relay=True) == "relay"
    assert turn.ice_transport_policy() == "all"
    settings.ICE_TRANSPORT_POLICY = "relay"
    settings.TESTING = False
    assert turn.ice_transport_policy() == "relay"


@pytest.mark.django_db
def test_participants_get_credentials_and_never_the_secret(cast, open_call, turn_settings) -> None:
    for persona, name in (("therapist", "video:ice"), ("client", "portal_video:ice")):
        response = cast.client_for(persona).get(
            reverse(name, kwargs={"appointment_id": open_call.pk})
        )
        assert response.status_code == 200
        assert "no-store" in [part.strip() for part in response["Cache-Control"].split(",")]
        body = response.content.decode()
        assert SECRET not in body
        data = json.loads(body)
        turn_entry = data["iceServers"][1]
        expected = base64.b64encode(
            hmac.new(SECRET.encode(), turn_entry["username"].encode(), hashlib.sha1).digest()
        ).decode()
        assert turn_entry["credential"] == expected
        assert data["iceTransportPolicy"] == "all"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("persona", "name", "status"),
    [
        ("anonymous", "video:ice", 302),
        ("anonymous", "portal_video:ice", 302),
        ("owner", "video:ice", 403),
        ("therapist_plain", "video:ice", 404),  # another therapist's appointment
        ("scheduler", "video:ice", 403),
        ("other_owner", "video:ice", 404),
        ("other_client", "portal_video:ice", 404),
        ("client", "video:ice", 403),
        ("therapist", "portal_video:ice", 403),
    ],
)
def test_nobody_else_gets_credentials(
    cast, open_call, turn_settings, persona, name, status
) -> None:
    response = cast.client_for(persona).get(reverse(name, kwargs={"appointment_id": open_call.pk}))
    assert response.status_code == status
    assert b"credential" not in response.content
    assert b"turn:" not in response.content


@pytest.mark.django_db
def test_therapist_without_teletherapy_gets_no_credentials(cast, open_call, turn_settings) -> None:
    cast.therapist.teletherapy_enabled = False
    cast.therapist.save()
    response = cast.client_for("therapist").get(
        reverse("video:ice", kwargs={"appointment_id": open_call.pk})
    )
    assert response.status_code == 403
    assert b"credential" not in response.content
