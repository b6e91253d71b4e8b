from __future__ import annotations

from django.db import models

from teletherapy.video.models import Participation, VideoSession


class QualitySample(models.Model):
    """One call-quality report of one participant's page (about every 10 s): what its
    browser's getStats() said about the call. Part of the session record: deleted with it."""

    session = models.ForeignKey(VideoSession, on_delete=models.CASCADE, related_name="+")
    participation = models.ForeignKey(Participation, on_delete=models.CASCADE, related_name="+")
    role = models.CharField(max_length=10, choices=Participation.Role.choices)
    at = models.DateTimeField()
    rtt_ms = models.PositiveIntegerField(null=True, blank=True)
    jitter_ms = models.PositiveIntegerField(null=True, blank=True)
    loss_percent = models.FloatField(null=True, blank=True)
    kbps_in = models.PositiveIntegerField(default=0)
    kbps_out = models.PositiveIntegerField(default=0)
    # The video this participant received.
    fps = models.PositiveSmallIntegerField(null=True, blank=True)
    width = models.PositiveSmallIntegerField(null=True, blank=True)
    height = models.PositiveSmallIntegerField(null=True, blank=True)
    # The selected candidate pair: host, srflx, prflx or relay ("" unknown).
    local_type = models.CharField(max_length=5, blank=True)
    remote_type = models.CharField(max_length=5, blank=True)
    audio_only = models.BooleanField(default=False)
    state = models.CharField(max_length=12)
    # Drops the page saw end since its last report: [[ms before `at` it ended, ms it lasted]].
    drops = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["session", "at"])]
