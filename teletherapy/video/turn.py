"""ICE servers for a call: STUN, and TURN with short-lived credentials (the TURN REST scheme).

coturn runs with `use-auth-secret`; it recomputes the credential from the username and the
shared secret, and refuses it after the expiry in the username. The secret stays here.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass
from typing import Any

from django.conf import settings


@dataclass(frozen=True)
class TurnCredential:
    username: str
    credential: str
    expires_at: int  # Unix time


def turn_credential(*, now: float | None = None) -> TurnCredential:
    """A credential valid for TURN_TTL_SECONDS: username "<expiry>:<opaque id>", password
    base64(HMAC-SHA1(TURN_SECRET, username))."""
    expires_at = int(now if now is not None else time.time()) + settings.TURN_TTL_SECONDS
    # Opaque: nothing about the person or the appointment reaches the TURN server's logs.
    username = f"{expires_at}:{secrets.token_hex(8)}"
    digest = hmac.new(settings.TURN_SECRET.encode(), username.encode(), hashlib.sha1).digest()
    return TurnCredential(
        username=username, credential=base64.b64encode(digest).decode(), expires_at=expires_at
    )


def ice_servers() -> list[dict[str, Any]]:
    """The RTCPeerConnection iceServers list. Call only for a call's participant."""
    servers: list[dict[str, Any]] = []
    if settings.STUN_URLS:
        servers.append({"urls": list(settings.STUN_URLS)})
    if settings.TURN_URLS and settings.TURN_SECRET:
        cred = turn_credential()
        servers.append(
            {
                "urls": list(settings.TURN_URLS),
                "username": cred.username,
                "credential": cred.credential,
            }
        )
    return servers


def ice_transport_policy(*, force_relay: bool = False, hide_addresses: bool = False) -> str:
    """'relay' when the deployment says so (ICE_TRANSPORT_POLICY), the practice hides home
    network addresses, or a test asks; else 'all'."""
    if hide_addresses:
        return "relay"
    if force_relay and (settings.DEBUG or settings.TESTING):
        return "relay"
    return "relay" if getattr(settings, "ICE_TRANSPORT_POLICY", "all") == "relay" else "all"
