"""The site's own origins, compared exactly (scheme, host and port), for WebSocket handshakes."""

from __future__ import annotations

from typing import Any
from urllib.parse import ParseResult, SplitResult, urlsplit

from channels.security.websocket import OriginValidator
from django.conf import settings

_DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443}

Origin = tuple[str, str, int]


def origin_of(url: str | SplitResult | ParseResult) -> Origin | None:
    """(scheme, host, port) with the default port filled in, or None when it is not one."""
    parts = urlsplit(url) if isinstance(url, str) else url
    scheme = (parts.scheme or "").lower()
    try:
        port = parts.port
    except ValueError:
        return None
    host = (parts.hostname or "").lower()
    if scheme not in _DEFAULT_PORTS or not host or parts.username or parts.password:
        return None
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        return None
    return scheme, host, port if port is not None else _DEFAULT_PORTS[scheme]


def site_origins() -> set[Origin]:
    """SITE_URL's origin and those in EXTRA_ORIGINS (e.g. a second name for the site)."""
    urls = [settings.SITE_URL, *settings.EXTRA_ORIGINS]
    return {origin for url in urls if (origin := origin_of(url.rstrip("/"))) is not None}


class SiteOriginValidator(OriginValidator):
    """Accept a WebSocket only from a page of this site: its Origin must be exactly one of
    site_origins(); a different scheme or port, or no Origin at all, is refused."""

    def __init__(self, application: Any) -> None:
        super().__init__(application, allowed_origins=[])

    def valid_origin(self, parsed_origin: Any) -> bool:
        if parsed_origin is None:
            return False
        origin = origin_of(parsed_origin)
        return origin is not None and origin in site_origins()
