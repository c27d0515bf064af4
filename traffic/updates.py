"""Status updates Traffic Control posts back: each signed update moves its ticket, once."""

from __future__ import annotations

from django.db import IntegrityError, transaction

from reports import workflow
from reports.models import Disposition, Report, ReportType

from .models import InboundUpdate, TrafficEndpoint


class UnknownTicket(Exception):
    pass


class BadUpdate(Exception):
    pass


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
        codes = list(Disposition.objects.filter(active=True).values_list("code", flat=True))
        if data.get("outcome") not in codes:
            raise BadUpdate(f"data.outcome must be one of {', '.join(codes)}")
        workflow.resolve(
            report, by=None, outcome=data["outcome"], note=str(data.get("note", ""))[:2000], data=source
        )
    else:
        raise BadUpdate("data.status must be dispatched, on_scene or resolved")
