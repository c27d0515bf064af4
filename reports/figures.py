"""The supervisors' figures: backlog, SLA, medians and the weekly diversion counts.

Every read here runs a fixed number of queries whatever the amount of data (counted in the tests).
Medians are taken in Python from the period's durations, because SQLite has no percentile function;
the period bounds the rows fetched.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Count, F, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import TruncWeek
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import Channel, Disposition, Queue, Report, ReportEvent, ReportType
from .statuses import OPEN_STATUSES, Status

DEFAULT_PERIOD_DAYS = 30
DEFAULT_WEEKS = 12
ONLINE_CHANNELS = (Channel.WEB, Channel.API)
ASSISTED_CHANNELS = (Channel.PHONE, Channel.WALK_IN)


@dataclass(frozen=True)
class Period:
    days: int
    start: datetime
    end: datetime


def period_ending(days: int, *, now: datetime | None = None) -> Period:
    end = now or timezone.now()
    return Period(days=days, start=end - timedelta(days=days), end=end)


def in_period(field: str, period: Period) -> Q:
    return Q(**{f"{field}__gte": period.start, f"{field}__lt": period.end})


# --- Reports in the period, by channel ------------------------------------------------------------


@dataclass(frozen=True)
class ChannelCount:
    code: str
    label: str
    count: int


@dataclass(frozen=True)
class PeriodTotals:
    """Every report filed here is a call the police did not take: all of them count as diverted."""

    total: int
    by_channel: list[ChannelCount]

    def _sum(self, codes: tuple[str, ...]) -> int:
        return sum(row.count for row in self.by_channel if row.code in codes)

    @property
    def online(self) -> int:
        return self._sum(ONLINE_CHANNELS)

    @property
    def assisted(self) -> int:
        return self._sum(ASSISTED_CHANNELS)

    @property
    def online_percent(self) -> int | None:
        return round(100 * self.online / self.total) if self.total else None

    @property
    def assisted_percent(self) -> int | None:
        return round(100 * self.assisted / self.total) if self.total else None


def period_totals(period: Period) -> PeriodTotals:
    counts = dict(
        # A supplement adds to a case already counted: incidents diverted are counted once.
        Report.objects.filter(in_period("created_at", period), supplement_of__isnull=True)
        .values_list("channel")
        .annotate(n=Count("id"))
        .order_by()
    )
    rows = [ChannelCount(code, str(label), counts.get(code, 0)) for code, label in Channel.choices]
    return PeriodTotals(total=sum(counts.values()), by_channel=rows)


# --- Backlog and SLA --------------------------------------------------------------------------------


@dataclass(frozen=True)
class QueueBacklog:
    code: str
    name: str
    open: int
    past_due: int

    @property
    def within_sla(self) -> int:
        return self.open - self.past_due


def backlog_per_queue(*, now: datetime | None = None) -> list[QueueBacklog]:
    """Open reports in each queue right now, and how many of them are past their SLA."""
    now = now or timezone.now()
    is_open = Q(reports__status__in=OPEN_STATUSES)
    queues = Queue.objects.order_by("name").annotate(
        open_count=Count("reports", filter=is_open),
        past_due_count=Count("reports", filter=is_open & Q(reports__sla_due_at__lt=now)),
    )
    return [QueueBacklog(q.code, q.name, q.open_count, q.past_due_count) for q in queues]


@dataclass(frozen=True)
class SlaBreaches:
    open_past_due: int  # now, whatever the period
    closed: int  # closed in the period
    closed_late: int  # of those, closed after their due time

    @property
    def closed_late_percent(self) -> int | None:
        return round(100 * self.closed_late / self.closed) if self.closed else None


def sla_breaches(period: Period) -> SlaBreaches:
    closed_in_period = in_period("closed_at", period)
    counts = Report.objects.aggregate(
        open_past_due=Count("id", filter=Q(status__in=OPEN_STATUSES, sla_due_at__lt=period.end)),
        closed=Count("id", filter=closed_in_period),
        closed_late=Count("id", filter=closed_in_period & Q(closed_at__gt=F("sla_due_at"))),
    )
    return SlaBreaches(**counts)


# --- Median times ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MedianTimes:
    label: str
    to_first_action: timedelta | None
    first_actions: int  # how many reports the median is taken over
    to_close: timedelta | None
    closes: int

    @property
    def to_first_action_text(self) -> str:
        return format_duration(self.to_first_action)

    @property
    def to_close_text(self) -> str:
        return format_duration(self.to_close)


@dataclass(frozen=True)
class MedianFigures:
    overall: MedianTimes
    by_queue: list[MedianTimes]
    by_type: list[MedianTimes]


def median_of(durations: list[timedelta]) -> timedelta | None:
    if not durations:
        return None
    return timedelta(seconds=statistics.median(d.total_seconds() for d in durations))


def median_times(period: Period) -> MedianFigures:
    """Medians over what happened in the period: first actions taken in it, and reports closed in it.

    Counting by event time, not by filing time, keeps a slow report from vanishing from the figures
    just because it was filed before the period began.
    """
    rows = Report.objects.filter(in_period("first_action_at", period) | in_period("closed_at", period))
    first: dict[tuple[str, int], list[timedelta]] = defaultdict(list)
    close: dict[tuple[str, int], list[timedelta]] = defaultdict(list)
    for queue_id, type_id, created, acted, closed in rows.values_list(
        "queue_id", "report_type_id", "created_at", "first_action_at", "closed_at"
    ):
        for key in (("all", 0), ("queue", queue_id), ("type", type_id)):
            if acted and period.start <= acted < period.end:
                first[key].append(acted - created)
            if closed and period.start <= closed < period.end:
                close[key].append(closed - created)

    def times(label: str, key: tuple[str, int]) -> MedianTimes:
        return MedianTimes(
            label, median_of(first[key]), len(first[key]), median_of(close[key]), len(close[key])
        )

    return MedianFigures(
        overall=times(_("All reports"), ("all", 0)),
        by_queue=[times(q.name, ("queue", q.pk)) for q in Queue.objects.order_by("name")],
        by_type=[times(t.name, ("type", t.pk)) for t in ReportType.objects.all()],
    )


def format_duration(duration: timedelta | None) -> str:
    """“4 h 12 min”, “2 d 3 h”: what a supervisor reads at a glance (rounded down)."""
    if duration is None:
        return "—"
    minutes = int(duration.total_seconds() // 60)
    days, hours, minutes = minutes // 1440, minutes % 1440 // 60, minutes % 60
    if days:
        return _("%(days)d d %(hours)d h") % {"days": days, "hours": hours}
    if hours:
        return _("%(hours)d h %(minutes)d min") % {"hours": hours, "minutes": minutes}
    if minutes:
        return _("%(minutes)d min") % {"minutes": minutes}
    return _("under 1 min")


# --- Reports per week ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Series:
    code: str
    label: str
    counts: list[int]  # one per week, oldest first


@dataclass(frozen=True)
class WeeklyFigures:
    weeks: list[date]  # the Monday each week starts on, in settings.TIME_ZONE, oldest first
    by_channel: list[Series]
    by_type: list[Series]

    @property
    def totals(self) -> list[int]:
        return [sum(s.counts[i] for s in self.by_channel) for i in range(len(self.weeks))]

    def rows(self, series: list[Series]) -> list[tuple[date, list[int], int]]:
        """(week, one count per series, total) for tables and CSV."""
        totals = self.totals
        return [(week, [s.counts[i] for s in series], totals[i]) for i, week in enumerate(self.weeks)]


def week_starts(weeks: int, *, now: datetime | None = None) -> list[date]:
    today = timezone.localtime(now or timezone.now(), ZoneInfo(settings.TIME_ZONE)).date()
    this_monday = today - timedelta(days=today.weekday())
    return [this_monday - timedelta(weeks=back) for back in range(weeks - 1, -1, -1)]


def weekly_grouped(weeks: int, now: datetime | None) -> tuple[list[date], dict[tuple[date, int, str], int]]:
    """The last `weeks` Mondays (city time), and reports filed per (week, report type id, channel)."""
    city = ZoneInfo(settings.TIME_ZONE)
    mondays = week_starts(weeks, now=now)
    start = datetime.combine(mondays[0], time.min, tzinfo=city)
    end = datetime.combine(mondays[-1] + timedelta(weeks=1), time.min, tzinfo=city)
    grouped = (
        Report.objects.filter(created_at__gte=start, created_at__lt=end, supplement_of__isnull=True)
        .annotate(week=TruncWeek("created_at", tzinfo=city))
        .values_list("week", "report_type_id", "channel")
        .annotate(n=Count("id"))
        .order_by()
    )
    counts: dict[tuple[date, int, str], int] = defaultdict(int)
    for week, type_id, channel, n in grouped:
        counts[(timezone.localtime(week, city).date(), type_id, channel)] += n
    return mondays, counts


def weekly_reports(*, weeks: int = DEFAULT_WEEKS, now: datetime | None = None) -> WeeklyFigures:
    """Reports filed per week for the last `weeks` weeks (this one included), by channel and by type.

    Weeks run Monday to Sunday in the city's time zone; a week with no reports shows zeros.
    """
    mondays, counts = weekly_grouped(weeks, now)
    index = {monday: i for i, monday in enumerate(mondays)}
    by_channel: dict[str, list[int]] = defaultdict(lambda: [0] * weeks)
    by_type: dict[int, list[int]] = defaultdict(lambda: [0] * weeks)
    for (week, type_id, channel), n in counts.items():
        by_channel[channel][index[week]] += n
        by_type[type_id][index[week]] += n
    return WeeklyFigures(
        weeks=mondays,
        by_channel=[Series(code, str(label), by_channel[code]) for code, label in Channel.choices],
        by_type=[Series(t.code, t.name, by_type[t.pk]) for t in ReportType.objects.all()],
    )


def weekly_by_type_and_channel(
    *, weeks: int, now: datetime | None = None
) -> dict[tuple[date, str, str], int]:
    """As weekly_reports counts them, keyed by (week, report type code, channel): weeks with none left out."""
    _mondays, counts = weekly_grouped(weeks, now)
    codes = dict(ReportType.objects.values_list("pk", "code"))
    return {(week, codes[type_id], channel): n for (week, type_id, channel), n in counts.items()}


# --- Parking closures, by the unit that closed them ------------------------------------------------


@dataclass(frozen=True)
class UnitClosures:
    unit: str
    closed: int
    enforced: int  # a citation or a tow (Disposition.enforced)
    too_fast: int  # resolved within TRAFFIC_FAST_CLOSURE_MINUTES of the dispatch
    unseen: int  # resolved without ever being on scene


def parking_closures(period: Period) -> QuerySet[Report]:
    return Report.objects.filter(
        in_period("closed_at", period), status=Status.RESOLVED, report_type__form=ReportType.Form.PARKING
    )


def closures_by_unit(period: Period) -> list[UnitClosures]:
    enforced = Disposition.objects.filter(enforced=True).values("code")
    rows = (
        parking_closures(period)
        .values("enforcement_unit")
        .annotate(
            closed=Count("id"),
            enforced=Count("id", filter=Q(outcome__in=enforced)),
            too_fast=Count("id", filter=Q(closed_too_fast=True)),
            unseen=Count("id", filter=Q(closed_unseen=True)),
        )
        .order_by("enforcement_unit")
    )
    return [
        UnitClosures(
            unit=row["enforcement_unit"] or _("No unit (never dispatched)"),
            closed=row["closed"],
            enforced=row["enforced"],
            too_fast=row["too_fast"],
            unseen=row["unseen"],
        )
        for row in rows
    ]


def reopened_count(period: Period) -> int:
    """Parking tickets the resident said were still there after they were resolved, in the period."""
    return Report.objects.filter(in_period("reopened_at", period)).count()


@dataclass(frozen=True)
class OutcomeCount:
    label: str
    count: int
    enforced: bool


def parking_outcomes(period: Period) -> list[OutcomeCount]:
    """Parking reports resolved in the period, by closing code, in the catalog's order (codes with none
    left out)."""
    counts = dict(parking_closures(period).values_list("outcome").annotate(n=Count("id")))
    return [
        OutcomeCount(disposition.label, counts[disposition.code], disposition.enforced)
        for disposition in Disposition.objects.all()
        if counts.get(disposition.code)
    ]


@dataclass(frozen=True)
class FlaggedClosure:
    report: Report
    dispatched_at: datetime | None
    outcome: str  # the Disposition's label

    @property
    def after_dispatch_text(self) -> str:
        return format_duration(self.report.closed_at - self.dispatched_at if self.dispatched_at else None)


def flagged_closures(period: Period, *, limit: int = 200) -> list[FlaggedClosure]:
    """The closures a supervisor should look at again, newest first."""
    last_dispatch = (
        ReportEvent.objects.filter(
            report=OuterRef("pk"), kind=ReportEvent.Kind.STATUS_CHANGED, to_status=Status.DISPATCHED
        )
        .order_by("-created_at")
        .values("created_at")[:1]
    )
    reports = (
        parking_closures(period)
        .filter(Q(closed_too_fast=True) | Q(closed_unseen=True))
        .annotate(dispatched_at=Subquery(last_dispatch))
        .select_related("subtype")
        .order_by("-closed_at", "-id")[:limit]
    )
    labels = Disposition.labels()
    return [
        FlaggedClosure(report, report.dispatched_at, labels.get(report.outcome, report.outcome))
        for report in reports
    ]


# --- Everything the dashboard shows --------------------------------------------------------------


@dataclass(frozen=True)
class Dashboard:
    period: Period
    totals: PeriodTotals
    backlog: list[QueueBacklog]
    breaches: SlaBreaches
    medians: MedianFigures
    weekly: WeeklyFigures
    closures: list[UnitClosures]
    reopened: int  # "still there"

    @property
    def open_total(self) -> int:
        return sum(row.open for row in self.backlog)


def dashboard(period: Period) -> Dashboard:
    return Dashboard(
        period=period,
        totals=period_totals(period),
        backlog=backlog_per_queue(now=period.end),
        breaches=sla_breaches(period),
        medians=median_times(period),
        weekly=weekly_reports(now=period.end),
        closures=closures_by_unit(period),
        reopened=reopened_count(period),
    )
