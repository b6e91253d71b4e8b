"""Run daphne with an access log that never prints a one-time token.

    python -m teletherapy.lib.server [daphne's arguments] config.asgi:application

Daphne writes one line per request (with the full path) to stdout; this keeps its format and
options and passes each line through `redact()`.
"""

from __future__ import annotations

import sys
from datetime import datetime
from typing import Any

from daphne.access import AccessLogGenerator
from daphne.cli import CommandLineInterface
from daphne.server import Server

from teletherapy.lib.redact import redact


class RedactingAccessLog(AccessLogGenerator):
    def write_entry(
        self,
        host: Any,
        date: datetime,
        request: str,
        status: Any = None,
        length: Any = None,
        ident: Any = None,
        user: Any = None,
    ) -> None:
        super().write_entry(host, date, redact(request), status, length, ident, user)


class RedactingServer(Server):
    def __init__(self, *args: Any, action_logger: Any = None, **kwargs: Any) -> None:
        if isinstance(action_logger, AccessLogGenerator):
            action_logger = RedactingAccessLog(action_logger.stream)
        super().__init__(*args, action_logger=action_logger, **kwargs)


class RedactingCommandLine(CommandLineInterface):
    server_class = RedactingServer


def main(argv: list[str] | None = None) -> None:
    RedactingCommandLine().run(sys.argv[1:] if argv is None else argv)


if __name__ == "__main__":
    main()
