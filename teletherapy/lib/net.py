"""The client's address: the one answer used by the lockout, the audit log and rate limits.

A forwarded header (X-Forwarded-For) is believed only when the direct peer is one of the
configured TRUSTED_PROXIES; a client talking to the app directly cannot choose its address.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
FORWARDED_HEADER = "HTTP_X_FORWARDED_FOR"


def parse_networks(items: Iterable[str]) -> tuple[Network, ...]:
    """Read proxy addresses or networks ("10.0.0.5", "10.0.0.0/8"); raise on a typo."""
    networks = []
    for item in items:
        try:
            networks.append(ipaddress.ip_network(item.strip(), strict=False))
        except ValueError:
            raise ImproperlyConfigured(
                f"TRUSTED_PROXIES must list IP addresses or networks; got {item!r}"
            ) from None
    return tuple(networks)


@lru_cache(maxsize=8)
def _trusted(items: tuple[str, ...]) -> tuple[Network, ...]:
    return parse_networks(items)


def _address(raw: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    raw = raw.strip()
    if raw.startswith("[") and "]" in raw:  # [v6]:port
        raw = raw[1 : raw.index("]")]
    elif raw.count(":") == 1:  # v4:port
        raw = raw.split(":", 1)[0]
    try:
        address = ipaddress.ip_address(raw)
    except ValueError:
        return None
    mapped = getattr(address, "ipv4_mapped", None)
    return mapped or address


def address_from(peer: str | None, forwarded_for: str | None) -> str | None:
    """The client's address given the direct peer and its X-Forwarded-For header.

    Walk the header from the right (each proxy appends the address it saw), skipping trusted
    proxies, and take the first address that is not one: the left-most entry is whatever the
    client wrote and is never believed on its own.
    """
    trusted = _trusted(tuple(getattr(settings, "TRUSTED_PROXIES", ())))
    current = _address(peer or "")
    if current is None:
        return None
    if not trusted or not forwarded_for:
        return str(current)
    for raw in reversed(forwarded_for.split(",")):
        if not any(current in network for network in trusted):
            break
        hop = _address(raw)
        if hop is None:
            break  # garbage from beyond the proxies: trust stops at the last good hop
        current = hop
    return str(current)


def client_address(request: Any) -> str | None:
    """The address of the person making `request` (an HttpRequest), or None when unknown."""
    meta = getattr(request, "META", None)
    if meta is None:
        return None
    return address_from(meta.get("REMOTE_ADDR"), meta.get(FORWARDED_HEADER))


def scope_address(scope: dict[str, Any]) -> str | None:
    """The same answer for an ASGI scope (WebSocket connections)."""
    client = scope.get("client") or (None, None)
    forwarded = None
    for name, value in scope.get("headers") or ():
        if name == b"x-forwarded-for":
            forwarded = (forwarded + "," if forwarded else "") + value.decode("latin-1")
    return address_from(client[0], forwarded)
