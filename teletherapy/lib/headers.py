"""Which browser features a page may use. Camera, microphone and screen sharing are off
everywhere except on the pages a view marks with allow_media (the session pages)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

V = TypeVar("V", bound=Callable[..., object])

MEDIA_ATTRIBUTE = "allows_media"
_BASE = "geolocation=(), payment=(), usb=(), serial=(), bluetooth=()"
NO_MEDIA_POLICY = f"camera=(), microphone=(), display-capture=(), {_BASE}"
MEDIA_POLICY = f"camera=(self), microphone=(self), display-capture=(self), {_BASE}"


def allow_media(view: V) -> V:
    """Let this view's page use the camera, microphone and screen sharing (same origin)."""
    setattr(view, MEDIA_ATTRIBUTE, True)
    return view


def permissions_policy(view: Callable[..., object] | None) -> str:
    return MEDIA_POLICY if getattr(view, MEDIA_ATTRIBUTE, False) else NO_MEDIA_POLICY
