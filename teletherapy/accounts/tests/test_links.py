"""The one-time-link module itself: what every kind of link shares."""

from __future__ import annotations

import pytest
from django.core import mail

from teletherapy.accounts import links
from teletherapy.accounts.models import PasswordResetLink
from teletherapy.accounts.tasks import send_reset_link
from teletherapy.lib.tokens import hash_token, is_placeholder

pytestmark = pytest.mark.django_db


def test_a_link_is_sent_once_and_unusable_until_then(cast) -> None:  # type: ignore[no-untyped-def]
    link = links.issue(
        PasswordResetLink, earlier=PasswordResetLink.objects.none(), user=cast.therapist.user
    )
    assert is_placeholder(link.token_hash)
    # No raw token hashes to a placeholder, so an unsent link cannot be found.
    with pytest.raises(links.LinkError):
        links.find_usable(PasswordResetLink.objects.all(), hash_token(link.token_hash))
    assert send_reset_link(link.pk) is True
    # A second run of the task (a retry, a duplicate) sends nothing and keeps the token.
    minted = PasswordResetLink.objects.get(pk=link.pk).token_hash
    assert send_reset_link(link.pk) is False
    assert len(mail.outbox) == 1
    assert PasswordResetLink.objects.get(pk=link.pk).token_hash == minted
    assert PasswordResetLink.objects.get(pk=link.pk).delivery_status == "sent"


def test_issuing_voids_the_earlier_links_of_the_scope(cast) -> None:  # type: ignore[no-untyped-def]
    earlier = PasswordResetLink.objects.filter(user=cast.therapist.user)
    first = links.issue(PasswordResetLink, earlier=earlier, user=cast.therapist.user)
    other = links.issue(
        PasswordResetLink,
        earlier=PasswordResetLink.objects.filter(user=cast.owner.user),
        user=cast.owner.user,
    )
    second = links.issue(PasswordResetLink, earlier=earlier, user=cast.therapist.user)
    first.refresh_from_db()
    other.refresh_from_db()
    assert links.problem_of(first) == "invalid"
    assert links.problem_of(other) is None and links.problem_of(second) is None
