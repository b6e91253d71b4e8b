"""Emails sent outside the request. Arguments are row ids only: tokens are minted here."""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse
from django_tasks import task

from teletherapy.lib.mailer import build_email, send_with_retries
from teletherapy.lib.tokens import new_token
from teletherapy.practice.models import StaffInvitation


@task()
def send_staff_invitation(*, invitation_id: int) -> bool:
    """Mint the invitation's token, store its hash, and email the raw token to the person."""
    invitation = StaffInvitation.objects.select_related(
        "staff__user", "staff__practice", "sent_by"
    ).get(pk=invitation_id)
    if not invitation.is_usable():
        return False
    raw, token_hash = new_token()
    invitation.token_hash = token_hash
    invitation.save(update_fields=["token_hash"])
    user = invitation.staff.user
    message = build_email(
        "staff_invitation",
        to=user.email,
        context={
            "first_name": (user.full_name or "").split(" ")[0],
            "practice_name": invitation.staff.practice.name,
            "inviter_name": str(invitation.sent_by) if invitation.sent_by else "Your practice",
            "link": settings.SITE_URL + reverse("practice:invitation_link", args=[raw]),
            "sign_in_url": settings.SITE_URL + reverse("accounts:sign_in"),
            "hours": settings.LINK_VALID_HOURS,
        },
    )
    sent = send_with_retries(message)
    invitation.delivery_status = "sent" if sent else "failed"
    invitation.save(update_fields=["delivery_status"])
    return sent
