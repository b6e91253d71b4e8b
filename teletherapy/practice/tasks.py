"""Emails sent outside the request. Arguments are row ids only: tokens are minted here."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.urls import reverse
from django_tasks import task

from teletherapy.accounts import links
from teletherapy.lib.mailer import build_email
from teletherapy.practice.models import StaffInvitation


@task()
def send_staff_invitation(*, invitation_id: int) -> bool:
    """Mint the invitation's token, store its hash, and email the raw token to the person."""
    invitation = StaffInvitation.objects.select_related(
        "staff__user", "staff__practice", "sent_by"
    ).get(pk=invitation_id)
    user = invitation.staff.user

    def email(raw: str) -> EmailMultiAlternatives:
        return build_email(
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

    return links.send(invitation, email=email) == links.SENT
