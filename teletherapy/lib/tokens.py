"""One-time link tokens: the raw token goes in the email, only its hash is stored.

Until its email task mints the token, a link row holds a placeholder that no raw token can
hash to (SHA-256 hex has no dash), so an unsent link cannot be used by anyone.
"""

from __future__ import annotations

import hashlib
import secrets

PENDING_PREFIX = "pending-"


def new_token() -> tuple[str, str]:
    """Return (raw_token, token_hash). Store the hash; send the raw token."""
    raw = secrets.token_urlsafe(32)
    return raw, hash_token(raw)


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def placeholder_hash() -> str:
    """The token_hash of a link whose token has not been minted yet (unique per row)."""
    return PENDING_PREFIX + secrets.token_hex(16)


def is_placeholder(token_hash: str) -> bool:
    return token_hash.startswith(PENDING_PREFIX)
