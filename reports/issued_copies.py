"""The approved copy as issued: drawn once, signed, kept, and served byte for byte from then on, so the
SHA-256 that /verify/<code> shows is the file's, whoever holds it.

A report's first copy is issued when it is first needed (the approval email's attachment, made by the
worker, or the resident's download through the status link, whichever comes first), not inside the
approval's transaction: drawing and signing take a moment, and an approval must not fail, or hold the
database's write lock, for them. Two first requests at once may both draw a copy; the unique revision
keeps one and the other is thrown away, so everyone gets the same bytes.

`issue_copy` issues the next revision (a supplement to the report calls it); older copies stay verifiable
and their page says that a newer one exists.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from . import evidence, signing
from .models import IssuedCopy, Report, new_verification_code, printed_code
from .pdf import Verification, approval_time, approved_report_pdf
from .statuses import Status

REVISION_ATTEMPTS = 3


class NotApproved(Exception):
    """Only an approved report (one with a case number) has an issued copy."""


def current_copy(report: Report) -> IssuedCopy:
    """The latest copy of the report, issued now if it has none yet."""
    return latest(report) or issue(report, first=True)


def case_copy(report: Report) -> IssuedCopy:
    """The case's copy, for the original or any of its supplements: the original's latest copy, issued
    again (a new revision, with every approved supplement in it) when a supplement was approved after it.
    So the approval of a supplement reissues the case's PDF at its email or its first download."""
    original = report.supplement_of if report.supplement_of_id else report
    copy = latest(original)
    if copy is None:
        return issue(original, first=True)
    if original.supplements.filter(status=Status.APPROVED, closed_at__gt=copy.issued_at).exists():
        return issue_copy(original)
    return copy


def issue_copy(report: Report) -> IssuedCopy:
    """A new signed copy of the report as it is now, superseding the copies issued before it."""
    return issue(report, first=False)


def latest(report: Report) -> IssuedCopy | None:
    return IssuedCopy.objects.filter(report=report).order_by("-revision").first()


def issue(report: Report, *, first: bool) -> IssuedCopy:
    if not report.case_number:
        raise NotApproved(report.tracking_number)
    code = new_verification_code()
    data = signed_pdf(report, code)
    # A name of its own, not the code: a listing of the storage must not list the codes.
    name = f"issued/{timezone.now():%Y/%m}/{secrets.token_hex(16)}.pdf"
    [name] = evidence.save_all([(name, ContentFile(data))])
    for _attempt in range(REVISION_ATTEMPTS):
        previous = latest(report)
        if first and previous:  # another request issued the first copy while this one was drawing
            break
        try:
            with transaction.atomic():
                return IssuedCopy.objects.create(
                    report=report,
                    revision=previous.revision + 1 if previous else 1,
                    code=code,
                    sha256=hashlib.sha256(data).hexdigest(),
                    file=name,
                    size=len(data),
                )
        except IntegrityError:  # that revision was taken a moment ago
            continue
    evidence.delete_stored([name])
    if first and (winner := latest(report)):
        return winner
    raise IntegrityError(f"no free revision for report {report.pk} after {REVISION_ATTEMPTS} attempts")


def signed_pdf(report: Report, code: str) -> bytes:
    printed = printed_code(code)
    verification = Verification(
        code=printed,
        url=settings.SITE_URL + reverse("verify-copy", args=[printed]),
        form_url=settings.SITE_URL + reverse("verify"),
    )
    drawn = approved_report_pdf(report, verification=verification)
    with override(report.language):
        reason = _("Approved report %(case)s") % {"case": report.case_number}
    return signing.sign(drawn, reason=reason, location=settings.CITY_NAME)


def open_copy(copy: IssuedCopy):
    return evidence.open_stored(copy.file.name)


def read_copy(copy: IssuedCopy) -> bytes:
    with open_copy(copy) as stored:
        return stored.read()


# --- What the verification page shows ------------------------------------------------------------------


@dataclass(frozen=True)
class Verified:
    """Everything /verify/<code> says about a copy. Nothing in it names, locates or describes anyone: no
    name, contact, address, description, items or evidence."""

    code: str
    case_number: str
    report_type: str
    subtype: str
    filed_at: datetime
    approved_at: datetime | None
    issued_at: datetime
    sha256: str
    size: int
    newer_issued_at: datetime | None  # set when a newer copy supersedes this one


def verified(code: str) -> Verified | None:
    copy = (
        IssuedCopy.objects.select_related("report__report_type", "report__subtype").filter(code=code).first()
    )
    if copy is None:
        return None
    report = copy.report
    newer = IssuedCopy.objects.filter(report=report, revision__gt=copy.revision).order_by("-revision").first()
    return Verified(
        code=copy.printed_code,
        case_number=report.case_number or "",
        report_type=report.report_type.name,
        subtype=report.subtype.name,
        filed_at=report.created_at,
        approved_at=approval_time(report),
        issued_at=copy.issued_at,
        sha256=copy.sha256,
        size=copy.size,
        newer_issued_at=newer.issued_at if newer else None,
    )
