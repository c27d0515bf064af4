"""The queue page's small pieces: a report's age, its status in words and its SLA state, and its rows.

The rows are built in Python (`queue_rows`), not by the template language: a page renders 50 or 100 of
them, and each row's dozen lookups, filters and tags took the template engine a fifth of a millisecond,
a quarter of the page's time. The markup is the same; every value is escaped (html.escape, as Django's
own escape does) where it is put in.
"""

from __future__ import annotations

from datetime import datetime
from html import escape
from typing import TYPE_CHECKING

from django import template
from django.urls import reverse
from django.utils import timezone
from django.utils.dates import MONTHS_3
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from reports.models import Report, ReportSubtype, ReportType
from reports.statuses import OPEN_STATUSES, Status

if TYPE_CHECKING:
    from reports.queries import QueueRow

register = template.Library()

# "Due soon" once less than this share of the SLA window is left.
DUE_SOON_SHARE = 0.25


def age_formats() -> tuple[str, str, str]:
    return _("%(count)d min"), _("%(count)d h"), _("%(count)d d")


@register.filter
def age(since: datetime, now: datetime, formats: tuple[str, str, str] | None = None) -> str:
    minutes, hours, days = formats or age_formats()
    seconds = max(0, int((now - since).total_seconds()))
    if seconds < 3600:
        return minutes % {"count": seconds // 60}
    if seconds < 86400:
        return hours % {"count": seconds // 3600}
    return days % {"count": seconds // 86400}


@register.filter
def status_label(status: str) -> str:
    return Status(status).label


@register.filter
def sla_state(report: Report | QueueRow, now: datetime) -> str:
    """overdue, due_soon (under a quarter of the SLA window left), on_time, or closed (no SLA any more)."""
    if report.status not in OPEN_STATUSES:
        return "closed"
    left = report.sla_due_at - now
    if left.total_seconds() <= 0:
        return "overdue"
    if left <= (report.sla_due_at - report.created_at) * DUE_SOON_SHARE:
        return "due_soon"
    return "on_time"


URL_PLACEHOLDER = "XXXX-XXXX"  # reversed once a page, then replaced by each row's tracking number
SLA_BADGES = {"overdue": "text-bg-danger", "due_soon": "text-bg-warning", "on_time": "text-bg-success"}


@register.simple_tag
def queue_rows(rows: list[QueueRow], now: datetime) -> SafeString:
    """The table's rows: tracking number (with its case number and whether the resident updated it),
    type and subtype, status, age, SLA, and who has it."""
    words = {
        # Each row's link, its due date's month, the words it may show: looked up and escaped once a
        # page, not once a row.
        "detail_url": escape(reverse("staff-report-detail", args=[URL_PLACEHOLDER])),
        "months": [str(MONTHS_3[month]).title() for month in range(1, 13)],
        "updated": escape(_("Updated by resident")),
        "no_sla": escape(_("No SLA: the report is decided")),
        "overdue": escape(_("Overdue")),
        "due_soon": escape(_("Due soon")),
        "on_time": escape(_("On time")),
        "due": escape(_("due")),
        "no_one": escape(_("No one")),
        "statuses": {status.value: escape(str(status.label)) for status in Status},
        "ages": age_formats(),
        "names": {},  # each type's and subtype's name, escaped, as the page first meets it
    }
    return mark_safe("\n".join(queue_row(row, now, words) for row in rows))  # noqa: S308 (escaped below)


def queue_row(row: QueueRow, now: datetime, words: dict) -> str:
    """One row's markup; every value that did not come from `words` is escaped here."""
    number = escape(row.tracking_number)
    link = words["detail_url"].replace(URL_PLACEHOLDER, number)
    cell = f'<a class="tracking-number text-nowrap" href="{link}">{number}</a>'
    if row.case_number:
        cell += f'<small class="d-block text-nowrap">{escape(row.case_number)}</small>'
    if row.updated_by_resident:
        cell += f'<span class="badge text-bg-info">{words["updated"]}</span>'
    who = escape(row.assignee_name) or f'<span class="text-body-secondary">{words["no_one"]}</span>'
    return (
        f'<tr><th scope="row">{cell}</th>'
        f'<td>{name(row.report_type, words)}<small class="d-block text-body-secondary">'
        f"{name(row.subtype, words)}</small></td>"
        f"<td>{words['statuses'][row.status]}</td>"
        f'<td class="text-nowrap"><time datetime="{row.created_at.isoformat()}">'
        f"{escape(age(row.created_at, now, words['ages']))}</time></td>"
        f'<td class="text-nowrap">{sla_cell(row, now, words)}</td><td>{who}</td></tr>'
    )


def name(kind: ReportType | ReportSubtype, words: dict) -> str:
    key = (type(kind), kind.pk)
    if key not in words["names"]:
        words["names"][key] = escape(kind.name)
    return words["names"][key]


def sla_cell(row: QueueRow, now: datetime, words: dict) -> str:
    state = sla_state(row, now)
    if state == "closed":
        return f'<span aria-hidden="true">—</span><span class="visually-hidden">{words["no_sla"]}</span>'
    due = due_date(timezone.localtime(row.sla_due_at), words["months"])
    return (
        f'<span class="badge {SLA_BADGES[state]}">{words[state]}</span><small class="d-block">{words["due"]} '
        f'<time datetime="{row.sla_due_at.isoformat()}">{escape(due)}</time></small>'
    )


def due_date(moment: datetime, months: list[str]) -> str:
    """The template's `date:"M j, H:i"`, without parsing the format for every row."""
    return f"{months[moment.month - 1]} {moment.day}, {moment:%H:%M}"
