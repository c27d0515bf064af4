"""The open data (docs/open-data.md): the public figures as files anyone can load, and one record per
public (parking) report with nothing that could identify anyone.

Each output lists its fields here; tests/test_open_data.py checks every key and column of every output
against these lists, so a field added anywhere else fails the suite until it is added here on purpose.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from . import figures
from .models import Report

# A record per public report: the hour it was filed (city time, rounded down), what and where (rounded
# to three decimals: about 110 m, a block and not a house), and what became of it.
RECORD_FIELDS = (
    "reported_hour",
    "problem_code",
    "problem",
    "status",
    "outcome_code",
    "latitude",
    "longitude",
)
# Every report, public or not (theft and damage appear only here): counts per week, type and channel.
WEEKLY_FIELDS = ("week_start", "type_code", "channel", "reports")
COORDINATE_DECIMALS = 3
RECORD_DAYS = 365
WEEKS = 52


def rounded(value: float | None) -> float | None:
    return None if value is None else round(value, COORDINATE_DECIMALS)


def to_the_hour(moment: datetime) -> str:
    return timezone.localtime(moment).replace(minute=0, second=0, microsecond=0).isoformat()


def public_records(*, now: datetime | None = None) -> list[dict]:
    since = (now or timezone.now()) - timedelta(days=RECORD_DAYS)
    rows = (
        Report.objects.filter(report_type__is_public=True, created_at__gte=since)
        .order_by("created_at", "id")
        .values_list(
            "created_at", "subtype__code", "subtype__name_en", "status", "outcome", "latitude", "longitude"
        )
    )
    return [
        dict(
            zip(
                RECORD_FIELDS,
                (to_the_hour(created), code, name, status, outcome, rounded(lat), rounded(lng)),
                strict=True,
            )
        )
        for created, code, name, status, outcome, lat, lng in rows
    ]


def weekly_counts(*, now: datetime | None = None) -> list[dict]:
    counts = figures.weekly_by_type_and_channel(weeks=WEEKS, now=now)
    return [
        dict(zip(WEEKLY_FIELDS, (week.isoformat(), type_code, channel, count), strict=True))
        for (week, type_code, channel), count in sorted(counts.items())
    ]


def about() -> dict:
    """What a JSON file says about itself."""
    return {
        "publisher": f"{settings.CITY_NAME} 311",
        "licence": settings.OPEN_DATA_LICENCE,
        "documentation": settings.SITE_URL + "/figures/open-data/",
        "generated_at": timezone.now().isoformat(),
    }
