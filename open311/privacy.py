"""The public face of a report: the one place that decides what anyone outside may see of it.

Only reports of a catalog entry marked public have one (never theft or damage). What they show is chosen
here field by field: nothing the resident typed (description, names, email, phone, plate, items, notes)
and no event's note, which can be a staff message or a resident's reply. The place is rounded to the
block; a photo only as the derived copy, which carries no location metadata.
"""

from __future__ import annotations

import re
from datetime import datetime

from django.conf import settings
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone

from reports.models import Evidence, Report, ReportEvent
from reports.statuses import OPEN_STATUSES, Status

COORDINATE_DECIMALS = 3  # about 110 m north-south: a block, not a house

# FixMyStreet's update statuses, for clients that follow reports through servicerequestupdates.
UPDATE_STATUSES = {
    Status.SUBMITTED: "open",
    Status.IN_REVIEW: "investigating",
    Status.NEEDS_INFO: "investigating",
    Status.DISPATCHED: "action_scheduled",
    Status.ON_SCENE: "in_progress",
    Status.RESOLVED: "fixed",
    Status.APPROVED: "closed",
    Status.CLOSED: "closed",
    Status.DUPLICATE: "duplicate",
    Status.REJECTED: "no_further_action",
    Status.REFERRED: "not_councils_responsibility",
}

STREET_TYPES = {
    "st", "street", "ave", "av", "avenue", "rd", "road", "blvd", "boulevard", "dr", "drive", "ln", "lane",
    "pkwy", "parkway", "way", "pl", "place", "ct", "court", "ter", "terrace", "cir", "circle", "hwy",
    "highway", "mall", "trl", "trail", "sq", "square", "plz", "plaza", "row", "aly", "alley", "xing",
    "crossing", "pass", "path", "walk",
}  # fmt: skip
STREET_WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9.'-]{0,24}")
HOUSE_NUMBER = re.compile(r"(\d{1,6})[A-Za-z]?(?:-\d{1,6}[A-Za-z]?)?")
UNIT = re.compile(r"\s+(?:apt|apartment|unit|ste|suite|fl|floor|rm|room|bldg|lot|space)\b.*$", re.I)
CROSSING = re.compile(r"\s+(?:&|and|at)\s+|\s*[&/]\s*", re.I)


class NotPublic(Exception):
    """Asked for the public face of a report that has none: a bug in the caller, never shown."""


# --- What is public -----------------------------------------------------------------------------------


def public_reports() -> QuerySet[Report]:
    return Report.objects.filter(report_type__is_public=True)


def public_images(evidence: QuerySet[Evidence]) -> QuerySet[Evidence]:
    # The resident's own photos of the problem, as location-stripped copies; never a PDF, never the
    # files added later by replies or by staff. Off unless the city opts in: a parking photo usually
    # shows the plate, and evidence is private by default (PRODUCT.md).
    if not settings.OPEN311_PUBLISH_PHOTOS:
        return evidence.none()
    return evidence.filter(source=Evidence.Source.FILING).exclude(derived="").order_by("created_at", "id")


def public_status_events(events: QuerySet[ReportEvent]) -> QuerySet[ReportEvent]:
    return events.filter(is_public=True).exclude(to_status="").order_by("created_at", "id")


# --- The representations ------------------------------------------------------------------------------


def public_request(report: Report) -> dict:
    check_public(report)
    return {
        "service_request_id": report.tracking_number,
        "status": "open" if report.status in OPEN_STATUSES else "closed",
        "status_notes": str(Status(report.status).label),
        "service_name": str(report.subtype.name),
        "service_code": report.subtype.code,
        "agency_responsible": str(report.queue.name),
        "requested_datetime": iso(report.created_at),
        "updated_datetime": iso(last_public_change(report)),
        "address": block_of(report.address),
        "lat": rounded(report.latitude),
        "long": rounded(report.longitude),
        "media_url": media_url(report),
    }


def public_update(event: ReportEvent) -> dict:
    check_public(event.report)
    return {
        "update_id": str(event.pk),
        "service_request_id": event.report.tracking_number,
        "status": UPDATE_STATUSES[event.to_status],
        "external_status_code": event.to_status,
        "updated_datetime": iso(event.created_at),
        "description": str(Status(event.to_status).label),
        "media_url": None,
    }


def check_public(report: Report) -> None:
    if not report.report_type.is_public:
        raise NotPublic(report.pk)


def last_public_change(report: Report) -> datetime:
    events = getattr(report, "public_status_events", None)
    if events is None:
        events = list(public_status_events(report.events.all()))
    return events[-1].created_at if events else report.created_at


def media_url(report: Report) -> str | None:
    images = getattr(report, "public_images", None)
    if images is None:
        images = list(public_images(report.evidence.all())[:1])
    if not images:
        return None
    return settings.SITE_URL + reverse("open311-media", args=[images[0].public_id])


def iso(moment: datetime) -> str:
    return timezone.localtime(moment).isoformat(timespec="seconds")


def rounded(value: float | None) -> float | None:
    return None if value is None else round(value, COORDINATE_DECIMALS)


# --- The address, to the block ------------------------------------------------------------------------


def block_of(address: str) -> str:
    """The address to its block ("3500 block of Bryant Ave S"); an intersection stays as it is.

    Anything that does not read as a street address or an intersection is left out: free text can hold
    a name or a description.
    """
    first = UNIT.sub("", re.split(r"[,;#(\n]", address, maxsplit=1)[0]).strip()
    words = first.split()
    if words and HOUSE_NUMBER.fullmatch(words[0]) and is_street(words[1:]):
        number = int(HOUSE_NUMBER.fullmatch(words[0])[1])
        return f"{number // 100 * 100} block of {' '.join(words[1:])}"
    streets = [part.split() for part in CROSSING.split(first)]
    if len(streets) == 2 and all(is_street(street) and not street[0].isdigit() for street in streets):
        return " & ".join(" ".join(street) for street in streets)
    return ""


def is_street(words: list[str]) -> bool:
    return (
        0 < len(words) <= 6
        and all(STREET_WORD.fullmatch(word) for word in words)
        and any(word.rstrip(".").lower() in STREET_TYPES for word in words)
    )
