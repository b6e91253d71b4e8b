"""The `next` parameter, checked once for every view that follows it."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.http import url_has_allowed_host_and_scheme

PORTAL_PREFIX = "/portal/"


def safe_next(request: HttpRequest, *, portal: bool) -> str | None:
    """The request's `next` (POST, then GET) when it is a path on this site inside the
    caller's area (the client portal or the staff side); otherwise None."""
    nxt = request.POST.get("next") or request.GET.get("next") or ""
    if not nxt.startswith("/") or nxt.startswith("//"):
        return None
    if nxt.startswith(PORTAL_PREFIX) != portal:
        return None
    if not url_has_allowed_host_and_scheme(
        nxt, {request.get_host()}, require_https=request.is_secure()
    ):
        return None
    return nxt
