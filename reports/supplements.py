"""Supplemental reports: a resident who finds more stolen items, a receipt or a serial number after their
report was approved adds them from its status link.

A supplement is a report of its own, linked to the original: it lands in the same queue and is reviewed
like any report (asked about, approved, rejected). Approved, it is numbered under the original's case
number (reports/case_numbers.py: "MP26-000123-S1"), and the case's PDF, the original's, is issued again
with every approved supplement in it.
"""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.utils.translation import gettext as _

from . import evidence, notifications, submission, workflow
from .evidence import StoredUpload
from .models import Channel, Evidence, Report, ReportEvent, StolenItem
from .statuses import CLOSED_STATUSES, Status

# What a supplement takes from its original: the same incident, place and person.
COPIED_FIELDS = (
    "report_type",
    "subtype",
    "language",
    "eligibility",
    "occurred_from",
    "occurred_to",
    "address",
    "location_detail",
    "latitude",
    "longitude",
    "contact_name",
    "contact_email",
    "contact_phone",
    "updates_by",
    "sms_consent_at",
    "sms_consent_text",
)


def case_of(report: Report) -> Report:
    """The report whose case number and PDF a supplement belongs to: the original."""
    return report.supplement_of if report.supplement_of_id else report


def refusal(report: Report) -> str:
    """Why a supplement cannot be added to this report's case now; empty when it can."""
    original = case_of(report)
    if original.is_parking:
        return _("Parking reports are handled by Traffic Control and have no supplements.")
    if original.status == Status.APPROVED:
        return ""
    if original.status not in CLOSED_STATUSES:
        return _(
            "This report is still being reviewed: send what you found with “Send more information” on its "
            "status page instead."
        )
    return _(
        "Only an approved report can have a supplement, and this one is “%(status)s”. To report "
        "something new, file a new report."
    ) % {"status": Status(original.status).label}


def file(report: Report, *, description: str, items: list[dict], uploads: list[StoredUpload]) -> Report:
    """File the supplement in one transaction: the report, its items and files, an event on each side,
    and the resident's confirmation. Raises workflow.NotAllowed (with the reason) when the case cannot
    take one; the stored files are removed if anything fails."""
    try:
        with transaction.atomic():
            original = Report.objects.select_for_update().get(pk=case_of(report).pk)
            reason = refusal(original)
            if reason:
                raise workflow.NotAllowed(reason)
            supplement = build(original, description)
            submission.save_with_tracking_number(supplement)
            StolenItem.objects.bulk_create(
                StolenItem(report=supplement, order=n, **item) for n, item in enumerate(items)
            )
            Evidence.objects.bulk_create(
                submission.evidence_rows(supplement, uploads, Evidence.Source.FILING)
            )
            workflow.record_event(
                supplement,
                ReportEvent.Kind.FILED,
                by=None,
                is_public=True,
                to_status=Status.SUBMITTED,
                data={
                    "channel": supplement.channel,
                    "supplement_of": original.tracking_number,
                    "evidence": len(uploads),
                    "items": len(items),
                },
            )
            workflow.record_event(
                original,
                ReportEvent.Kind.SUPPLEMENT,
                by=None,
                is_public=True,
                data={"supplement": supplement.tracking_number},
            )
            notifications.notify(supplement, "report-filed")
    except BaseException:
        evidence.discard(uploads)
        raise
    return supplement


def build(original: Report, description: str) -> Report:
    supplement = Report(
        supplement_of=original,
        queue=original.report_type.queue,
        channel=Channel.WEB,
        description=description,
        **{name: getattr(original, name) for name in COPIED_FIELDS},
    )
    supplement.sla_due_at = supplement.created_at + timedelta(hours=original.report_type.sla_hours)
    return supplement
