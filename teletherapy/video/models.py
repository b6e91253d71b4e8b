from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from teletherapy.scheduling.models import Appointment


class VideoSession(models.Model):
    """The record of a Teletherapy call: who was there and when. No media is ever stored."""

    appointment = models.OneToOneField(
        Appointment, on_delete=models.CASCADE, related_name="video_session"
    )
    started_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    client_location = models.CharField(max_length=2, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    # Ended for everyone by the therapist: no one can join again. Set once (a conditional
    # UPDATE in services.end_for_everyone), never cleared.
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The therapist put the client back in the Waiting Room (media paused both ways).
    on_hold_since = models.DateTimeField(null=True, blank=True)

    @property
    def is_closed(self) -> bool:
        return self.closed_at is not None

    @property
    def duration_seconds(self) -> int | None:
        if self.started_at and self.ended_at:
            return int((self.ended_at - self.started_at).total_seconds())
        return None


class Participation(models.Model):
    """One connection of one participant; presence is derived from rows with left_at unset
    whose connection still beats (seen_at is refreshed while it is open), so the connection
    of an app process that died does not stay present."""

    class Role(models.TextChoices):
        THERAPIST = "therapist", "Therapist"
        CLIENT = "client", "Client"

    session = models.ForeignKey(
        VideoSession, on_delete=models.CASCADE, related_name="participations"
    )
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    role = models.CharField(max_length=10, choices=Role.choices)
    channel_name = models.CharField(max_length=200)
    joined_at = models.DateTimeField(default=timezone.now)
    left_at = models.DateTimeField(null=True, blank=True)
    seen_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["joined_at", "id"]
        indexes = [
            models.Index(fields=["session", "role", "left_at"]),
            models.Index(fields=["left_at", "seen_at"], name="video_presence_beat"),
        ]


class SessionEvent(models.Model):
    """A moment of the session record other than presence: hold, resume, ended for
    everyone. Who and when only (never what was said)."""

    class Kind(models.TextChoices):
        HOLD = "hold", "Put the client on hold"
        RESUME = "resume", "Brought the client back"
        END = "end", "Ended the session for everyone"
        REMOVE = "remove", "Removed the client from the session"
        TOGETHER = "together", "Noted: joined together on one device"

    session = models.ForeignKey(VideoSession, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    # In a couple's or a family's call: the one person a hold, a removal or a note is about
    # (None: the session's only client, or everyone).
    about = models.ForeignKey(
        "clients.Client", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at", "id"]


class PersonLocation(models.Model):
    """Where one client of the session says they are right now (a U.S. state code), each
    person on their own: a couple or a family may be in different states, and each state is
    checked against the therapist's licences. Written by services.set_client_location, which
    audits every change. VideoSession.client_location stays the primary client's, for the
    two-person call and the pages that show one location."""

    session = models.ForeignKey(VideoSession, on_delete=models.CASCADE, related_name="locations")
    client = models.ForeignKey(
        "clients.Client", on_delete=models.CASCADE, related_name="session_locations"
    )
    code = models.CharField(max_length=2)
    stated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["stated_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["session", "client"], name="video_one_location_each")
        ]
