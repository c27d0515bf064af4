"""Work for Celery, recorded in the database with the change that caused it."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .report import Report


class OutboxMessage(models.Model):
    """A piece of work written in the same transaction as the change that caused it.

    The broker only wakes a worker up; this row is the record. A periodic sweeper re-sends rows that
    are still pending, and a worker claims a row before doing its work, so a task that runs twice
    does the work once.
    """

    class Kind(models.TextChoices):
        EMAIL = "email", _("Email to the resident")
        SMS = "sms", _("Text message to the resident")
        TRAFFIC_HANDOFF = "traffic_handoff", _("Hand-off to Traffic Control")
        OPEN311_CALLBACK = "open311_callback", _("Status update to an Open311 client")
        EVIDENCE_COPIES = "evidence_copies", _("Copies of the photos filed")

    class State(models.TextChoices):
        PENDING = "pending", _("Pending")
        DONE = "done", _("Done")
        DEAD = "dead", _("Failed for good")
        # Not needed any more: its report was withdrawn before it went (reports/resident_changes.py).
        CANCELLED = "cancelled", _("Cancelled")

    kind = models.CharField(max_length=20, choices=Kind.choices)
    report = models.ForeignKey(Report, null=True, blank=True, on_delete=models.CASCADE, related_name="outbox")
    # One row per intended effect: "email:filed:<report id>" cannot be queued twice.
    dedupe_key = models.CharField(max_length=120, unique=True)
    payload = models.JSONField(default=dict)
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    available_at = models.DateTimeField(default=timezone.now)
    claimed_until = models.DateTimeField(null=True, blank=True)
    # Its last wake-up call never reached the broker: the sweeper sends it at its next run, not after
    # OUTBOX_STUCK_SECONDS, so work filed while the broker was down goes out as soon as it is back.
    wake_failed = models.BooleanField(default=False)
    # When the sweeper last sent it again; it is not sent again before OUTBOX_STUCK_SECONDS have passed.
    resent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            # The sweeper: pending rows that are due.
            models.Index(fields=["state", "available_at"], name="outbox_due"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.dedupe_key} ({self.state})"
