"""The queue page's small pieces: a report's age, its status in words and its SLA state.

Filters rather than inclusion tags: the page renders them 50 or 100 times, and a filter costs a call.
"""

from __future__ import annotations

from datetime import datetime

from django import template
from django.utils.translation import gettext as _

from reports.models import Report
from reports.statuses import OPEN_STATUSES, Status

register = template.Library()

# "Due soon" once less than this share of the SLA window is left.
DUE_SOON_SHARE = 0.25


@register.filter
def age(since: datetime, now: datetime) -> str:
    seconds = max(0, int((now - since).total_seconds()))
    if seconds < 3600:
        return _("%(count)d min") % {"count": seconds // 60}
    if seconds < 86400:
        return _("%(count)d h") % {"count": seconds // 3600}
    return _("%(count)d d") % {"count": seconds // 86400}


@register.filter
def status_label(status: str) -> str:
    return Status(status).label


@register.filter
def sla_state(report: Report, now: datetime) -> str:
    """overdue, due_soon (under a quarter of the SLA window left), on_time, or closed (no SLA any more)."""
    if report.status not in OPEN_STATUSES:
        return "closed"
    left = report.sla_due_at - now
    if left.total_seconds() <= 0:
        return "overdue"
    if left <= (report.sla_due_at - report.created_at) * DUE_SOON_SHARE:
        return "due_soon"
    return "on_time"
