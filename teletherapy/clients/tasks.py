"""Portal emails, sent outside the request by django-tasks.

Tasks take only the link's id: the raw token is minted here, its hash saved on the row, and
the raw token goes only into the email. Task arguments and return values are stored by the
database backend, so neither ever carries a token.
"""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse
from django_tasks import task

from teletherapy.clients.models import PENDING_PREFIX, PortalInvitation
from teletherapy.lib import clock
from teletherapy.lib.mailer import build_email, send_with_retries
from teletherapy.lib.tokens import new_token


def _send_link(link_id: int, kind: str) -> str:
    link = (
        PortalInvitation.objects.select_related("client__practice")
        .filter(pk=link_id, kind=kind)
        .first()
    )
    if link is None or not link.is_usable() or not link.token_hash.startswith(PENDING_PREFIX):
        return "skipped"
    client = link.client
    if not client.email:
        PortalInvitation.objects.filter(pk=link.pk).update(delivery_status="failed")
        return "failed"
    raw, hashed = new_token()
    link.token_hash = hashed
    link.save(update_fields=["token_hash"])
    zone = clock.viewer_zone(client)
    route = "portal:invite_link" if kind == PortalInvitation.Kind.INVITE else "portal:reset_link"
    context = {
        "practice_name": client.practice.name,
        "first_name": client.preferred_name or client.first_name,
        "link": settings.SITE_URL + reverse(route, kwargs={"token": raw}),
        "expires": clock.named(clock.short_date_time_text(link.expires_at, zone), zone),
        "hours": settings.LINK_VALID_HOURS,
        "username": client.user.username if client.user is not None else "",
    }
    name = "portal_invite" if kind == PortalInvitation.Kind.INVITE else "portal_reset"
    delivered = send_with_retries(build_email(name, to=client.email, context=context))
    status = "sent" if delivered else "failed"
    PortalInvitation.objects.filter(pk=link.pk).update(delivery_status=status)
    return status


@task()
def send_portal_invite_email(link_id: int) -> str:
    """Email a client their portal sign-up link."""
    return _send_link(link_id, PortalInvitation.Kind.INVITE)


@task()
def send_portal_reset_email(link_id: int) -> str:
    """Email a client a portal password reset link."""
    return _send_link(link_id, PortalInvitation.Kind.RESET)
