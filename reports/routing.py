"""Where a report goes: the queue its catalog entry names and, for parking, Traffic Control.

This sits above both the workflow (which moves a report between queues) and the hand-off (which gives
Traffic Control its work), so neither has to call the other.
"""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from traffic import handoff

from . import workflow
from .models import Queue, Report, ReportEvent, ReportType
from .statuses import Status


def route_filed_report(report: Report) -> None:
    """Runs in the filing transaction: a parking report is Traffic Control's work from the start."""
    if report.is_parking:
        handoff.hand_off_parking_report(report, occasion="filed")


def move_report(report: Report, *, by: AbstractBaseUser, queue: Queue, note: str = "") -> ReportEvent:
    """Move the report to another queue; into Traffic Control's, it is handed off as a ticket."""
    to_traffic = queue.kind == Queue.Kind.TRAFFIC_CONTROL
    if to_traffic and not report.is_parking:
        raise workflow.NotAllowed(
            _(
                "Only parking reports can go to Traffic Control: they work parking tickets and nothing "
                "else. Move it to another queue, or refer it to police."
            )
        )
    with transaction.atomic():
        event = workflow.move_to_queue(report, by=by, queue=queue, note=note)
        if to_traffic:
            handoff.hand_off_parking_report(report, occasion=f"moved-{event.pk}")
    return event


def still_there(report: Report) -> ReportEvent:
    """The resident says the vehicle is still there: reopened once, and Traffic Control has it again
    (on the board, and through each endpoint as a `parking_report.reopened` delivery)."""
    with transaction.atomic():
        event = workflow.reopen_still_there(report)
        handoff.hand_off_parking_report(report, occasion="reopened")
    return event


def still_there_by_text(phone: str) -> Report | None:
    """A reply STILL from a number that gets a parking report's texts: the report of that number resolved
    most recently, within the hours allowed, goes back to Traffic Control; None when there is none."""
    report = (
        Report.objects.filter(
            contact_phone=phone,
            sms_consent_at__isnull=False,
            report_type__form=ReportType.Form.PARKING,
            status=Status.RESOLVED,
            reopened_at__isnull=True,
            closed_at__gt=timezone.now() - timedelta(hours=workflow.STILL_THERE_HOURS),
        )
        .order_by("-closed_at", "-pk")
        .first()
    )
    if report is None:
        return None
    try:
        still_there(report)
    except workflow.NotAllowed:  # reopened a moment ago through its status page
        return None
    return report
