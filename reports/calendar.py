"""When a resident can expect their report to be looked at, in the city's working days.

Report takers work office days: a review promised in 72 hours is promised in three business days,
skipping weekends and City holidays (seeds/holidays.json). Traffic Control works round the clock, so a
parking report's promise stays in hours.
"""

from __future__ import annotations

import math
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, timedelta

from django.utils import timezone

from .models import Holiday, Report

ROUND_THE_CLOCK_BELOW_HOURS = 24


@dataclass(frozen=True)
class ExpectedReview:
    """Either `hours` (round-the-clock work) or `by` with `business_days` (office work), never both."""

    hours: int | None = None
    by: date | None = None
    business_days: int | None = None


def expected_review(report: Report) -> ExpectedReview:
    sla_hours = report.report_type.sla_hours
    if sla_hours < ROUND_THE_CLOCK_BELOW_HOURS:
        return ExpectedReview(hours=sla_hours)
    days = math.ceil(sla_hours / 24)
    filed_on = timezone.localtime(report.created_at, timezone.get_default_timezone()).date()
    by = business_days_after(filed_on, days, holidays_after(filed_on))
    return ExpectedReview(by=by, business_days=days)


def business_days_after(start: date, days: int, holidays: Collection[date]) -> date:
    """The `days`-th working day after `start` (not counting `start` itself, whatever day it is)."""
    day = start
    while days > 0:
        day += timedelta(days=1)
        if day.weekday() < 5 and day not in holidays:
            days -= 1
    return day


def holidays_after(start: date) -> set[date]:
    # A few dozen rows at most (the seeds hold three years), so all of them beats computing a bound.
    return set(Holiday.objects.filter(date__gt=start).values_list("date", flat=True))


def is_working_day(day: date) -> bool:
    return day.weekday() < 5 and not Holiday.objects.filter(date=day).exists()


def previous_working_day(day: date) -> date:
    """The working day before `day` (holidays read once: a few dozen rows)."""
    holidays = set(Holiday.objects.filter(date__lt=day).values_list("date", flat=True))
    before = day - timedelta(days=1)
    while before.weekday() >= 5 or before in holidays:
        before -= timedelta(days=1)
    return before
