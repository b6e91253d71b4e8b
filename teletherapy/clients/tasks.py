"""Portal emails, sent outside the request by django-tasks.

Tasks take only the link's id: the raw token is minted here (accounts.links.send), its hash
saved on the row, and the raw token goes only into the email. Task arguments and return
values are stored by the database backend, so neither ever carries a token.
"""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.urls import reverse
from django_tasks import task

from teletherapy.accounts import links
from teletherapy.clients.models import PortalInvitation
from teletherapy.lib import clock
from teletherapy.lib.mailer import build_email


def _send_link(link_id: int, kind: str) -> str:
    link = (
        PortalInvitation.objects.select_related("client__practice", "client__user")
        .filter(pk=link_id, kind=kind)
        .first()
    )
    if link is None:
        return links.SKIPPED
    client = link.client
    invite = kind == PortalInvitation.Kind.INVITE

    def email(raw: str) -> EmailMultiAlternatives | None:
        if not client.email:
            return None
        zone = clock.viewer_zone(client)
        route = "portal:invite_link" if invite else "portal:reset_link"
        context = {
            "practice_name": client.practice.name,
            "first_name": client.preferred_name or client.first_name,
            "link": settings.SITE_URL + reverse(route, kwargs={"token": raw}),
            "expires": clock.named(clock.short_date_time_text(link.expires_at, zone), zone),
            "hours": settings.LINK_VALID_HOURS,
            "username": client.user.username if client.user is not None else "",
        }
        name = "portal_invite" if invite else "portal_reset"
        return build_email(name, to=client.email, context=context)

    return links.send(link, email=email)


@task()
def send_portal_invite_email(link_id: int) -> str:
    """Email a client their portal sign-up link."""
    return _send_link(link_id, PortalInvitation.Kind.INVITE)


@task()
def send_portal_reset_email(link_id: int) -> str:
    """Email a client a portal password reset link."""
    return _send_link(link_id, PortalInvitation.Kind.RESET)
