"""Parking reports go to Traffic Control (RS): when filed, and whenever one is moved into their queue.

With TRAFFIC_HANDOFF=board, Traffic Control works the ticket on the portal's board. With
TRAFFIC_HANDOFF=webhook, each active endpoint also gets a signed delivery through the outbox, retried
for at least a day, and posts status updates back. Either way the resident's status page follows.
"""

from __future__ import annotations

import logging
import math
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from . import outbox, traffic, workflow
from .models import (
    DeliveryAttempt,
    InboundUpdate,
    OutboxMessage,
    Outcome,
    Report,
    ReportEvent,
    ReportType,
    Status,
    TrafficEndpoint,
)

log = logging.getLogger(__name__)
DUPLICATE_RADIUS_METRES = 30
DUPLICATE_WINDOW = timedelta(hours=24)
ACTIVE_TICKET = (Status.SUBMITTED, Status.DISPATCHED, Status.ON_SCENE)


class UnknownTicket(Exception):
    pass


class BadUpdate(Exception):
    pass


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
                payload={"endpoint": endpoint.pk},
            )
    else:
        workflow.record_event(
            report, ReportEvent.Kind.HANDED_OFF, by=None, is_public=True, data={"via": "board"}
        )


def open_duplicate_of(report: Report) -> Report | None:
    """An open parking report from the last day for the same plate, or the same problem within 30 m."""
    candidates = (
        Report.objects.filter(
            report_type__form=ReportType.Form.PARKING,
            status__in=ACTIVE_TICKET,
            created_at__gte=report.created_at - DUPLICATE_WINDOW,
        )
        .exclude(pk=report.pk)
        .order_by("created_at", "id")
    )
    if report.vehicle_plate:
        same_plate = candidates.filter(vehicle_plate=report.vehicle_plate).first()
        if same_plate is not None:
            return same_plate
    if report.latitude is None:
        return None
    nearby = candidates.filter(subtype=report.subtype, latitude__isnull=False)
    for other in nearby:
        if (
            metres_between(report.latitude, report.longitude, other.latitude, other.longitude)
            <= DUPLICATE_RADIUS_METRES
        ):
            return other
    return None


def metres_between(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    # Haversine: plenty precise at city scale.
    radius = 6_371_000
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi, dlmb = math.radians(lat2 - lat1), math.radians(lng2 - lng1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlmb / 2) ** 2
    return 2 * radius * math.asin(math.sqrt(a))


# --- Delivery (the outbox handler for TRAFFIC_HANDOFF) -------------------------------------------------


def webhook_id_for(message: OutboxMessage) -> str:
    # The same id on every retry: the receiver deduplicates by it.
    return f"handoff_{message.pk}"


def deliver(message: OutboxMessage) -> None:
    endpoint = TrafficEndpoint.objects.filter(pk=message.payload.get("endpoint"), active=True).first()
    if endpoint is None:
        raise outbox.GiveUp("the Traffic endpoint was removed or disabled")
    report, webhook_id = message.report, webhook_id_for(message)
    body = traffic.encode(traffic.handoff_payload(report))
    started_at = timezone.now()
    result = traffic.post(endpoint.url, webhook_id, body, endpoint.secret_list())
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
    failure = f"{result.status_code or 'no answer'}: {result.error}".strip()
    if result.endpoint_gone:
        TrafficEndpoint.objects.filter(pk=endpoint.pk).update(active=False, disabled_reason="410 Gone")
        raise outbox.GiveUp(f"{failure} (endpoint disabled)")
    if result.worth_retrying:
        raise outbox.RetryLater(failure)
    raise outbox.GiveUp(failure)


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


# --- Status updates from Traffic Control ------------------------------------------------------------------


def apply_update(webhook_id: str, payload: dict, endpoint: TrafficEndpoint | None) -> str:
    """Apply one signed update; "duplicate" if this webhook-id was applied before."""
    data = payload.get("data") if isinstance(payload, dict) else None
    if not isinstance(data, dict) or not isinstance(data.get("ticket_id"), str):
        raise BadUpdate("data.ticket_id is missing")
    try:
        with transaction.atomic():
            if InboundUpdate.objects.filter(webhook_id=webhook_id).exists():
                return "duplicate"
            report = Report.objects.filter(
                tracking_number=data["ticket_id"].upper(), report_type__form=ReportType.Form.PARKING
            ).first()
            if report is None:
                raise UnknownTicket(data["ticket_id"])
            InboundUpdate.objects.create(
                webhook_id=webhook_id, report=report, endpoint=endpoint, payload=payload
            )
            move_ticket(
                report, data, source={"source": endpoint.name if endpoint else "", "webhook_id": webhook_id}
            )
    except IntegrityError:  # the same update arriving twice at the same moment
        return "duplicate"
    return "applied"


def move_ticket(report: Report, data: dict, *, source: dict) -> None:
    status = data.get("status")
    if status == "dispatched":
        workflow.dispatch(report, by=None, unit=str(data.get("unit", ""))[:60], data=source)
    elif status == "on_scene":
        workflow.arrive(report, by=None, data=source)
    elif status == "resolved":
        if data.get("outcome") not in Outcome.values:
            raise BadUpdate(f"data.outcome must be one of {', '.join(Outcome.values)}")
        workflow.resolve(
            report, by=None, outcome=data["outcome"], note=str(data.get("note", ""))[:2000], data=source
        )
    else:
        raise BadUpdate("data.status must be dispatched, on_scene or resolved")
