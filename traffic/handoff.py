"""Parking reports go to Traffic Control (RS): decide whether a report is new work, and deliver it.

With TRAFFIC_HANDOFF=board, Traffic Control works the ticket on the portal's board. With
TRAFFIC_HANDOFF=webhook, each active endpoint also gets a signed delivery through the outbox, retried
for at least a day; its status updates come back through updates.py. Either way the resident's status
page follows.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.utils import timezone

from reports import evidence_jobs, outbox, workflow
from reports.models import OutboxMessage, Report, ReportEvent

from . import client
from .models import DeliveryAttempt, TrafficEndpoint
from .queries import open_duplicate_of

log = logging.getLogger(__name__)


def hand_off_parking_report(report: Report, *, occasion: str) -> None:
    """Runs inside the transaction that filed or moved the report, so the work is never lost."""
    original = open_duplicate_of(report) if occasion == "filed" else None
    if original is not None:
        workflow.link_parking_duplicate(report, original)
        return
    if settings.TRAFFIC_HANDOFF == "webhook":
        for endpoint in TrafficEndpoint.objects.filter(active=True):
            outbox.enqueue(
                OutboxMessage.Kind.TRAFFIC_HANDOFF,
                report=report,
                dedupe_key=f"handoff:{report.pk}:{occasion}:{endpoint.pk}",
                payload={"endpoint": endpoint.pk, "occasion": occasion},
            )
    else:
        workflow.record_event(
            report, ReportEvent.Kind.HANDED_OFF, by=None, is_public=True, data={"via": "board"}
        )


# --- Delivery (the outbox handler for TRAFFIC_HANDOFF) -------------------------------------------------


def webhook_id_for(message: OutboxMessage) -> str:
    # The same id on every retry: the receiver deduplicates by it.
    return f"handoff_{message.pk}"


def deliver(message: OutboxMessage) -> None:
    endpoint = TrafficEndpoint.objects.filter(pk=message.payload.get("endpoint"), active=True).first()
    if endpoint is None:
        raise outbox.GiveUp("the Traffic endpoint was removed or disabled")
    report, webhook_id = message.report, webhook_id_for(message)
    photos = list(report.evidence.without_field_photos())
    # The photo links must lead to copies: a hand-off that overtook their job makes them itself.
    evidence_jobs.make_missing_copies(photos)
    reopened = message.payload.get("occasion") == "reopened"
    body = client.encode(client.handoff_payload(report, reopened=reopened, photos=photos))
    started_at = timezone.now()
    result = client.post(endpoint.url, webhook_id, body, endpoint.secret_list())
    DeliveryAttempt.objects.create(
        message=message,
        endpoint=endpoint,
        webhook_id=webhook_id,
        started_at=started_at,
        status_code=result.status_code,
        latency_ms=result.latency_ms,
        error=result.error,
    )
    log.info(
        "Hand-off attempt",
        extra={
            "tracking_number": report.tracking_number,
            "status_code": result.status_code,
            "latency_ms": result.latency_ms,
            "endpoint": endpoint.name,
        },
    )
    if result.delivered:
        record_delivery(report, endpoint, webhook_id)
        return

    def disable() -> str:
        TrafficEndpoint.objects.filter(pk=endpoint.pk).update(active=False, disabled_reason="410 Gone")
        return "endpoint disabled"

    result.settle(when_gone=disable)


def record_delivery(report: Report, endpoint: TrafficEndpoint, webhook_id: str) -> None:
    # Written only after the receiver said 2xx, once per webhook-id even if the task runs again.
    if not report.events.filter(kind=ReportEvent.Kind.HANDED_OFF, data__webhook_id=webhook_id).exists():
        workflow.record_event(
            report,
            ReportEvent.Kind.HANDED_OFF,
            by=None,
            is_public=True,
            data={"via": endpoint.name, "webhook_id": webhook_id},
        )
