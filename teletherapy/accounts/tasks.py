"""Emails sent outside the request. Arguments are row ids or the address typed into the form,
never a token: tokens are minted here."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.http import HttpRequest
from django.urls import reverse
from django_tasks import task

from teletherapy.accounts import links
from teletherapy.accounts.models import PasswordResetLink
from teletherapy.accounts.services import issue_password_reset
from teletherapy.audit.services import client_ip
from teletherapy.lib.mailer import build_email


def request_password_reset(*, email: str, request: HttpRequest | None = None) -> None:
    """'Forgot password': queue the request; the task decides whether an account matches.

    The request does the same work whoever the address belongs to (one queued task) and the
    caller answers the same way, so neither the page nor its timing tells who has an account.
    """
    email = email.strip().lower()[:254]
    ip = client_ip(request) or ""
    transaction.on_commit(lambda: password_reset_requested.enqueue(email=email, ip=ip))


@task()
def password_reset_requested(*, email: str, ip: str = "") -> bool:
    """'Forgot password' was submitted for `email`: email a link when an account matches."""
    link = issue_password_reset(email=email, ip=ip)
    return link is not None and send_reset_link(link.pk)


def send_reset_link(link_id: int) -> bool:
    """Mint the link's token, store its hash, and email the raw token to the person."""
    link = PasswordResetLink.objects.select_related("user", "user__staff__practice").get(pk=link_id)
    user = link.user
    practice = getattr(getattr(user, "staff", None), "practice", None)

    def email(raw: str) -> EmailMultiAlternatives:
        return build_email(
            "password_reset",
            to=user.email,
            context={
                "first_name": (user.full_name or "").split(" ")[0],
                "practice_name": practice.name if practice else "",
                "link": settings.SITE_URL + reverse("accounts:reset_link", args=[raw]),
                "hours": settings.LINK_VALID_HOURS,
            },
        )

    return links.send(link, email=email) == links.SENT
