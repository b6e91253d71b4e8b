"""Text messages: one function, `send_text()`, and the backend SMS_BACKEND names.

- "console" (the default): print the message and keep a copy in var/sms/, like email's
  embedded default. Nothing leaves the machine. With HTTPS=1 (production) it is only kept in
  var/sms/, not printed: a text carries one-time links, which must not land in the log.
- "twilio": Twilio's Messages API through the official `twilio` library (TWILIO_ACCOUNT_SID,
  TWILIO_AUTH_TOKEN, TWILIO_FROM_NUMBER; TWILIO_API_URL only to point it elsewhere). The
  tests run it against a local HTTP server that speaks the part of the Messages API used
  here (create a message), not against Twilio itself.

Failures and timeouts are retried with a back-off; the caller gets SmsResult(ok=False) and
records the text as not delivered. Log lines name only the failure's type: a text carries
one-time links.
"""

from __future__ import annotations

import logging
import secrets
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from django.conf import settings

log = logging.getLogger(__name__)


class SmsError(Exception):
    """The provider refused the message or could not be reached."""


@dataclass(frozen=True)
class SmsResult:
    ok: bool
    provider_id: str = ""
    status: str = ""
    error: str = ""


class SmsBackend(Protocol):
    def send(self, *, to: str, body: str, status_callback: str = "") -> SmsResult: ...


class ConsoleBackend:
    """Write the text to SMS_FILE_PATH (var/sms/), one file per message, and print it unless
    HTTPS=1 (the server's log must not hold one-time links)."""

    def __init__(self, directory: Path | None = None) -> None:
        self.directory = Path(directory or settings.SMS_FILE_PATH)

    def send(self, *, to: str, body: str, status_callback: str = "") -> SmsResult:
        stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
        message_id = f"console-{stamp}-{secrets.token_hex(4)}"
        text = f"To: {to}\nId: {message_id}\n\n{body}\n"
        if not settings.HTTPS:
            sys.stdout.write(text + "-" * 72 + "\n")
            sys.stdout.flush()
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            (self.directory / f"{message_id}.txt").write_text(text)
        except OSError as exc:
            raise SmsError(type(exc).__name__) from exc
        return SmsResult(ok=True, provider_id=message_id, status="sent")


class TwilioBackend:
    """Twilio's Messages API, through the `twilio` library."""

    def __init__(self) -> None:
        from twilio.http.http_client import TwilioHttpClient
        from twilio.rest import Client

        self.client = Client(
            settings.TWILIO_ACCOUNT_SID,
            settings.TWILIO_AUTH_TOKEN,
            http_client=TwilioHttpClient(timeout=settings.SMS_TIMEOUT_SECONDS),
        )
        # The library builds every URL from the domain's base URL; tests point it at a local
        # server that speaks the Messages API.
        self.client.api.base_url = settings.TWILIO_API_URL.rstrip("/")

    def send(self, *, to: str, body: str, status_callback: str = "") -> SmsResult:
        from twilio.base.exceptions import TwilioException

        options: dict[str, Any] = {"to": to, "body": body, "from_": settings.TWILIO_FROM_NUMBER}
        if status_callback:
            options["status_callback"] = status_callback
        try:
            message = self.client.messages.create(**options)
        except (TwilioException, OSError) as exc:
            raise SmsError(type(exc).__name__) from exc
        except Exception as exc:  # noqa: BLE001 - requests' errors (timeouts) and the like
            raise SmsError(type(exc).__name__) from exc
        return SmsResult(ok=True, provider_id=str(message.sid or ""), status=str(message.status))


def backend() -> SmsBackend:
    if settings.SMS_BACKEND == "twilio":
        return TwilioBackend()
    return ConsoleBackend()


def send_text(
    *, to: str, body: str, status_callback: str = "", attempts: int | None = None
) -> SmsResult:
    """Send one text, retrying with a back-off; SmsResult(ok=False, error=...) when every
    attempt failed. Never raises for a provider's failure."""
    attempts = attempts or settings.SMS_MAX_ATTEMPTS
    error = ""
    for attempt in range(1, attempts + 1):
        try:
            return backend().send(to=to, body=body, status_callback=status_callback)
        except SmsError as exc:
            error = str(exc) or "SmsError"
            log.warning("text send failed (attempt %s/%s): %s", attempt, attempts, error)
            if attempt < attempts:
                time.sleep(settings.SMS_RETRY_SECONDS * attempt)
    return SmsResult(ok=False, error=error)
