"""Status updates Traffic Control posts back: each signed update moves its ticket, once."""

from __future__ import annotations

import base64
import hashlib

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction

from reports import workflow
from reports.evidence_checks import EvidenceRejected
from reports.models import Disposition, Report, ReportType

from . import closures
from .models import InboundUpdate, TrafficEndpoint

# The name a photo is kept under when the update gives none (photo_name).
PHOTO_NAME = "field-photo"


class UnknownTicket(Exception):
    pass


class BadUpdate(Exception):
    pass


def apply_update(webhook_id: str, payload: dict, endpoint: TrafficEndpoint | None) -> str:
    """Apply one signed update; "duplicate" if this webhook-id was applied before."""
    data = payload.get("data") if isinstance(payload, dict) else None
    if not isinstance(data, dict) or not isinstance(data.get("ticket_id"), str):
        raise BadUpdate("data.ticket_id is missing")
    photo = photo_in(data)
    try:
        with transaction.atomic():
            if InboundUpdate.objects.filter(webhook_id=webhook_id).exists():
                return "duplicate"
            report = Report.objects.filter(
                tracking_number=data["ticket_id"].upper(), report_type__form=ReportType.Form.PARKING
            ).first()
            if report is None:
                raise UnknownTicket(data["ticket_id"])
            InboundUpdate.objects.create(
                webhook_id=webhook_id, report=report, endpoint=endpoint, payload=as_kept(payload, photo)
            )
            move_ticket(
                report,
                data,
                photo=photo,
                source={"source": endpoint.name if endpoint else "", "webhook_id": webhook_id},
            )
    except IntegrityError:  # the same update arriving twice at the same moment
        return "duplicate"
    return "applied"


def move_ticket(report: Report, data: dict, *, source: dict, photo: SimpleUploadedFile | None = None) -> None:
    status = data.get("status")
    if status == "dispatched":
        workflow.dispatch(report, by=None, unit=str(data.get("unit", ""))[:60], data=source)
    elif status == "on_scene":
        workflow.arrive(report, by=None, data=source)
    elif status == "resolved":
        codes = list(Disposition.objects.filter(active=True).values_list("code", flat=True))
        if data.get("outcome") not in codes:
            raise BadUpdate(f"data.outcome must be one of {', '.join(codes)}")
        try:
            closures.resolve(
                report,
                by=None,
                outcome=data["outcome"],
                note=str(data.get("note", ""))[:2000],
                photo=photo,
                data=source,
            )
        except EvidenceRejected as refused:
            raise BadUpdate(f"data.photo: {refused.message}") from None
    else:
        raise BadUpdate("data.status must be dispatched, on_scene or resolved")


def photo_in(data: dict) -> SimpleUploadedFile | None:
    """The photo a resolving update carries, decoded strictly, for the checks a resident's photo gets."""
    encoded = data.get("photo")
    if encoded is None:
        return None
    if data.get("status") != "resolved":
        raise BadUpdate("data.photo comes only with the status resolved")
    if not isinstance(encoded, str):
        raise BadUpdate("data.photo must be a string: the base64 of the photo's bytes")
    try:
        content = base64.b64decode(encoded, validate=True)
    except ValueError:  # binascii.Error, or a character outside ASCII
        raise BadUpdate("data.photo is not valid base64") from None
    name = data.get("photo_name")
    return SimpleUploadedFile(name if isinstance(name, str) and name.strip() else PHOTO_NAME, content)


def as_kept(payload: dict, photo: SimpleUploadedFile | None) -> dict:
    """The update as InboundUpdate keeps it. A photo's bytes are kept once, as evidence: here only their
    SHA-256, the same the evidence shows."""
    if photo is None:
        return payload
    digest = hashlib.sha256(photo.file.getvalue()).hexdigest()
    return {**payload, "data": {**payload["data"], "photo": f"sha256:{digest}"}}
