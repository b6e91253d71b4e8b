from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone

from teletherapy.video.models import VideoSession

WORD_MAX_LENGTH = 200


class WordQuerySet(models.QuerySet["WaitingRoomWord"]):
    def for_viewer(self, client: Any) -> WordQuerySet:
        """The words a client of the session may read: those to everyone and those to
        them (None: a staff viewer, who reads them all)."""
        if client is None:
            return self
        return self.filter(models.Q(to__isnull=True) | models.Q(to_id=client.pk))


class WaitingRoomWord(models.Model):
    """A short message from the therapist to the client waiting in the Telehealth Waiting
    Room. Part of the session record: who sent it, when, and what it said."""

    session = models.ForeignKey(VideoSession, on_delete=models.CASCADE, related_name="words")
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    sent_at = models.DateTimeField(default=timezone.now)
    text = models.CharField(max_length=WORD_MAX_LENGTH)
    # A couple's or a family's session: the one client it is for (None: everyone waiting).
    # No one else in the Waiting Room sees it.
    to = models.ForeignKey(
        "clients.Client", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = WordQuerySet.as_manager()

    class Meta:
        ordering = ["sent_at", "id"]
        indexes = [models.Index(fields=["session", "sent_at"])]


class AlertSettings(models.Model):
    """A person's choices for the check-in alert (the chime is on until they switch it off)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="alert_settings"
    )
    chime = models.BooleanField(default=True)
