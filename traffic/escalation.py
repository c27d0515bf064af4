"""Parking tickets not dispatched within their subtype's target (ReportSubtype.dispatch_target_minutes)
are escalated, once: they go to the top of the board, and the supervisors are told by email.

Run every minute by Celery beat (reports.tasks.escalate_overdue_tickets).
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.db import transaction
from django.db.models import Q
from django.db.models.functions import Coalesce
from django.utils import timezone

from reports import notifications, workflow
from reports.models import Queue, Report, ReportEvent, ReportSubtype, ReportType
from reports.statuses import Status

log = logging.getLogger(__name__)

TEMPLATE = "ticket-escalated"


def overdue_tickets(limit: int = 200) -> list[int]:
    """Ids of parking tickets still waiting for a dispatch past their target, not yet escalated."""
    now = timezone.now()
    targets = ReportSubtype.objects.filter(dispatch_target_minutes__isnull=False).values_list(
        "pk", "dispatch_target_minutes"
    )
    past_target = Q(pk__in=[])  # no subtype with a target: nothing is overdue
    for subtype_id, minutes in targets:
        past_target |= Q(subtype_id=subtype_id, waiting_since__lte=now - timedelta(minutes=minutes))
    # A ticket reopened because the vehicle was still there waits from the moment it was reopened.
    due = (
        Report.objects.annotate(waiting_since=Coalesce("reopened_at", "created_at"))
        .filter(
            past_target,
            report_type__form=ReportType.Form.PARKING,
            queue__kind=Queue.Kind.TRAFFIC_CONTROL,
            status=Status.SUBMITTED,
            escalated_at__isnull=True,
        )
        .order_by("created_at", "id")
    )
    return list(due.values_list("id", flat=True)[:limit])


def escalate(report_id: int) -> bool:
    """Escalate one ticket; False when another run got there first or it was dispatched meanwhile."""
    with transaction.atomic():
        now = timezone.now()
        marked = Report.objects.filter(
            pk=report_id, escalated_at__isnull=True, status=Status.SUBMITTED
        ).update(escalated_at=now)
        if not marked:
            return False
        report = Report.objects.select_related("subtype").get(pk=report_id)
        event = workflow.record_event(
            report,
            ReportEvent.Kind.ESCALATED,
            by=None,
            data={"target_minutes": report.subtype.dispatch_target_minutes},
        )
        notifications.queue_supervisor_emails(report, TEMPLATE, event=event)
    log.info("Ticket escalated", extra={"tracking_number": report.tracking_number})
    return True


def escalate_overdue() -> int:
    return sum(escalate(report_id) for report_id in overdue_tickets())
