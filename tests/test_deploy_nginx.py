"""deploy/nginx/teletherapy.conf through a real nginx: it parses, and with a self-signed
certificate made here it serves static files itself, proxies pages and signaling WebSockets
to two real app processes, and keeps answering when one of them stops."""

from __future__ import annotations

import base64
import http.client
import json
import os
import shutil
import socket
import ssl
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from teletherapy.test.browser import free_port

ROOT = Path(__file__).resolve().parents[1]
SITE = ROOT / "deploy" / "nginx" / "teletherapy.conf"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
NAME = "therapy.example.org"


@dataclass
class Nginx:
    prefix: Path
    conf: Path
    http_port: int
    https_port: int
    cert: Path


def _replace(text: str, old: str, new: str) -> str:
    assert old in text, f"deploy/nginx/teletherapy.conf no longer has {old!r}; update this test"
    return text.replace(old, new)


def _make_cert(directory: Path) -> tuple[Path, Path]:
    cert, key = directory / "fullchain.pem", directory / "privkey.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"]
        + ["-keyout", str(key), "-out", str(cert), "-subj", f"/CN={NAME}"]
        + ["-addext", f"subjectAltName=DNS:{NAME}"],
        check=True,
        capture_output=True,
    )
    return cert, key


def _configure(tmp: Path, upstreams: list[int]) -> Nginx:
    """The deploy file with only what differs on a test machine replaced: ports, paths."""
    if not Path(NGINX).exists():
        pytest.fail("nginx is missing: run scripts/test-deps, which installs it")
    prefix = tmp / "nginx"
    (prefix / "logs").mkdir(parents=True)
    cert, key = _make_cert(prefix)
    http_port, https_port = free_port(), free_port()
    site = SITE.read_text()
    site = _replace(site, "    listen 80;\n", f"    listen 127.0.0.1:{http_port};\n")
    site = _replace(site, "    listen [::]:80;\n", "")
    site = _replace(
        site, "    listen 443 ssl http2;\n", f"    listen 127.0.0.1:{https_port} ssl http2;\n"
    )
    site = _replace(site, "    listen [::]:443 ssl http2;\n", "")
    site = _replace(site, f"/etc/letsencrypt/live/{NAME}/fullchain.pem", str(cert))
    site = _replace(site, f"/etc/letsencrypt/live/{NAME}/privkey.pem", str(key))
    site = _replace(site, "/srv/teletherapy/var/static/", f"{ROOT / 'static'}/")
    site = _replace(
        site, "/var/log/nginx/teletherapy.access.log", str(prefix / "logs" / "teletherapy.log")
    )
    servers = "".join(
        f"    server 127.0.0.1:{port} max_fails=1 fail_timeout=5s;\n" for port in upstreams
    )
    site = _replace(
        site,
        "    server 127.0.0.1:8001 max_fails=1 fail_timeout=5s;\n"
        "    server 127.0.0.1:8002 max_fails=1 fail_timeout=5s;\n",
        servers,
    )
    (prefix / "site.conf").write_text(site)
    temp_paths = "".join(
        f"    {kind}_temp_path {prefix / kind};\n"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    conf = prefix / "nginx.conf"
    conf.write_text(
        ("user root;\n" if os.geteuid() == 0 else "")
        + f"worker_processes 1;\ndaemon off;\npid {prefix / 'nginx.pid'};\n"
        + f"error_log {prefix / 'logs' / 'error.log'} info;\n"
        + "events { worker_connections 256; }\n"
        + "http {\n    include /etc/nginx/mime.types;\n"
        + f"    access_log {prefix / 'logs' / 'access.log'};\n{temp_paths}"
        + f"    include {prefix / 'site.conf'};\n}}\n"
    )
    return Nginx(prefix=prefix, conf=conf, http_port=http_port, https_port=https_port, cert=cert)


def test_the_nginx_example_parses(tmp_path: Path) -> None:
    nginx = _configure(tmp_path, [8001, 8002])
    result = subprocess.run(
        [NGINX, "-t", "-p", str(nginx.prefix), "-c", str(nginx.conf)],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 0, result.stderr
    assert "syntax is ok" in result.stderr


@pytest.fixture
def running_nginx(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Any]:
    started: list[subprocess.Popen[bytes]] = []

    def start(upstreams: list[int]) -> Nginx:
        nginx = _configure(tmp_path, upstreams)
        process = subprocess.Popen(
            [NGINX, "-p", str(nginx.prefix), "-c", str(nginx.conf)],
            stdout=subprocess.DEVNULL,
            stderr=(nginx.prefix / "logs" / "stderr.log").open("wb"),
        )
        started.append(process)
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", nginx.https_port), timeout=1).close()
                return nginx
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    log = (nginx.prefix / "logs" / "error.log").read_text()
                    raise RuntimeError(f"nginx did not start:\n{log}") from None
                time.sleep(0.1)

    yield start
    for process in started:
        process.terminate()
        process.wait(timeout=10)


def _tls_socket(nginx: Nginx) -> ssl.SSLSocket:
    context = ssl.create_default_context(cafile=str(nginx.cert))  # verifies name and chain
    raw = socket.create_connection(("127.0.0.1", nginx.https_port), timeout=15)
    return context.wrap_socket(raw, server_hostname=NAME)


def _https(
    nginx: Nginx, path: str, headers: dict[str, str] | None = None
) -> tuple[int, http.client.HTTPResponse, bytes]:
    sock = _tls_socket(nginx)
    lines = [f"GET {path} HTTP/1.1", f"Host: {NAME}", "Connection: close"]
    lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
    sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
    response = http.client.HTTPResponse(sock)  # type: ignore[arg-type]
    response.begin()
    body = response.read()
    sock.close()
    return response.status, response, body


def _ws_frame(payload: bytes) -> bytes:
    """A masked text frame (clients must mask), payload under 126 bytes."""
    mask = os.urandom(4)
    masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    return bytes([0x81, 0x80 | len(payload)]) + mask + masked


def _read_ws_text(sock: ssl.SSLSocket) -> str:
    def exactly(n: int) -> bytes:
        data = b""
        while len(data) < n:
            chunk = sock.recv(n - len(data))
            assert chunk, "the WebSocket closed"
            data += chunk
        return data

    first, second = exactly(2)
    assert first & 0x0F == 0x1, f"not a text frame: opcode {first & 0x0F}"
    length = second & 0x7F
    if length == 126:
        length = int.from_bytes(exactly(2), "big")
    elif length == 127:
        length = int.from_bytes(exactly(8), "big")
    return exactly(length).decode()


def test_nginx_serves_static_proxies_pages_and_websockets_and_survives_an_app_process(
    cast, live_server_factory, running_nginx
) -> None:  # type: ignore[no-untyped-def]
    from teletherapy.video.tests.conftest import make_tele_appointment

    env = {"ALLOWED_HOSTS": f"127.0.0.1,localhost,{NAME}", "TRUSTED_PROXIES": "127.0.0.1"}
    apps = [live_server_factory(env=env), live_server_factory(env=env)]
    ports = [int(app.url.rsplit(":", 1)[1]) for app in apps]
    nginx = running_nginx(ports)

    # Plain http is sent to https.
    conn = http.client.HTTPConnection("127.0.0.1", nginx.http_port, timeout=15)
    conn.request("GET", "/portal/sign-in/?next=/x", headers={"Host": NAME})
    redirect = conn.getresponse()
    assert redirect.status == 301
    assert redirect.getheader("Location") == f"https://{NAME}/portal/sign-in/?next=/x"

    # Pages come from the app, over TLS with the certificate's name checked.
    status, response, body = _https(nginx, "/healthz")
    assert status == 200, body
    assert json.loads(body)["status"] == "ok"
    status, response, body = _https(nginx, "/accounts/sign-in/")
    assert status == 200 and b"Sign in" in body

    # Static files come from disk, cacheable for ever.
    status, response, body = _https(nginx, "/static/js/call/negotiation.js")
    assert status == 200
    assert body == (ROOT / "static" / "js" / "call" / "negotiation.js").read_bytes()
    assert "immutable" in (response.getheader("Cache-Control") or "")

    # A signaling WebSocket through nginx: the therapist's session cookie, upgraded, welcomed.
    appointment = make_tele_appointment(cast)
    session = cast.client_for("therapist").cookies["sessionid"].value
    sock = _tls_socket(nginx)
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall(
        (
            f"GET /ws/sessions/{appointment.pk}/ HTTP/1.1\r\nHost: {NAME}\r\n"
            f"Origin: https://{NAME}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
            f"Cookie: sessionid={session}\r\n\r\n"
        ).encode()
    )
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = sock.recv(1)
        assert chunk, f"nginx closed the upgrade: {head!r}"
        head += chunk
    assert head.startswith(b"HTTP/1.1 101"), head
    welcome = json.loads(_read_ws_text(sock))
    assert welcome["type"] == "welcome" and welcome["role"] == "therapist"
    sock.sendall(_ws_frame(b'{"type": "join"}'))
    assert json.loads(_read_ws_text(sock)) == {"type": "error", "code": "already_joined"}
    sock.close()

    # One app process stops (a crash, or an upgrade restarting it): every request still answers.
    apps[0].stop()
    for _ in range(6):
        status, response, body = _https(nginx, "/healthz")
        assert status == 200, body


def test_nginx_access_log_carries_no_one_time_token(live_server_factory, running_nginx) -> None:  # type: ignore[no-untyped-def]
    env = {"ALLOWED_HOSTS": f"127.0.0.1,localhost,{NAME}", "TRUSTED_PROXIES": "127.0.0.1"}
    app = live_server_factory(env=env)
    nginx = running_nginx([int(app.url.rsplit(":", 1)[1])])
    token = "Zq3-secret_Token-4xYz"
    paths = [
        f"/accounts/reset/{token}/",
        f"/invitation/{token}/",
        f"/portal/invite/{token}/?utm=1",
        f"/portal/reset/{token}/",
        f"/create-practice/confirm/{token}/",
    ]
    for path in paths:
        status, _response, _body = _https(
            nginx, path, headers={"Referer": f"https://{NAME}/portal/reset/{token}/"}
        )
        assert status == 302
    conn = http.client.HTTPConnection("127.0.0.1", nginx.http_port, timeout=15)
    conn.request("GET", paths[0], headers={"Host": NAME})
    assert conn.getresponse().status == 301
    log_path = nginx.prefix / "logs" / "teletherapy.log"
    deadline = time.monotonic() + 20
    while log_path.read_text().count("\n") < len(paths) + 1 and time.monotonic() < deadline:
        time.sleep(0.1)
    log = log_path.read_text()
    assert token not in log, log
    assert log.count("[redacted]") >= 2 * len(paths), log
    assert '"GET /portal/invite/[redacted]/?utm=1 HTTP/1.1" 302' in log, log
    assert token not in app.log()
