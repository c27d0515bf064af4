"""Traffic Control's own records: the dispatch systems we deliver to, each attempt, each update back.

The tables were created by the reports app and keep their names (migrations/0001_initial.py moved the
models here without touching the database).
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from reports.models import OutboxMessage, Report


class TrafficEndpoint(models.Model):
    """An external dispatch system that receives parking hand-offs (when TRAFFIC_HANDOFF=webhook)."""

    name = models.CharField(max_length=100, unique=True)
    url = models.URLField(max_length=500)
    # One whsec_ secret per line. Every line signs outgoing deliveries and may sign incoming updates,
    # so a key is rotated by adding the new one, then removing the old one once the receiver switched.
    secrets = models.TextField(help_text="One whsec_… secret per line; all of them sign, for key rotation.")
    active = models.BooleanField(default=True)
    disabled_reason = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "reports_trafficendpoint"  # created by the reports app, before Traffic Control had its own

    def __str__(self) -> str:
        return self.name

    def secret_list(self) -> list[str]:
        return [line.strip() for line in self.secrets.splitlines() if line.strip()]


class DeliveryAttempt(models.Model):
    """One try at delivering an outbox message over HTTP: when, the answer, how long it took."""

    message = models.ForeignKey(OutboxMessage, on_delete=models.CASCADE, related_name="attempts_made")
    endpoint = models.ForeignKey(TrafficEndpoint, null=True, on_delete=models.SET_NULL, related_name="+")
    webhook_id = models.CharField(max_length=100)
    started_at = models.DateTimeField(default=timezone.now)
    status_code = models.PositiveIntegerField(null=True, blank=True)
    latency_ms = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)

    class Meta:
        db_table = "reports_deliveryattempt"
        ordering = ["started_at", "id"]

    def __str__(self) -> str:
        return f"{self.webhook_id} {self.status_code or self.error[:40]}"


class InboundUpdate(models.Model):
    """A status update Traffic Control posted to us; its webhook-id makes a replay change nothing."""

    webhook_id = models.CharField(max_length=100, unique=True)
    report = models.ForeignKey(Report, null=True, on_delete=models.SET_NULL, related_name="+")
    endpoint = models.ForeignKey(TrafficEndpoint, null=True, on_delete=models.SET_NULL, related_name="+")
    payload = models.JSONField()
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "reports_inboundupdate"

    def __str__(self) -> str:
        return self.webhook_id
