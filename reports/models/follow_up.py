"""The question a resident is asked a few days after their report closed, and who asked not to be asked."""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from .report import Report


class FollowUp(models.Model):
    """Asked once per report (reports/follow_ups.py); each answer is kept once, the first one given.

    A row with no `asked_at` was decided but not sent: the resident had asked not to be asked again.
    """

    report = models.OneToOneField(Report, on_delete=models.CASCADE, related_name="follow_up")
    asked_at = models.DateTimeField(null=True, blank=True, db_index=True)
    easy = models.BooleanField(null=True)  # "Was this easy to report?"
    satisfied = models.BooleanField(null=True)  # "Are you satisfied with what happened?"
    answered_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"follow-up for {self.report_id}"


class FollowUpOptOut(models.Model):
    """An email address or phone number that asked not to get these questions; kept only as a hash."""

    contact_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"follow-up opt-out {self.contact_hash[:12]}…"
