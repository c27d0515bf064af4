"""A report in the making, kept between the steps of the filing form: the answers, the files, and a link
to come back to it later.

A draft lives DRAFT_TTL_HOURS after it was last changed (a week by default), then it is purged with its
files. Its resume link's token is stored only as a SHA-256, like a status link's.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Iterable
from dataclasses import asdict
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.contrib.sessions.backends.base import SessionBase
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.datastructures import MultiValueDict
from django.utils.translation import ngettext

from . import catalog, evidence
from .evidence_checks import EvidenceRejected
from .models import Draft, DraftUpload, ReportSubtype, UpdatesBy, hash_token

log = logging.getLogger(__name__)
SESSION_KEY = "report_draft"


def session_key(slot: str) -> str:
    # One draft per flow: a 311 agent's own web report does not collide with the caller's.
    return f"{SESSION_KEY}:{slot}"


def start(
    session: SessionBase,
    subtype: ReportSubtype,
    *,
    eligibility: dict,
    channel: str,
    language: str,
    filed_by: AbstractBaseUser | None = None,
    slot: str = "report",
) -> Draft:
    """A new draft for this subtype, or the one in progress with the safety check answered again."""
    draft = current(session, slot)
    if draft is not None and not draft.report_id and draft.subtype_id == subtype.pk:
        draft.eligibility, draft.channel = eligibility, channel
        draft.save(update_fields=["eligibility", "channel", "updated_at"])
        return draft
    draft = Draft.objects.create(
        report_type=subtype.report_type,
        subtype=subtype,
        eligibility=eligibility,
        channel=channel,
        language=language,
        filed_by=filed_by,
    )
    session[session_key(slot)] = draft.key
    return draft


def current(session: SessionBase, slot: str = "report") -> Draft | None:
    key = session.get(session_key(slot))
    if not key:
        return None
    # Not the report: only the confirmation page reads it (one query there), and joining its hundred
    # columns cost every step of the form. The type, its queue and the subtype come from the catalog.
    draft = Draft.objects.filter(key=key, updated_at__gte=expiry_cutoff()).first()
    return catalog.with_kinds(draft) if draft is not None else None


def forget(session: SessionBase, slot: str = "report") -> None:
    session.pop(session_key(slot), None)


# --- The answers ---------------------------------------------------------------------------------------

# Far above any field's own limit (the longest is 5,000 characters), so nothing real is cut; a POST built
# to fill the database is.
MAX_VALUE_LENGTH = 10_000
MAX_VALUES_PER_FIELD = 50


def save_details(draft: Draft, data: MultiValueDict, fields: Iterable[str], *, step: str = "") -> None:
    """Keep what the resident typed for the fields the step has, and only those.

    The raw values are kept, not the cleaned ones: the form re-validates them at every step, so it stays
    the only place that converts input."""
    kept = {
        name: [value[:MAX_VALUE_LENGTH] for value in data.getlist(name)[:MAX_VALUES_PER_FIELD]]
        for name in sorted(fields)
        if name in data
    }
    draft.details = {**draft.details, **kept} if step == Draft.Step.WHERE else kept
    fields_changed = ["details", "updated_at"]
    if step:
        draft.last_step = step
        fields_changed.append("last_step")
    draft.save(update_fields=fields_changed)


def reached(draft: Draft, step: str) -> None:
    if draft.last_step != step:
        draft.last_step = step
        draft.save(update_fields=["last_step", "updated_at"])


def details_data(draft: Draft) -> MultiValueDict:
    return MultiValueDict(draft.details)


# --- The files -------------------------------------------------------------------------------------------


def number_to_confirm(draft: Draft, details: dict) -> str:
    """The number texts would go to (from valid details) when it is not confirmed yet for this draft."""
    texts = details.get("updates_by") in (UpdatesBy.TEXT, UpdatesBy.BOTH)
    number = details.get("contact_phone") or ""
    return number if texts and number and number != draft.phone_confirmed else ""


def keep_uploads(draft: Draft, files: list[UploadedFile], *, copies: bool = True) -> list[str]:
    """Check and keep each file with the draft; returns the messages for those that were refused.

    Good files are kept whatever happens to the others, so the resident never picks them again. Files
    sent with the report itself need no preview: `copies=False` leaves their copies to the worker."""
    room = settings.EVIDENCE_MAX_FILES - draft.uploads.count()
    problems = [too_many_files(room)] if len(files) > room else []
    for upload in files[: max(room, 0)]:
        try:
            stored = evidence.store_upload(upload, copies=copies)
        except EvidenceRejected as refused:
            problems.append(refused.message)
            continue
        except evidence.StorageUnavailable:
            problems.append(evidence.storage_unavailable_message())
            break
        DraftUpload.objects.create(draft=draft, **asdict(stored))
    return problems


def make_previews(draft: Draft) -> list[str]:
    """The copies of photos kept without them, for a review page shown again (the report was not sent
    after all). One found damaged now is taken off the draft: the resident is told, as at upload."""
    problems = []
    for upload in draft.uploads.all():
        if not evidence.has_copies_to_make(upload.content_type, upload.derived):
            continue
        try:
            copies = evidence.make_copies(upload.original, upload.content_type, upload.original_name)
        except EvidenceRejected as refused:
            remove_upload(draft, str(upload.public_id))
            problems.append(refused.message)
            continue
        except evidence.StorageUnavailable:
            break  # no room for previews: the photos are kept, and the worker makes the copies later
        upload.derived, upload.thumbnail = copies.derived, copies.thumbnail
        upload.save(update_fields=["derived", "thumbnail"])
    return problems


def too_many_files(room: int) -> str:
    limit = settings.EVIDENCE_MAX_FILES
    if room <= 0:
        return ngettext(
            "You can attach at most %(limit)d file to one report.",
            "You can attach at most %(limit)d files to one report.",
            limit,
        ) % {"limit": limit}
    return ngettext(
        "Only %(room)d more file fits in this report: the first one was kept.",
        "Only %(room)d more files fit in this report: the first ones were kept.",
        room,
    ) % {"room": room}


def remove_upload(draft: Draft, public_id: str) -> bool:
    upload = DraftUpload.objects.filter(draft=draft, public_id=public_id).first()
    if upload is None:
        return False
    upload.delete()
    evidence.discard([as_stored(upload)])
    return True


def as_stored(upload: DraftUpload) -> evidence.StoredUpload:
    return evidence.StoredUpload(
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


# --- Coming back later -----------------------------------------------------------------------------------


def new_resume_link(draft: Draft) -> str:
    """A fresh token for the draft's resume link; the one sent before stops working."""
    token = secrets.token_urlsafe(24)
    draft.resume_token_hash = hash_token(token)
    draft.save(update_fields=["resume_token_hash", "updated_at"])
    return token


def resume(session: SessionBase, token: str, slot: str = "report") -> Draft | None:
    """The draft a resume link opens, now the browser's draft; None when unknown or expired."""
    draft = (
        Draft.objects.filter(resume_token_hash=hash_token(token), updated_at__gte=expiry_cutoff())
        .select_related("subtype__report_type", "report")
        .first()
    )
    if draft is not None:
        session[session_key(slot)] = draft.key
    return draft


# --- Purging ---------------------------------------------------------------------------------------------


def expiry_cutoff():
    return timezone.now() - timedelta(hours=settings.DRAFT_TTL_HOURS)


def purge_abandoned() -> int:
    """Drafts nobody touched for DRAFT_TTL_HOURS go, with the files their resident added."""
    abandoned = Draft.objects.filter(updated_at__lt=expiry_cutoff())
    files = [as_stored(upload) for upload in DraftUpload.objects.filter(draft__in=abandoned)]
    with transaction.atomic():
        deleted = abandoned.count()
        abandoned.delete()
    # Files after the rows: a crash in between leaves orphan files, never rows without their files.
    evidence.discard(files)
    log.info("Purged %d abandoned drafts and %d of their files", deleted, len(files))
    return deleted
