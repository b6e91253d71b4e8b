"""Deploy checks for running the app (`manage.py check --deploy`)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core import checks


@checks.register(checks.Tags.security, deploy=True)
def check_site_url(**kwargs: Any) -> list[checks.CheckMessage]:
    """Behind TLS, emailed links and .ics must name the public https address, not the
    address the app process listens on (SITE_URL's default)."""
    if settings.HTTPS and not settings.SITE_URL.startswith("https://"):
        return [
            checks.Warning(
                f"HTTPS=1 but SITE_URL is {settings.SITE_URL!r}: emailed links would point there.",
                hint="Set SITE_URL to the public address, e.g. https://therapy.example.org.",
                id="ops.W001",
            )
        ]
    return []
