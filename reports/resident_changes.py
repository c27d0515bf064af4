"""What a resident may still do from the status link besides answering a question.

Until a report taker takes the report (it is still "Received" and nobody's), the resident can change its
details, add evidence, or withdraw it with a reason. After that, and while it is open, they can send more
information for the report taker. Parking reports are Traffic Control's work from the moment they are
filed, so none of this applies to them. Every change is one audit event; an edit's event lists what
changed, before and after, for staff.
"""

from __future__ import annotations

import json
from decimal import Decimal

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import formats, timezone, translation
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from . import display, evidence, notifications, outbox, submission, workflow
from .evidence import StoredUpload
from .models import Evidence, OutboxMessage, Report, ReportEvent, StolenItem
from .statuses import Status

CONTACT_FIELDS = ("contact_name", "contact_email", "contact_phone", "updates_by")
EDITABLE_FIELDS = tuple(name for name in submission.REPORT_FIELDS if name not in CONTACT_FIELDS)
# The messages a withdrawn report must not send any more; the copies of its photos are still made (staff
# and the resident see only those), and a client's callback for the withdrawal is queued after this.
CANCELLED_ON_WITHDRAWAL = (
    OutboxMessage.Kind.EMAIL,
    OutboxMessage.Kind.SMS,
    OutboxMessage.Kind.OPEN311_CALLBACK,
)
# Events the resident wrote: their words are theirs, not a message from staff.
RESIDENT_KINDS = {ReportEvent.Kind.RESIDENT_REPLY, ReportEvent.Kind.MORE_INFO, ReportEvent.Kind.EDITED}


class TooLate(workflow.NotAllowed):
    def __init__(self):
        super().__init__(
            _(
                "A report taker has started on this report, so it can no longer be changed or withdrawn. "
                "You can still send more information."
            )
        )


def can_change(report: Report) -> bool:
    """Still "Received" and nobody's: the resident may change it, add to it, or withdraw it."""
    return report.status == Status.SUBMITTED and report.assignee_id is None and not report.is_parking


def can_send_more(report: Report) -> bool:
    """Open with a report taker, and not waiting for an answer (the answer form is for that)."""
    return report.status in (Status.SUBMITTED, Status.IN_REVIEW) and not report.is_parking


def is_by_resident(event: ReportEvent) -> bool:
    return event.kind in RESIDENT_KINDS or event.to_status == Status.WITHDRAWN


def lock_changeable(report: Report) -> None:
    workflow.lock(report)
    if not can_change(report):
        raise TooLate


def edit(report: Report, *, details: dict, answers: dict, items: list[dict] | None) -> ReportEvent | None:
    """Save the changed details; None when nothing changed (no event, nothing for staff to look at)."""
    answers = json.loads(json.dumps(answers, cls=DjangoJSONEncoder))  # as the column will read them back
    with transaction.atomic():
        lock_changeable(report)
        before = readable(report, report.answers, list(report.items.all()))
        for name in EDITABLE_FIELDS:
            if name in details:
                setattr(report, name, blank_for(report, name, details[name]))
        report.answers = answers
        new_items = [StolenItem(report=report, order=n, **item) for n, item in enumerate(items or [])]
        after = readable(report, answers, new_items if items is not None else None)
        # Every label either side has: an answer cleared is a change too (its row is gone from `after`).
        labels = [*after, *(label for label in before if label not in after)]
        changes = [[label, before.get(label, ""), after.get(label, "")] for label in labels]
        changes = [change for change in changes if change[1] != change[2]]
        if not changes:
            return None
        report.resident_updated_at = timezone.now()
        report.save(update_fields=[*EDITABLE_FIELDS, "answers", "resident_updated_at", "updated_at"])
        if items is not None:
            report.items.all().delete()
            StolenItem.objects.bulk_create(new_items)
        return workflow.record_event(
            report, ReportEvent.Kind.EDITED, by=None, is_public=True, data={"changes": changes}
        )


def blank_for(report: Report, name: str, value):
    """A cleared optional field: NULL where the column allows it, else an empty string."""
    if value is None and not Report._meta.get_field(name).null:
        return ""
    return value


def readable(report: Report, answers: dict, items: list[StolenItem] | None) -> dict[str, str]:
    """Each edited field as staff read it (label -> text), in the staff's language."""
    with translation.override(settings.LANGUAGE_CODE):
        rows = {}
        for name in EDITABLE_FIELDS:
            label = capfirst(Report._meta.get_field(name).verbose_name)
            rows[str(label)] = as_text(getattr(report, name))
        rows.update((str(label), value) for label, value in display.answer_rows(report.report_type, answers))
        if items is not None:
            rows[_("Stolen items")] = "; ".join(item_text(item) for item in items)
    return rows


def as_text(value) -> str:
    if value is None:
        return ""
    if hasattr(value, "tzinfo"):
        return formats.date_format(timezone.localtime(value), "DATETIME_FORMAT")
    if isinstance(value, Decimal | float):
        return f"{value:g}" if isinstance(value, float) else f"{value:.2f}"
    return str(value)


def item_text(item: StolenItem) -> str:
    extra = [part for part in (item.brand_model, item.serial_number) if part]
    if item.value is not None:
        extra.append(f"${item.value:.2f}")
    return f"{item.description} ({', '.join(extra)})" if extra else item.description


def withdraw(report: Report, *, reason: str) -> ReportEvent:
    """The resident takes the report back: it leaves the queue, and messages not yet sent about it never
    go; the resident is told it was withdrawn."""
    with transaction.atomic():
        lock_changeable(report)
        outbox.cancel_pending(report, CANCELLED_ON_WITHDRAWAL)
        event = workflow.move(report, Status.WITHDRAWN, by=None, note=reason)
        notifications.notify(report, "report-withdrawn", event=event)
    return event


def send_more(report: Report, *, text: str, uploads: list[StoredUpload]) -> ReportEvent:
    """More words or files from the resident, kept with the report and marked for the report taker.

    Waiting for an answer, it is the answer (the report goes back to the queue). The stored files are
    removed if it cannot be saved."""
    try:
        with transaction.atomic():
            workflow.lock(report)
            if report.status == Status.NEEDS_INFO:
                rows = submission.evidence_rows(report, uploads, Evidence.Source.REPLY)
                return workflow.receive_reply(report, text=text, evidence=rows)
            if not can_send_more(report):
                raise workflow.NotAllowed(
                    _("This report is closed, so nothing more can be added to it. Call %(phone)s about it.")
                    % {"phone": settings.PHONE_311}
                )
            rows = Evidence.objects.bulk_create(
                submission.evidence_rows(report, uploads, Evidence.Source.REPLY)
            )
            report.resident_updated_at = timezone.now()
            report.save(update_fields=["resident_updated_at", "updated_at"])
            return workflow.record_event(
                report,
                ReportEvent.Kind.MORE_INFO,
                by=None,
                note=text,
                is_public=True,
                data={"evidence": [str(row.public_id) for row in rows]},
            )
    except BaseException:
        evidence.discard(uploads)
        raise
