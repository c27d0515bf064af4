"""POST servicerequestupdates (mySociety's extension): a comment from the client that filed a request.

FixMyStreet posts each comment made on a report it sent, with its own update_id. The comment becomes the
resident's reply on the report, exactly as one through the status link: staff see it and the report is
marked "updated by resident"; a report waiting for information goes back to the queue
(workflow.receive_reply), any other keeps its status. The client's update_id makes the call idempotent:
a comment sent again (an answer lost on the way back) gets the first answer and changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.http import QueryDict
from django.utils import timezone

from reports import evidence, workflow
from reports.evidence import StoredUpload
from reports.models import Evidence, Report, ReportEvent
from reports.statuses import Status
from reports.submission import evidence_rows

from . import media, queries
from .filters import normal_id, parse_moment
from .formats import Open311Error, bad_request, not_found
from .models import ApiClient, ApiUpdate

# The statuses FixMyStreet sends: OPEN or CLOSED, or with extended statuses the finer ones. Recorded, never
# applied: staff decide a report's status.
CLIENT_STATUSES = (
    "OPEN", "CLOSED", "FIXED", "IN_PROGRESS", "ACTION_SCHEDULED", "INVESTIGATING", "DUPLICATE",
    "NOT_COUNCILS_RESPONSIBILITY", "NO_FURTHER_ACTION", "INTERNAL_REFERRAL", "REOPEN",
)  # fmt: skip
MAX_TEXT = 5000  # the web's reply form
LIMITS = {"update_id": 100, "first_name": 100, "last_name": 100, "email": 254, "phone": 100}


@dataclass(frozen=True)
class Comment:
    service_request_id: str
    update_id: str
    text: str
    status: str
    updated_at: datetime | None
    first_name: str
    last_name: str
    email: str
    phone: str
    media_urls: list[str]


def post_update(params: QueryDict, *, files: list[UploadedFile], client: ApiClient) -> dict:
    comment = read_comment(params, has_files=bool(files))
    report = own_report(comment.service_request_id, client)
    if known := earlier(client, comment):
        return answer(known)
    uploads = media.store_photos(files)
    try:
        recorded = record(comment, report, client, uploads)
    except IntegrityError:  # the same comment, posted twice at once: the other call recorded it
        evidence.discard(uploads)
        return answer(ApiUpdate.objects.get(client=client, update_id=comment.update_id))
    except BaseException:
        evidence.discard(uploads)
        raise
    return answer(recorded)


def answer(update: ApiUpdate) -> dict:
    return {"update_id": str(update.event_id)}


# --- Who may comment on what -------------------------------------------------------------------------------


def own_report(service_request_id: str, client: ApiClient) -> Report:
    """The report, if this client filed it. Anyone else's is a 404, or a 403 when it is public anyway."""
    filing = queries.find_filing(service_request_id)
    if filing is not None and filing.client_id == client.pk:
        return filing.report
    if queries.is_public_request(service_request_id):
        raise Open311Error(
            403, ["service_request_id: Only the client that filed a request can post updates to it."]
        )
    raise not_found("service_request_id: No request filed by this client has this id.")


def earlier(client: ApiClient, comment: Comment) -> ApiUpdate | None:
    known = ApiUpdate.objects.filter(client=client, update_id=comment.update_id).select_related("report")
    update = known.first()
    if update is not None and update.report.tracking_number != comment.service_request_id:
        raise bad_request("update_id: This client already sent this update_id, for another request.")
    return update


# --- Recording it ------------------------------------------------------------------------------------------


@transaction.atomic
def record(comment: Comment, report: Report, client: ApiClient, uploads: list[StoredUpload]) -> ApiUpdate:
    workflow.lock(report)
    rows = evidence_rows(report, uploads, Evidence.Source.REPLY)
    if report.status == Status.NEEDS_INFO:
        event = workflow.receive_reply(report, text=comment.text, evidence=rows)
    else:
        event = note_reply(report, text=comment.text, evidence=rows)
    return ApiUpdate.objects.create(
        client=client,
        update_id=comment.update_id,
        report=report,
        event=event,
        status=comment.status,
        updated_at_client=comment.updated_at,
        first_name=comment.first_name,
        last_name=comment.last_name,
        email=comment.email,
        phone=comment.phone,
        media_urls=comment.media_urls,
    )


def note_reply(report: Report, *, text: str, evidence: list[Evidence]) -> ReportEvent:
    """The resident's reply without a move: marked as updated for staff, written to the audit trail."""
    report.resident_updated_at = timezone.now()
    report.save(update_fields=["resident_updated_at", "updated_at"])
    Evidence.objects.bulk_create(evidence)
    return workflow.record_event(
        report,
        ReportEvent.Kind.RESIDENT_REPLY,
        by=None,
        note=text,
        is_public=True,  # like a reply through the status link: on the resident's own status page
        data={"evidence": [str(item.public_id) for item in evidence], "channel": "api"},
    )


# --- The parameters ----------------------------------------------------------------------------------------


def read_comment(params: QueryDict, *, has_files: bool) -> Comment:
    values = {name: params.get(name, "").strip() for name in (*LIMITS, "service_request_id", "status")}
    text = params.get("description", "").strip()
    urls = media.media_urls(params)
    problems = required_problems(values, text, has_media=bool(urls) or has_files)
    problems += length_problems(values, text) + media.media_url_problems(urls)
    status = values["status"].upper()
    if status and status not in CLIENT_STATUSES:
        problems.append(f"status: Use one of {', '.join(CLIENT_STATUSES)}.")
    if values["email"] and not is_email(values["email"]):
        problems.append("email: Enter a valid email address.")
    sent_at = params.get("updated_datetime", "").strip()
    updated_at = parse_moment(sent_at) if sent_at else None
    if sent_at and updated_at is None:
        problems.append("updated_datetime: Use a W3C (ISO 8601) time, such as 2025-11-21T10:24:18-06:00.")
    if problems:
        raise bad_request(*problems)
    return Comment(
        service_request_id=normal_id(values["service_request_id"]),
        update_id=values["update_id"],
        text=text,
        status=status,
        updated_at=updated_at,
        first_name=values["first_name"],
        last_name=values["last_name"],
        email=values["email"],
        phone=values["phone"],
        media_urls=urls,
    )


def required_problems(values: dict[str, str], text: str, *, has_media: bool) -> list[str]:
    problems = [
        f"{name}: This parameter is required."
        for name in ("service_request_id", "update_id")
        if not values[name]
    ]
    if not text and not has_media:
        problems.append("description: Give the comment's text, or a photo.")
    return problems


def length_problems(values: dict[str, str], text: str) -> list[str]:
    problems = [
        f"{name}: At most {limit} characters, and no control characters."
        for name, limit in LIMITS.items()
        if len(values[name]) > limit or not values[name].isprintable()
    ]
    if len(text) > MAX_TEXT or "\x00" in text:
        problems.append(f"description: At most {MAX_TEXT} characters, and no NUL characters.")
    return problems


def is_email(value: str) -> bool:
    try:
        validate_email(value)
    except ValidationError:
        return False
    return True
