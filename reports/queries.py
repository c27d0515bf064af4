"""Named reads for pages: each fetches what its page shows in a fixed number of queries."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet

from .models import Report, ReportEvent, ReportSubtype, ReportType


def catalog() -> QuerySet[ReportType]:
    return ReportType.objects.filter(active=True).prefetch_related(
        Prefetch("subtypes", queryset=ReportSubtype.objects.filter(active=True))
    )


def public_timeline(report: Report) -> QuerySet[ReportEvent]:
    return report.events.filter(is_public=True).order_by("created_at", "id")
