"""Callbacks instead of polling: each status change of a request a client filed, posted to that client.

A client with a callback URL (set in the admin) gets a signed Standard Webhooks delivery for each status
change of the requests it filed: the same fields servicerequestupdates and requests/{id} would give it,
nothing more (privacy.public_update and privacy.public_request decide them). The delivery is an outbox row
written in the transaction of the status change (queue_status_callback, on workflow.status_changed), sent
after commit and retried with backoff until its window closes, then dead-lettered, like a Traffic Control
hand-off; the signing, the timeouts and the refusal of private addresses are traffic.client's.
"""

from __future__ import annotations

import logging

from django.utils import timezone

from reports import outbox
from reports.models import Channel, OutboxMessage, Report, ReportEvent
from traffic import client as webhooks

from . import privacy
from .models import CALLBACK_KIND, ApiClient, ApiFiling, CallbackAttempt

log = logging.getLogger(__name__)

EVENT_TYPE = "open311.service_request.updated"
SCHEMA_VERSION = "2026-11-29"


def queue_status_callback(report: Report, event: ReportEvent) -> OutboxMessage | None:
    """Runs inside the transaction that changed the status (workflow.move sends status_changed), so the
    callback is never lost nor sent for a change that was rolled back. For a report not filed through the
    API it is one comparison and no query."""
    if report.channel != Channel.API or not privacy.is_followed_change(event):
        return None
    filing = ApiFiling.objects.select_related("client").filter(report=report).first()
    if filing is None or not filing.client.wants_callbacks:
        return None
    return outbox.enqueue(
        CALLBACK_KIND,
        report=report,
        dedupe_key=f"open311-callback:{event.pk}",
        payload={"event": event.pk, "client": filing.client_id},
    )


def on_status_changed(sender, *, report: Report, event: ReportEvent, **kwargs) -> None:
    queue_status_callback(report, event)


def callback_payload(event: ReportEvent, client: ApiClient) -> dict:
    return {
        "type": EVENT_TYPE,
        "schema_version": SCHEMA_VERSION,
        "timestamp": privacy.iso(timezone.now()),
        "data": {
            "request_update": privacy.public_update(event, client),
            "request": privacy.public_request(event.report, client),
        },
    }


# --- Delivery (the outbox handler for CALLBACK_KIND) ---------------------------------------------------


def webhook_id_for(message: OutboxMessage) -> str:
    # The same id on every retry: the receiver deduplicates by it.
    return f"open311_{message.pk}"


def deliver(message: OutboxMessage) -> None:
    client = ApiClient.objects.filter(pk=message.payload.get("client")).first()
    event = (
        ReportEvent.objects.select_related("report__report_type", "report__subtype", "report__queue")
        .filter(pk=message.payload.get("event"))
        .first()
    )
    if client is None or event is None:
        raise outbox.GiveUp("the client or the status change is gone")
    if not client.wants_callbacks:
        raise outbox.GiveUp("callbacks are off for this client (no URL or secret, revoked, or disabled)")
    webhook_id = webhook_id_for(message)
    body = webhooks.encode(callback_payload(event, client))
    started_at = timezone.now()
    result = webhooks.post(client.callback_url, webhook_id, body, client.callback_secret_list())
    CallbackAttempt.objects.create(
        message=message,
        client=client,
        webhook_id=webhook_id,
        started_at=started_at,
        status_code=result.status_code,
        latency_ms=result.latency_ms,
        error=result.error,
    )
    log.info(
        "Open311 callback attempt",
        extra={"client": client.pk, "status_code": result.status_code, "latency_ms": result.latency_ms},
    )
    if result.delivered:
        return

    def disable() -> str:
        ApiClient.objects.filter(pk=client.pk).update(callback_disabled_reason="410 Gone")
        return "callbacks disabled"

    result.settle(when_gone=disable)
