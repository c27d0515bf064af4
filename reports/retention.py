"""Reports and their evidence are kept for RETENTION_DAYS after they closed, then purged.

The purge removes the report, its items, evidence files and audit trail, and writes one RetentionPurge
row with counts (never content), so the city can show what was removed and when.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from . import evidence
from .models import Evidence, IssuedCopy, Report, ReportEvent, RetentionPurge
from .statuses import CLOSED_STATUSES

log = logging.getLogger(__name__)
BATCH = 200


def cutoff():
    return timezone.now() - timedelta(days=settings.RETENTION_DAYS)


def expired_reports():
    return Report.objects.filter(status__in=CLOSED_STATUSES, closed_at__lt=cutoff())


def purge_expired() -> RetentionPurge:
    run = RetentionPurge(cutoff=cutoff())
    while ids := list(expired_reports().order_by("id").values_list("id", flat=True)[:BATCH]):
        purge_batch(ids, run)
    run.save()
    log.info("Retention purge: %d reports, %d files", run.reports, run.evidence_files)
    return run


def purge_batch(ids: list[int], run: RetentionPurge) -> None:
    files = list(Evidence.objects.filter(report_id__in=ids).values_list("original", "derived", "thumbnail"))
    copies = list(IssuedCopy.objects.filter(report_id__in=ids).values_list("file", flat=True))
    with transaction.atomic():
        run.events += ReportEvent.objects.filter(report_id__in=ids).purge_for_retention()
        run.reports += len(ids)
        Report.objects.filter(id__in=ids).delete()
    # Files go after the rows are gone: a crash in between leaves orphan files, never broken rows.
    storage = evidence.evidence_storage()
    for names in files:
        for name in filter(None, names):
            storage.delete(name)
        run.evidence_files += 1
    for name in copies:  # the signed approved copies (reports/issued_copies.py); not counted as evidence
        storage.delete(name)
