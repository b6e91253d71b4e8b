"""The signed-in client. Portal views reach client data only through current_client()."""

from __future__ import annotations

from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.http import HttpRequest

from teletherapy.clients.models import Client


def current_client(request: HttpRequest) -> Client:
    """The client record of the signed-in portal user; 403 for anyone else (staff included)."""
    user = request.user
    if not user.is_authenticated or not user.is_client or not user.is_active:
        raise PermissionDenied("Only clients can use the portal.")
    try:
        client: Client = Client.objects.select_related("practice", "user").get(user=user)
    except ObjectDoesNotExist:
        raise PermissionDenied("Only clients can use the portal.") from None
    if not client.is_active:
        raise PermissionDenied("This portal account is switched off.")
    return client
