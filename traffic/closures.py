"""Resolving a ticket, with a photo from the field when Traffic Control took one: the board and the signed
updates both close tickets here.

The photo is checked and kept like a resident's evidence (reports.evidence, photos only), and the worker
makes its copies. It is for staff: a street scene, with bystanders and other cars in it, so the resident's
pages and the hand-offs leave it out (Evidence.Source.FIELD).
"""

from __future__ import annotations

from dataclasses import asdict

from django.contrib.auth.models import AbstractBaseUser
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction

from reports import evidence, evidence_jobs, workflow
from reports.models import Evidence, Report, ReportEvent


def resolve(
    report: Report,
    *,
    by: AbstractBaseUser | None,
    outcome: str,
    note: str = "",
    photo: UploadedFile | None = None,
    data: dict | None = None,
) -> ReportEvent:
    """Resolve the ticket; its event names the photo. A photo refused (EvidenceRejected) or not kept
    (StorageUnavailable) leaves the ticket as it was, and a resolve that fails takes the photo's files."""
    if photo is None:
        return workflow.resolve(report, by=by, outcome=outcome, note=note, data=data)
    stored = evidence.store_upload(photo, copies=False, photos_only=True)
    try:
        with transaction.atomic():
            row = Evidence(report=report, source=Evidence.Source.FIELD, **asdict(stored))
            event = workflow.resolve(
                report, by=by, outcome=outcome, note=note, data={**(data or {}), "photo": str(row.public_id)}
            )
            row.save()
            evidence_jobs.queue_copies(report, [stored], occasion=f"closure-{event.pk}")
    except BaseException:
        evidence.discard([stored])
        raise
    return event
