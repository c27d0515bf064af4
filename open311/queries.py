"""Named reads for the API: public reports and their public updates, a page at a time; with a client's key,
the reports it filed itself too (privacy.visible_reports)."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet

from reports.models import Evidence, Report, ReportEvent
from reports.statuses import OPEN_STATUSES

from . import privacy
from .filters import TRACKING_NUMBER, Page, RequestFilters, Window
from .models import ApiClient, ApiFiling


def with_public_parts(reports: QuerySet[Report]) -> QuerySet[Report]:
    """What privacy.public_request reads, fetched in a fixed number of queries for any page size."""
    return reports.select_related("report_type", "subtype", "queue", "api_filing").prefetch_related(
        Prefetch(
            "events",
            queryset=privacy.public_status_events(ReportEvent.objects.all()).only(
                "report", "to_status", "created_at"
            ),
            to_attr="public_status_events",
        ),
        Prefetch(
            "evidence",
            queryset=privacy.public_images(Evidence.objects.all()).only("report", "public_id"),
            to_attr="public_images",
        ),
    )


def find_request(tracking_number: str, client: ApiClient | None = None) -> Report | None:
    if not is_tracking_number(tracking_number):
        return None
    reports = privacy.visible_reports(client).filter(tracking_number=tracking_number)
    return with_public_parts(reports).first()


def find_filing(tracking_number: str) -> ApiFiling | None:
    """The filing behind a report, whoever filed it: the caller checks the client and the privacy."""
    if not is_tracking_number(tracking_number):
        return None
    return (
        ApiFiling.objects.select_related("report__report_type", "client")
        .filter(report__tracking_number=tracking_number)
        .first()
    )


def is_public_request(tracking_number: str) -> bool:
    return is_tracking_number(tracking_number) and (
        privacy.public_reports().filter(tracking_number=tracking_number).exists()
    )


def is_tracking_number(value: str) -> bool:
    return bool(TRACKING_NUMBER.fullmatch(value))


def find_requests(filters: RequestFilters, client: ApiClient | None = None) -> list[Report]:
    reports = privacy.visible_reports(client)
    if filters.ids:
        # Anything that cannot be a tracking number never reaches the database (PostgreSQL refuses a
        # NUL byte in a string with an error, not an empty result).
        reports = reports.filter(
            tracking_number__in=[number for number in filters.ids if is_tracking_number(number)]
        )
    else:
        reports = filtered(reports, filters)
    reports = reports.order_by("-created_at", "-id")
    return list(with_public_parts(reports)[filters.page.offset : filters.page.offset + filters.page.size])


def filtered(reports: QuerySet[Report], filters: RequestFilters) -> QuerySet[Report]:
    reports = reports.filter(created_at__gte=filters.window.start, created_at__lte=filters.window.end)
    if filters.service_codes:
        reports = reports.filter(subtype__code__in=filters.service_codes)
    if len(set(filters.statuses)) == 1:
        wanted = OPEN_STATUSES
        reports = (
            reports.filter(status__in=sorted(wanted))
            if filters.statuses[0] == "open"
            else reports.exclude(status__in=sorted(wanted))
        )
    return reports


def find_updates(window: Window, page: Page, client: ApiClient | None = None) -> list[ReportEvent]:
    events = privacy.public_status_events(
        ReportEvent.objects.filter(
            report__in=privacy.visible_reports(client),
            created_at__gte=window.start,
            created_at__lte=window.end,
        )
    ).select_related("report__report_type", "report__api_filing")
    return list(events[page.offset : page.offset + page.size])


def public_photo(public_id) -> Evidence | None:
    """A photo published with a public report (only when the city opts in: privacy.public_images)."""
    photos = privacy.public_images(Evidence.objects.filter(report__report_type__is_public=True))
    return photos.filter(public_id=public_id).first()
