"""A report being filed, kept between the steps of the form."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone

from .catalog import ReportSubtype, ReportType
from .report import Channel, Report


class Draft(models.Model):
    """A report being filed: the answers so far, kept between the steps of the form.

    It belongs to one browser session (the key lives in the session) and is purged after
    DRAFT_TTL_HOURS. Once submitted it points at its report, so a resent submit finds it.
    """

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
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"draft {self.pk} ({self.report_type_id or '-'})"
