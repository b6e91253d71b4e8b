"""Emails sent outside the request. Arguments are row ids only: tokens are minted here."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.urls import reverse
from django.utils import timezone
from django_tasks import task

from teletherapy.accounts import links
from teletherapy.lib.mailer import build_email, send_with_retries
from teletherapy.practice.models import PracticeSignup, StaffInvitation


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


@task()
def send_practice_signup(*, signup_id: int) -> str:
    """Email the confirmation link of "Create your practice", or, when the address already
    has an account, tell its holder so (and void the sign-up): the form said the same."""
    from teletherapy.accounts.models import User

    signup = PracticeSignup.objects.get(pk=signup_id)
    if User.objects.filter(username=signup.email).exists():
        if not signup.is_usable():
            return links.SKIPPED
        PracticeSignup.objects.filter(pk=signup.pk).update(
            voided_at=timezone.now(),
            password_hash="",  # nosec B106
        )
        note = build_email(
            "account_exists",
            to=signup.email,
            context={
                "sign_in_url": settings.SITE_URL + reverse("accounts:sign_in"),
                "forgot_url": settings.SITE_URL + reverse("accounts:forgot_password"),
            },
        )
        return links.SENT if send_with_retries(note) else links.FAILED

    def email(raw: str) -> EmailMultiAlternatives:
        return build_email(
            "practice_signup",
            to=signup.email,
            context={
                "first_name": signup.owner_name.split(" ")[0],
                "practice_name": signup.practice_name,
                "link": settings.SITE_URL + reverse("practice:create_link", args=[raw]),
                "hours": settings.LINK_VALID_HOURS,
            },
        )

    return links.send(signup, email=email)


@task()
def send_address_taken(*, email: str, practice_id: int) -> bool:
    """A practice tried to add `email`, which already has an account: tell its holder."""
    from teletherapy.practice.models import Practice

    practice = Practice.objects.get(pk=practice_id)
    note = build_email(
        "staff_address_taken",
        to=email,
        context={
            "practice_name": practice.name,
            "sign_in_url": settings.SITE_URL + reverse("accounts:sign_in"),
        },
    )
    return send_with_retries(note)
