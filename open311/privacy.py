"""The public face of a report: the one place that decides what anyone outside may see of it.

Only reports of a catalog entry marked public have one (never theft or damage), and their services are
listed without the `private` keyword that FixMyStreet reads. The one exception is the client that filed a
report: with its own key it may follow its own filing, whatever the type, through the same fields. What
they show is chosen here field by field: nothing the resident typed (description, names, email, phone,
plate, items, notes) and no event's note, which can be a staff message or a resident's reply. The place is
rounded to the block; a photo only as the derived copy of a public report, which carries no location
metadata.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from django.conf import settings
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from reports.models import Evidence, Report, ReportEvent, ReportSubtype
from reports.places import block_of
from reports.statuses import OPEN_STATUSES, Status

if TYPE_CHECKING:
    from .models import ApiClient

COORDINATE_DECIMALS = 3  # about 110 m north-south: a block, not a house
# FixMyStreet keeps a category whose service has this keyword off its public map and lists.
PRIVATE_KEYWORD = "private"

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
    Status.WITHDRAWN: "closed",  # the resident took it back before review
}


class NotPublic(Exception):
    """Asked for the public face of a report that has none: a bug in the caller, never shown."""


# --- What is public -----------------------------------------------------------------------------------


def public_reports() -> QuerySet[Report]:
    return Report.objects.filter(report_type__is_public=True)


def visible_reports(client: ApiClient | None) -> QuerySet[Report]:
    """Public reports; with a client's key, also the reports that client filed itself."""
    shown = Q(report_type__is_public=True)
    if client is not None:
        shown |= Q(api_filing__client=client)
    return Report.objects.filter(shown)


def is_visible(report: Report, client: ApiClient | None) -> bool:
    if report.report_type.is_public:
        return True
    filing = getattr(report, "api_filing", None) if client is not None else None
    return filing is not None and filing.client_id == client.pk


def service_keywords(subtype: ReportSubtype) -> str:
    """The catalog's keywords, comma separated; a service whose reports are never public says `private`
    first (FixMyStreet splits on the bare comma, so no spaces around it)."""
    words = [word.strip() for word in subtype.keywords.split(",") if word.strip()]
    if not subtype.report_type.is_public:
        words = [PRIVATE_KEYWORD, *(word for word in words if word.lower() != PRIVATE_KEYWORD)]
    return ",".join(words)


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


def public_request(report: Report, client: ApiClient | None = None) -> dict:
    """The same fields for everyone; `client` only lets the filing client see its own private report."""
    check_visible(report, client)
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


def public_update(event: ReportEvent, client: ApiClient | None = None) -> dict:
    check_visible(event.report, client)
    return {
        "update_id": str(event.pk),
        "service_request_id": event.report.tracking_number,
        "status": UPDATE_STATUSES[event.to_status],
        "external_status_code": event.to_status,
        "updated_datetime": iso(event.created_at),
        "description": str(Status(event.to_status).label),
        "media_url": None,
    }


def is_followed_change(event: ReportEvent) -> bool:
    """A status change the clients following the report hear of (the filter of public_status_events)."""
    return event.is_public and bool(event.to_status)


def check_visible(report: Report, client: ApiClient | None) -> None:
    if not is_visible(report, client):
        raise NotPublic(report.pk)


def last_public_change(report: Report) -> datetime:
    events = getattr(report, "public_status_events", None)
    if events is None:
        events = list(public_status_events(report.events.all()))
    return events[-1].created_at if events else report.created_at


def media_url(report: Report) -> str | None:
    if not report.report_type.is_public:
        return None  # a client following its own private filing sees no photo of it
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
