"""The copies of the photos, made in the worker.

Filing only checks a photo (its header, its pixels, the memory decoding takes) and keeps the original;
decoding it and writing the two copies pages show is an outbox job a moment after the commit, and pages
say "preparing" until then. A hand-off that runs before the job makes them itself (traffic/handoff.py).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable

from . import evidence, outbox
from .evidence import StoredUpload
from .evidence_checks import EvidenceRejected
from .models import Evidence, OutboxMessage, Report

log = logging.getLogger(__name__)

# The worker runs several jobs at once in threads (deliveries wait on the network). Decoding a photo takes
# tens of megabytes, so a process decodes at most this many at a time, as two single-job processes did.
DECODING_AT_ONCE = 2
decoding = threading.BoundedSemaphore(DECODING_AT_ONCE)


def queue_copies(report: Report, uploads: list[StoredUpload], *, occasion: str = "") -> None:
    """The job that makes the copies, once per occasion: files added after the filing (a closure's photo)
    name theirs, or the filing's job, long done, would stand in for it."""
    if any(evidence.has_copies_to_make(upload.content_type, upload.derived) for upload in uploads):
        outbox.enqueue(
            OutboxMessage.Kind.EVIDENCE_COPIES,
            report=report,
            dedupe_key=f"evidence-copies:{report.pk}" + (f":{occasion}" if occasion else ""),
            payload={},
        )


def make_pending_copies(report: Report) -> int:
    """The copies still missing for the report's photos (the outbox job). Two at once are harmless: the row
    keeps the first pair written, the other is deleted."""
    return make_missing_copies(Evidence.objects.filter(report=report, derived="", copy_failed=False))


def make_missing_copies(items: Iterable[Evidence]) -> int:
    """The copies missing among these files, read by the caller: the hand-off reads the photos it sends
    links to once, for the links and for this."""
    made = 0
    for item in items:
        if item.derived or item.copy_failed or not evidence.has_copies_to_make(item.content_type, ""):
            continue
        try:
            with decoding:
                copies = evidence.make_copies(item.original.name, item.content_type, item.original_name)
        except (EvidenceRejected, FileNotFoundError) as error:
            # Damaged past the header the filing checked (or the original is gone): it stays as it
            # was filed, staff can download it, and pages say it cannot be shown.
            log.warning("No copies of evidence %s: %r", item.public_id, error)
            Evidence.objects.filter(pk=item.pk).update(copy_failed=True)
            continue
        kept = Evidence.objects.filter(pk=item.pk, derived="").update(
            derived=copies.derived, thumbnail=copies.thumbnail, width=copies.width, height=copies.height
        )
        if kept:
            item.derived, item.thumbnail = copies.derived, copies.thumbnail
            item.width, item.height = copies.width, copies.height
            made += 1
        else:
            evidence.delete_stored([copies.derived, copies.thumbnail])
    return made


def copies_job(message: OutboxMessage) -> None:
    """The outbox handler for EVIDENCE_COPIES."""
    if message.report is None:
        raise outbox.GiveUp("the report is gone")
    try:
        make_pending_copies(message.report)
    except (evidence.StorageUnavailable, OSError) as error:
        raise outbox.RetryLater(f"evidence storage: {error}") from error
