"""Reports for tests and benchmarks, built the short way.

`make_report` and `make_reports` put rows straight into the table (for tests about reading them);
`file_parking` files through the same service as the web form, without the form. Tests that are about
the resident's steps file through the views instead (tests/flows.py).
"""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta

from django.utils import timezone

from reports import submission
from reports.models import Draft, Report, ReportSubtype, StatusLink

# Distinct plates, so that no report filed here is linked as another's duplicate.
PLATES = (f"T{n:06d}" for n in itertools.count())


def subtype_named(code: str) -> ReportSubtype:
    return ReportSubtype.objects.select_related("report_type__queue").get(code=code)


def report_row(subtype: str | ReportSubtype = "theft-other", **overrides) -> Report:
    """An unsaved report with everything the table requires; any field may be overridden."""
    subtype = subtype if isinstance(subtype, ReportSubtype) else subtype_named(subtype)
    report_type = subtype.report_type
    created: datetime = overrides.pop("created_at", None) or timezone.now()
    fields = {
        "report_type": report_type,
        "subtype": subtype,
        "queue": report_type.queue,
        "occurred_from": created - timedelta(hours=1),
        "address": "350 S 5th St",
        "created_at": created,
        "sla_due_at": created + timedelta(hours=report_type.sla_hours),
        **overrides,
    }
    return Report(**fields)


def make_report(subtype: str = "theft-other", **overrides) -> Report:
    """One report row straight into the table."""
    report = report_row(subtype, **overrides)
    report.save()
    return report


def make_reports(
    count: int,
    subtype: str = "theft-other",
    *,
    start: datetime | None = None,
    step: timedelta = timedelta(minutes=1),
    **fields,
) -> list[Report]:
    """`count` rows in one insert, oldest first and `step` apart; each field may be overridden."""
    kind = subtype_named(subtype)
    start = start or timezone.now() - timedelta(hours=count + 1)
    rows = [report_row(kind, **{"created_at": start + step * n, **fields}) for n in range(count)]
    return Report.objects.bulk_create(rows)


def file_parking(subtype: str = "parking-fire-hydrant", **details) -> submission.Filed:
    """File a parking report through the filing service: fast, and any detail can be set."""
    parking = ReportSubtype.objects.select_related("report_type").get(code=subtype)
    draft = Draft.objects.create(
        report_type=parking.report_type,
        subtype=parking,
        eligibility={"in_danger": "no", "inside_city": "yes"},
    )
    fields = {
        "occurred_from": timezone.now() - timedelta(minutes=20),
        "address": "350 S 5th St",
        "vehicle_plate": next(PLATES),
        "vehicle_state": "MN",
        "vehicle_make": "Honda",
        "vehicle_colour": "Blue",
        **details,
    }
    return submission.file_report(
        draft, details=fields, answers={"vehicle-there-now": "yes"}, items=[], uploads=[], by=None
    )


def status_link(report: Report) -> str:
    """A fresh status-link token for the report, as each email and confirmation page mints one."""
    return StatusLink.issue(report)
