"""A report being filed, kept between the steps of the form, with the files added so far."""

from __future__ import annotations

import secrets
import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone

from .. import evidence
from .catalog import ReportSubtype, ReportType
from .report import Channel, Report


class Draft(models.Model):
    """A report being filed: the answers so far, kept between the steps of the form.

    It belongs to one browser session (the key lives in the session), or to whoever holds its resume
    link, and is purged DRAFT_TTL_HOURS after it was last changed. Once submitted it points at its
    report, so a resent submit finds it.
    """

    class Step(models.TextChoices):
        # Where a resumed draft opens: the last step the resident reached.
        WHERE = "where"
        DETAILS = "details"
        REVIEW = "review"

    key = models.CharField(max_length=64, unique=True, default=secrets.token_urlsafe)
    channel = models.CharField(max_length=10, choices=Channel.choices, default=Channel.WEB)
    language = models.CharField(max_length=10, default="en")
    report_type = models.ForeignKey(ReportType, null=True, on_delete=models.CASCADE, related_name="+")
    subtype = models.ForeignKey(ReportSubtype, null=True, on_delete=models.CASCADE, related_name="+")
    eligibility = models.JSONField(default=dict)
    details = models.JSONField(default=dict)
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    report = models.OneToOneField(Report, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    last_step = models.CharField(max_length=10, choices=Step.choices, default=Step.DETAILS)
    # "Save and come back later": the SHA-256 of the latest resume link's token, never the token.
    resume_token_hash = models.CharField(max_length=64, blank=True, db_index=True)
    resume_email = models.EmailField(blank=True)  # where that link went; purged with the draft
    # The mobile number (E.164) the resident confirmed with a texted code; texts go only to that number.
    phone_confirmed = models.CharField(max_length=20, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [
            # drafts.purge_abandoned: drafts nobody touched for DRAFT_TTL_HOURS.
            models.Index(fields=["updated_at"], name="draft_last_touched"),
        ]

    def __str__(self) -> str:
        return f"draft {self.pk} ({self.report_type_id or '-'})"


class DraftUpload(models.Model):
    """A file the resident added before sending: checked and stored already, so that one bad file or a
    form error never makes them pick the good ones again. Filing turns each into Evidence."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    draft = models.ForeignKey(Draft, on_delete=models.CASCADE, related_name="uploads")
    original = models.CharField(max_length=200)
    original_name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=50)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    derived = models.CharField(max_length=200, blank=True)
    thumbnail = models.CharField(max_length=200, blank=True)
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.original_name

    @property
    def is_image(self) -> bool:
        return bool(self.derived)

    @property
    def copy_pending(self) -> bool:
        return evidence.has_copies_to_make(self.content_type, self.derived)

    copy_failed = False
