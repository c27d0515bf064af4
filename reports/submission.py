"""Filing a report: one transaction creates the report, its items, evidence, first event and work."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import translation

from . import catalog, evidence, evidence_jobs, notifications, routing, sms, workflow
from .evidence import StoredUpload
from .evidence_checks import EvidenceRejected
from .models import (
    Draft,
    DraftUpload,
    Evidence,
    Report,
    ReportEvent,
    StolenItem,
    UpdatesBy,
    new_tracking_number,
)
from .statuses import Status

log = logging.getLogger(__name__)

REPORT_FIELDS = (
    "occurred_from",
    "occurred_to",
    "address",
    "location_detail",
    "latitude",
    "longitude",
    "description",
    "damaged_property",
    "estimated_cost",
    "vehicle_plate",
    "vehicle_state",
    "vehicle_make",
    "vehicle_colour",
    "contact_name",
    "contact_email",
    "contact_phone",
    "updates_by",
)


@dataclass(frozen=True)
class Filed:
    report: Report
    created: bool


def store_uploads(files: list[UploadedFile]) -> tuple[list[StoredUpload], list[str]]:
    """Check and store every file, or none of them: one bad file and the others are discarded.

    When the storage itself fails (a full disk), nothing is kept and the resident is told the report
    can go without its files: what they typed is in the draft, and staff can ask for the files later."""
    try:
        evidence.check_file_count(len(files))
    except ValidationError as exc:
        return [], exc.messages
    stored, errors = [], []
    try:
        for upload in files:
            try:
                stored.append(evidence.store_upload(upload))
            except EvidenceRejected as exc:
                errors.append(exc.message)
    except evidence.StorageUnavailable:
        evidence.discard(stored)
        return [], [evidence.storage_unavailable_message()]
    except BaseException:
        evidence.discard(stored)
        raise
    if errors:
        evidence.discard(stored)
        return [], errors
    return stored, []


def file_report(
    draft: Draft,
    *,
    details: dict,
    answers: dict,
    items: list[dict],
    uploads: list[StoredUpload],
    by: AbstractBaseUser | None,
) -> Filed:
    """File the draft once. A resent submission of the same draft gets the report filed the first time."""
    with transaction.atomic():
        draft = catalog.with_kinds(Draft.objects.select_for_update().get(pk=draft.pk))
        if draft.report_id:
            return Filed(draft.report, created=False)
        report = build_report(draft, details, answers)
        save_with_tracking_number(report)
        StolenItem.objects.bulk_create(
            StolenItem(report=report, order=n, **item) for n, item in enumerate(items)
        )
        Evidence.objects.bulk_create(evidence_rows(report, uploads, Evidence.Source.FILING))
        evidence_jobs.queue_copies(report, uploads)
        # The files the resident added while filling it in are the report's evidence now.
        DraftUpload.objects.filter(draft=draft).delete()
        workflow.record_event(
            report,
            ReportEvent.Kind.FILED,
            by=by,
            is_public=True,
            to_status=Status.SUBMITTED,
            data={"channel": report.channel, "evidence": len(uploads), "items": len(items)},
        )
        notifications.notify(report, "report-filed")
        routing.route_filed_report(report)
        draft.report = report
        draft.save(update_fields=["report", "updated_at"])
    log.info("Report filed", extra={"tracking_number": report.tracking_number, "channel": report.channel})
    return Filed(report, created=True)


def build_report(draft: Draft, details: dict, answers: dict) -> Report:
    report_type = draft.report_type
    report = Report(
        report_type=report_type,
        subtype=draft.subtype,
        queue=report_type.queue,
        channel=draft.channel,
        language=draft.language,
        eligibility=draft.eligibility,
        answers=answers,
        filed_by=draft.filed_by,
        **{field: details[field] for field in REPORT_FIELDS if details.get(field) is not None},
    )
    report.sla_due_at = report.created_at + timedelta(hours=report_type.sla_hours)
    texts = report.updates_by in (UpdatesBy.TEXT, UpdatesBy.BOTH)
    if texts and report.contact_phone and report.contact_phone == draft.phone_confirmed:
        # Texts only to the number the resident confirmed, with the words they agreed to.
        with translation.override(draft.language):
            report.sms_consent_text = str(sms.CONSENT)
        report.sms_consent_at = report.created_at
    return report


def save_with_tracking_number(report: Report, attempts: int = 5) -> None:
    # 30^8 numbers make a clash rare, but a clash must not lose the report: draw again.
    for _attempt in range(attempts - 1):
        try:
            with transaction.atomic():
                report.save()
            return
        except IntegrityError:
            report.tracking_number = new_tracking_number()
    report.save()


def evidence_rows(report: Report, uploads: list[StoredUpload], source: str) -> list[Evidence]:
    return [
        Evidence(
            report=report,
            source=source,
            original=upload.original,
            original_name=upload.original_name,
            content_type=upload.content_type,
            size=upload.size,
            sha256=upload.sha256,
            derived=upload.derived,
            thumbnail=upload.thumbnail,
            width=upload.width,
            height=upload.height,
        )
        for upload in uploads
    ]


def reply(report: Report, *, text: str, uploads: list[StoredUpload]) -> None:
    """The resident's answer, with its evidence, back into the queue; stored files go if it fails."""
    try:
        workflow.receive_reply(
            report, text=text, evidence=evidence_rows(report, uploads, Evidence.Source.REPLY)
        )
    except BaseException:
        evidence.discard(uploads)
        raise
