"""Keep one-time tokens out of every log line.

Emailed links carry their token in the path (/accounts/reset/<token>/ and the like) until the
view moves it into the session. The server's access log and Django's request warnings print
paths, so both pass through `redact()` first.
"""

from __future__ import annotations

import logging
import re

# Every URL whose last segment is a one-time token; tests/test_token_logs.py checks that each
# URL pattern with a <token> argument is covered.
TOKEN_PATH_PREFIXES: tuple[str, ...] = (
    "/accounts/reset/",
    "/create-practice/confirm/",
    "/invitation/",
    "/portal/invite/",
    "/portal/reset/",
    "/r/cancel/",
    "/r/confirm/",
    "/r/join/",
)
REDACTED = "[redacted]"

_TOKEN_IN_PATH = re.compile(
    "(" + "|".join(re.escape(prefix) for prefix in TOKEN_PATH_PREFIXES) + r")[^/?#\s\"']+"
)


def redact(text: str) -> str:
    """`text` with the token of every one-time link path replaced by [redacted]."""
    return _TOKEN_IN_PATH.sub(r"\1" + REDACTED, text)


class RedactTokens(logging.Filter):
    """A logging filter (on the console handler) that redacts token paths in every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True
