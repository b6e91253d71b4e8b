"""Run the real app (daphne, as scripts/serve runs it) for browser tests, optionally at another time.

    python -m teletherapy.test.serve PORT [ISO_DATETIME]

TT_SERVER_FLAGS adds daphne options (a test passes the ones scripts/serve uses).
With a datetime, the server's clock starts there and ticks on (time-machine), which is how
browser tests see what a person sees a day later without touching the data.
"""

from __future__ import annotations

import os
import shlex
import sys
from datetime import datetime


def main() -> None:
    port = sys.argv[1]
    if len(sys.argv) > 2:
        import time_machine

        time_machine.travel(datetime.fromisoformat(sys.argv[2]), tick=True).start()
    from teletherapy.lib.server import main as serve

    flags = shlex.split(os.environ.get("TT_SERVER_FLAGS", ""))
    serve(["-b", "127.0.0.1", "-p", port, *flags, "config.asgi:application"])


if __name__ == "__main__":
    main()
