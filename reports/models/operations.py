"""What operations keep: the worker's heartbeat and the record of retention runs."""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class WorkerHeartbeat(models.Model):
    """Written by a worker on a beat schedule; /healthz reads it to know work is being done."""

    name = models.CharField(max_length=50, primary_key=True)
    seen_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.name} at {self.seen_at:%Y-%m-%d %H:%M:%S}"


class RetentionPurge(models.Model):
    """What a retention run removed: counts, never content."""

    ran_at = models.DateTimeField(default=timezone.now)
    cutoff = models.DateTimeField()
    reports = models.PositiveIntegerField(default=0)
    evidence_files = models.PositiveIntegerField(default=0)
    events = models.PositiveIntegerField(default=0)
    drafts = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-ran_at"]

    def __str__(self) -> str:
        return f"{self.ran_at:%Y-%m-%d}: {self.reports} reports before {self.cutoff:%Y-%m-%d}"
