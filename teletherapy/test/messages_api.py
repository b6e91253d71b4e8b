"""A local HTTP server on 127.0.0.1 that speaks the part of Twilio's Messages API the Twilio
SMS backend uses: POST /2010-04-01/Accounts/{AccountSid}/Messages.json with HTTP Basic auth
(account SID and auth token) and form fields To, From, Body, StatusCallback, answered 201
with the message resource as JSON. Errors are answered as Twilio does ({"code", "message",
"status"}). `fail_next` makes the next answers 500; `delay` makes it hang that long and then close the
connection without an answer (a timeout).

This is what the tests exercise, not Twilio itself."""

from __future__ import annotations

import base64
import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs


@dataclass
class SentText:
    sid: str
    to: str
    from_: str
    body: str
    status_callback: str


@dataclass
class MessagesApi:
    account_sid: str
    auth_token: str
    texts: list[SentText] = field(default_factory=list)
    fail_next: int = 0
    delay: float = 0.0
    requests: int = 0
    _server: ThreadingHTTPServer | None = None
    _changed: threading.Condition = field(default_factory=threading.Condition)

    @property
    def url(self) -> str:
        assert self._server is not None
        port = self._server.server_address[1]
        return f"http://127.0.0.1:{port}"

    def start(self) -> None:
        api = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                return

            def do_POST(self) -> None:
                api.requests += 1
                length = int(self.headers.get("Content-Length", "0"))
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                if api.delay:
                    # A provider that hangs: answer nothing, long after the client gave up.
                    time.sleep(api.delay)
                    return
                expected = f"/2010-04-01/Accounts/{api.account_sid}/Messages.json"
                auth = self.headers.get("Authorization", "")
                secret = base64.b64encode(f"{api.account_sid}:{api.auth_token}".encode()).decode()
                if auth != f"Basic {secret}":
                    return self._answer(401, {"code": 20003, "message": "Authenticate"})
                if self.path != expected:
                    return self._answer(404, {"code": 20404, "message": "Not found"})
                if api.fail_next > 0:
                    api.fail_next -= 1
                    return self._answer(500, {"code": 20500, "message": "Internal error"})
                if not form.get("To") or not form.get("Body"):
                    return self._answer(400, {"code": 21604, "message": "A 'To' is required"})
                text = SentText(
                    sid="SM" + secrets.token_hex(16),
                    to=form["To"],
                    from_=form.get("From", ""),
                    body=form["Body"],
                    status_callback=form.get("StatusCallback", ""),
                )
                with api._changed:
                    api.texts.append(text)
                    api._changed.notify_all()
                self._answer(
                    201,
                    {
                        "sid": text.sid,
                        "account_sid": api.account_sid,
                        "to": text.to,
                        "from": text.from_,
                        "body": text.body,
                        "status": "queued",
                        "num_segments": "1",
                        "direction": "outbound-api",
                        "api_version": "2010-04-01",
                        "uri": f"{expected[:-5]}/{text.sid}.json",
                    },
                )

            def _answer(self, status: int, payload: dict[str, Any]) -> None:
                if status >= 400:
                    payload = {**payload, "status": status, "more_info": ""}
                body = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def wait_for(self, count: int, timeout: float = 30.0) -> list[SentText]:
        """Wait until `count` texts have arrived (a generous deadline, no fixed sleep)."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while len(self.texts) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"{len(self.texts)} texts arrived, wanted {count}")
                self._changed.wait(left)
        return list(self.texts)
