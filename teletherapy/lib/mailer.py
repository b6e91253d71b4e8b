"""Render and send the app's emails. Called from django-tasks tasks, never inside a request.

Templates live at templates/emails/<name>.subject.txt, <name>.txt and <name>.html. The two
.txt templates are plain text, so they render with autoescape off; only the .html one escapes.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template import Context
from django.template.loader import get_template, render_to_string

log = logging.getLogger(__name__)


def build_email(
    name: str,
    *,
    to: str,
    context: dict[str, Any],
    attachments: Sequence[tuple[str, bytes | str, str]] = (),
) -> EmailMultiAlternatives:
    """An email with text and HTML parts from the three templates of `name`."""
    subject = " ".join(render_text(f"emails/{name}.subject.txt", context).split())
    text = render_text(f"emails/{name}.txt", context)
    html = render_to_string(f"emails/{name}.html", context)
    message = EmailMultiAlternatives(subject, text, settings.DEFAULT_FROM_EMAIL, [to])
    message.attach_alternative(html, "text/html")
    for filename, content, mimetype in attachments:
        message.attach(filename, content, mimetype)
    return message


def render_text(template_name: str, context: dict[str, Any]) -> str:
    """Render a plain-text template: values appear as typed (no &amp; or &quot;)."""
    template = get_template(template_name).template  # type: ignore[attr-defined]
    return str(template.render(Context(context, autoescape=False)))


def send_with_retries(message: EmailMultiAlternatives, *, attempts: int | None = None) -> bool:
    """Send, retrying with a short back-off. Return False when every attempt failed.

    Log only the failure's type: the message may carry a link that must not reach the logs.
    """
    attempts = attempts or settings.EMAIL_MAX_ATTEMPTS
    for attempt in range(1, attempts + 1):
        try:
            message.send(fail_silently=False)
            return True
        except Exception as exc:  # noqa: BLE001 - any transport failure is retried
            log.warning(
                "email send failed (attempt %s/%s): %s", attempt, attempts, type(exc).__name__
            )
            if attempt < attempts:
                time.sleep(settings.EMAIL_RETRY_SECONDS * attempt)
    return False
