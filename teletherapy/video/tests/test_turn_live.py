"""The live coturn of scripts/test-services, in the private network namespace: the app's TURN
REST credential allocates a relay, an expired or wrongly signed one is refused, and relaying to
each range the production config denies is refused at CreatePermission (403), so no packet
ever leaves for such a peer. Only the namespace's own addresses get packets."""

from __future__ import annotations

import os
import re
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from teletherapy.test.turn_client import ERROR, SUCCESS, TurnClient
from teletherapy.video.turn import turn_credential

pytestmark = [
    pytest.mark.netns,
    pytest.mark.skipif(
        not os.environ.get("TT_NETNS_ADDR") or not os.environ.get("TURN_URLS"),
        reason="needs the private network namespace and coturn: run under scripts/netns-run "
        "scripts/test-in-netns",
    ),
]
ROOT = Path(__file__).resolve().parents[3]
DEADLINE = 30.0


def _server() -> tuple[str, int]:
    url = os.environ["TURN_URLS"].split(",")[0]
    host, _, port = urlsplit(url.replace("turn:", "turn://", 1)).netloc.partition(":")
    return host, int(port or 3478)


@pytest.fixture
def turn_secret(settings):  # type: ignore[no-untyped-def]
    settings.TURN_SECRET = os.environ["TURN_SECRET"]
    return settings.TURN_SECRET


@pytest.fixture
def client() -> Iterator[TurnClient]:
    turn = TurnClient(*_server())
    yield turn
    turn.close()


def test_the_apps_credential_allocates_a_relay(turn_secret, client) -> None:
    cred = turn_credential()
    answer = client.allocate(cred.username, cred.credential)
    assert answer.cls == SUCCESS, f"allocate refused: {answer.error}"
    # The namespace's own address may be a peer in the test config.
    assert client.create_permission(os.environ["TT_NETNS_ADDR"]).cls == SUCCESS
    assert client.release().cls == SUCCESS


def test_an_expired_credential_is_refused(turn_secret, client) -> None:
    cred = turn_credential(now=time.time() - 24 * 3600)
    assert cred.expires_at < time.time()
    answer = client.allocate(cred.username, cred.credential)
    assert answer.cls == ERROR and answer.error in (401, 437), answer.error


def test_a_wrongly_signed_credential_is_refused(settings, client) -> None:
    settings.TURN_SECRET = "not-the-secret"
    cred = turn_credential()
    answer = client.allocate(cred.username, cred.credential)
    assert answer.cls == ERROR and answer.error in (401, 437), answer.error


def _denied_ranges() -> list[tuple[str, str]]:
    text = (ROOT / "deploy/coturn/turnserver.conf").read_text()
    ranges = []
    for value in re.findall(r"^denied-peer-ip=(\S+)", text, re.M):
        if ":" in value:
            continue  # IPv6: the UDP relay here is IPv4 (a family mismatch, not a policy check)
        start, _, end = value.partition("-")
        ranges.append((start, end or start))
    return ranges


@pytest.fixture(scope="module")
def production_policy(tmp_path_factory) -> Iterator[tuple[str, int]]:  # type: ignore[no-untyped-def]
    """A second coturn: the test config without its test-only allowances, plus the production
    config's denied-peer-ip lines, on its own port."""
    test_conf = (ROOT / "deploy/coturn/turnserver-test.conf").read_text()
    assert "denied-peer-ip" not in test_conf  # the test server allows its namespace peers
    kept = [
        line
        for line in test_conf.splitlines()
        if not line.startswith(("allow-loopback-peers", "allowed-peer-ip", "listening-port"))
        and not line.startswith(("min-port", "max-port"))
    ]
    denied = [
        f"denied-peer-ip={start}-{end}" if start != end else f"denied-peer-ip={start}"
        for start, end in _denied_ranges()
    ]
    directory = tmp_path_factory.mktemp("coturn")
    conf = directory / "turnserver.conf"
    # Clear of the test server (3478) and its RFC 5780 alternate port (3479).
    port = 3490
    conf.write_text(
        "\n".join([*kept, f"listening-port={port}", "min-port=50000", "max-port=50099", *denied])
        + "\n"
    )
    process = subprocess.Popen(
        [
            "turnserver",
            "-c",
            str(conf),
            "--log-file",
            str(directory / "turn.log"),
            "--pidfile",
            str(directory / "turn.pid"),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    host = os.environ["TT_NETNS_ADDR"]
    try:
        probe = TurnClient(host, port, timeout=1.0)
        deadline = time.monotonic() + DEADLINE
        while True:
            try:
                probe.binding()
                break
            except (TimeoutError, ConnectionRefusedError):
                if time.monotonic() > deadline or process.poll() is not None:
                    raise
        probe.close()
        yield host, port
    finally:
        process.terminate()
        process.wait(timeout=DEADLINE)


@pytest.mark.parametrize("peer", [ip for pair in _denied_ranges() for ip in pair])
def test_relaying_to_a_denied_range_is_refused(turn_secret, production_policy, peer) -> None:
    turn = TurnClient(*production_policy)
    try:
        cred = turn_credential()
        assert turn.allocate(cred.username, cred.credential).cls == SUCCESS
        answer = turn.create_permission(peer)
        assert answer.cls == ERROR and answer.error == 403, (peer, answer.error)
        turn.release()
    finally:
        turn.close()
