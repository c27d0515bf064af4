"""Residents who saw a parking problem someone had already reported, and said "me too" instead."""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from .report import Channel, Report


class MeToo(models.Model):
    """One more person who saw it: counted on the report, and told what happens when they left an email."""

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="me_toos")
    channel = models.CharField(max_length=10, choices=Channel.choices, default=Channel.WEB)
    language = models.CharField(max_length=10, default="en")
    contact_email = models.EmailField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = "me too"
        verbose_name_plural = "me toos"

    def __str__(self) -> str:
        return f"me too on {self.report_id}"
