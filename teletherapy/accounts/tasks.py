"""Emails sent outside the request. Arguments are row ids only: tokens are minted here."""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse
from django_tasks import task

from teletherapy.accounts.models import PasswordResetLink
from teletherapy.lib.mailer import build_email, send_with_retries
from teletherapy.lib.tokens import new_token


@task()
def send_password_reset_email(*, link_id: int) -> bool:
    """Mint the link's token, store its hash, and email the raw token to the person."""
    link = PasswordResetLink.objects.select_related("user", "user__staff__practice").get(pk=link_id)
    if not link.is_usable():
        return False
    raw, token_hash = new_token()
    link.token_hash = token_hash
    link.save(update_fields=["token_hash"])
    user = link.user
    practice = getattr(getattr(user, "staff", None), "practice", None)
    message = build_email(
        "password_reset",
        to=user.email,
        context={
            "first_name": (user.full_name or "").split(" ")[0],
            "practice_name": practice.name if practice else "",
            "link": settings.SITE_URL + reverse("accounts:reset_link", args=[raw]),
            "hours": settings.LINK_VALID_HOURS,
        },
    )
    sent = send_with_retries(message)
    link.delivery_status = "sent" if sent else "failed"
    link.save(update_fields=["delivery_status"])
    return sent
