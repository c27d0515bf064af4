"""The supervisors' digest: once a working day, a short email to each supervisor listing the open reports
past their SLA or due within a day, and the parking closures flagged since the previous working day's
digest. None when there is nothing to say, and never two the same day (the outbox's dedupe key).

Queued by Celery beat at SUPERVISOR_DIGEST_HOUR (reports.tasks.queue_supervisor_digests); the email
itself is built by notifications.send_supervisor_email from the report ids the payload carries.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Q
from django.utils import timezone

from . import access, calendar, notifications, outbox
from .models import OutboxMessage, Report
from .statuses import OPEN_STATUSES

TEMPLATE = notifications.DIGEST_TEMPLATE
NEAR = timedelta(hours=24)  # "near their SLA": due within the next day
LISTED = 50  # rows an email lists in each part; the counts are always whole


@dataclass(frozen=True)
class Digest:
    # Each part: the first LISTED report ids, and how many there are in all.
    past: list[int]  # open past their SLA, most overdue first
    past_count: int
    near: list[int]  # open and due within NEAR, soonest first
    near_count: int
    flagged: list[int]  # parking closures flagged too fast or never on scene, newest first
    flagged_count: int

    @property
    def empty(self) -> bool:
        return not (self.past_count or self.near_count or self.flagged_count)


def gather(now: datetime) -> Digest:
    open_reports = Report.objects.filter(status__in=OPEN_STATUSES)
    past = open_reports.filter(sla_due_at__lt=now).order_by("sla_due_at", "id")
    near = open_reports.filter(sla_due_at__gte=now, sla_due_at__lt=now + NEAR).order_by("sla_due_at", "id")
    today = timezone.localdate(now)
    since = now - timedelta(days=(today - calendar.previous_working_day(today)).days)
    flagged = Report.objects.filter(
        Q(closed_too_fast=True) | Q(closed_unseen=True), closed_at__gte=since, closed_at__lt=now
    ).order_by("-closed_at", "-id")
    return Digest(
        past=list(past.values_list("id", flat=True)[:LISTED]),
        past_count=past.count(),
        near=list(near.values_list("id", flat=True)[:LISTED]),
        near_count=near.count(),
        flagged=list(flagged.values_list("id", flat=True)[:LISTED]),
        flagged_count=flagged.count(),
    )


def queue_digests(now: datetime | None = None) -> int:
    """One digest for each supervisor with an email address; returns how many were queued."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    if not calendar.is_working_day(today):
        return 0
    digest = gather(now)
    if digest.empty:
        return 0
    payload = {"template": TEMPLATE, "day": today.isoformat(), **digest.__dict__}
    queued = 0
    for user in access.supervisors().exclude(email=""):
        outbox.enqueue(
            OutboxMessage.Kind.EMAIL,
            report=None,
            dedupe_key=f"email:{TEMPLATE}:{today.isoformat()}:{user.pk}",
            payload={**payload, "staff": user.pk},
        )
        queued += 1
    return queued
