"""Named reads for Traffic Control's pages."""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import timedelta

from django.db.models import Case, Count, F, Prefetch, When, prefetch_related_objects

from reports.models import Evidence, Queue, Report, ReportType
from reports.statuses import ACTIVE_TICKET, Status

from .models import DeliveryAttempt, TrafficEndpoint

DUPLICATE_RADIUS_METRES = 30
DUPLICATE_WINDOW = timedelta(hours=24)


def ticket(tracking_number: str) -> Report | None:
    """A parking report in a Traffic Control queue; anything else is not a ticket."""
    report = (
        Report.objects.select_related("queue", "report_type")
        .filter(tracking_number=tracking_number.upper())
        .first()
    )
    if report is None or not report.is_parking or report.queue.kind != Queue.Kind.TRAFFIC_CONTROL:
        return None
    return report


def active_endpoints() -> list[TrafficEndpoint]:
    return list(TrafficEndpoint.objects.filter(active=True))


def parking_photo(public_id: str) -> Evidence | None:
    """A photo of a parking report that has a location-stripped copy to send (a resident's: hand-offs send
    no photo from the field)."""
    photos = Evidence.objects.without_field_photos().select_related("report__report_type")
    item = photos.filter(public_id=public_id).first()
    if item is None or not item.derived or not item.report.is_parking:
        return None
    return item


def open_tickets() -> list[Report]:
    """Open parking tickets in a Traffic Control queue: those escalated and still waiting for a unit
    first (oldest escalation first), then newest first."""
    return list(
        Report.objects.filter(
            report_type__form=ReportType.Form.PARKING,
            queue__kind=Queue.Kind.TRAFFIC_CONTROL,
            status__in=ACTIVE_TICKET,
        )
        .select_related("subtype")
        .annotate(also_seen_by=Count("me_toos"))  # residents who said "me too" instead of filing again
        .annotate(waiting_escalated=Case(When(status=Status.SUBMITTED, then=F("escalated_at"))))
        .order_by(F("waiting_escalated").asc(nulls_last=True), "-created_at", "-id")
    )


def nearest_first(tickets: list[Report], lat: float, lng: float) -> list[Report]:
    """Sorted by distance from (lat, lng), each with `.distance` in metres; those with no pin last, and
    the escalated ones still waiting for a unit first all the same."""
    for ticket in tickets:
        ticket.distance = (
            None
            if ticket.latitude is None or ticket.longitude is None
            else metres_between(lat, lng, ticket.latitude, ticket.longitude)
        )
    # sorted() is stable: tickets with no pin stay newest first among themselves.
    return sorted(tickets, key=lambda t: (t.waiting_escalated is None, t.distance is None, t.distance or 0))


def open_duplicate_of(report: Report) -> Report | None:
    """An open parking report from the last day for the same plate, or the same problem within 30 m."""
    # Ids and places only: every parking report filed is checked, and the report itself is loaded for the
    # one that matched (the full row of each candidate cost most of the check).
    candidates = (
        Report.objects.filter(
            report_type__form=ReportType.Form.PARKING,
            status__in=ACTIVE_TICKET,
            created_at__gte=report.created_at - DUPLICATE_WINDOW,
        )
        .exclude(pk=report.pk)
        .order_by("created_at", "id")
    )
    if report.vehicle_plate:
        same_plate = (
            candidates.filter(vehicle_plate=report.vehicle_plate).values_list("pk", flat=True).first()
        )
        if same_plate is not None:
            return Report.objects.get(pk=same_plate)
    if report.latitude is None:
        return None
    nearby = candidates.filter(subtype=report.subtype, latitude__isnull=False)
    for pk, latitude, longitude in nearby.values_list("pk", "latitude", "longitude"):
        if metres_between(report.latitude, report.longitude, latitude, longitude) <= DUPLICATE_RADIUS_METRES:
            return Report.objects.get(pk=pk)
    return None


def with_photos(tickets: list[Report]) -> list[Report]:
    """Each ticket with `.photo`: the first of its resident's photos with a thumbnail, all in one query."""
    photos = Evidence.objects.without_field_photos().exclude(thumbnail="").order_by("created_at", "id")
    prefetch_related_objects(tickets, Prefetch("evidence", queryset=photos, to_attr="photos"))
    for ticket in tickets:
        ticket.photo = ticket.photos[0] if ticket.photos else None
    return tickets


def delivery_attempts():
    return DeliveryAttempt.objects.select_related("endpoint").order_by("started_at", "id")


def endpoints_by_id(ids: Iterable[object]) -> dict[int, TrafficEndpoint]:
    return TrafficEndpoint.objects.in_bulk([i for i in set(ids) if isinstance(i, int)])


def disabled_endpoints() -> list[TrafficEndpoint]:
    return list(TrafficEndpoint.objects.filter(active=False).order_by("name"))


def metres_between(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    # Haversine: plenty precise at city scale.
    radius = 6_371_000
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi, dlmb = math.radians(lat2 - lat1), math.radians(lng2 - lng1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlmb / 2) ** 2
    return 2 * radius * math.asin(math.sqrt(a))
