"""Email backend for the embedded default: print to the console and keep a copy in var/mail/,
and the deploy check that warns when that default is still on in production."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Tags, Warning, register
from django.core.mail.backends.console import EmailBackend as ConsoleBackend
from django.core.mail.backends.filebased import EmailBackend as FileBackend
from django.core.mail.message import EmailMessage


class ConsoleAndFileBackend(FileBackend):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._console = ConsoleBackend(*args, **kwargs)

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        self._console.send_messages(email_messages)
        return super().send_messages(email_messages)


CONSOLE_BACKENDS = {
    "teletherapy.lib.mail.ConsoleAndFileBackend",
    "django.core.mail.backends.console.EmailBackend",
}
W_CONSOLE_EMAIL = "teletherapy.W001"


@register(Tags.security, deploy=True)
def console_email_in_production(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Warn when email still goes to the console with HTTPS=1: the log would hold every
    emailed one-time link (password resets, invitations)."""
    if getattr(settings, "HTTPS", False) and settings.EMAIL_BACKEND in CONSOLE_BACKENDS:
        return [
            Warning(
                "Email is printed to the console (and var/mail/) while HTTPS=1, so the "
                "server's log holds every emailed sign-in link.",
                hint="Set EMAIL_URL to your SMTP server, e.g. smtp://user:pass@host:587?tls=1.",
                id=W_CONSOLE_EMAIL,
            )
        ]
    return []
