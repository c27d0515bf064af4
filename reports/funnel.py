"""The filing funnel: how many residents who start a report finish it, and where the others stop or leave.

Counted on our own server, without trackers: the filing views call record() at each step, and each step
is one row keyed by a random journey id that lives in the session for one filing attempt. No address,
session key, user or report is stored (reports/models/funnel.py). The supervisors' figures page reads
funnel_figures().
"""

from __future__ import annotations

import logging
import statistics
import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.sessions.backends.base import SessionBase
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .figures import Period, format_duration, in_period
from .models import Channel, FunnelEvent, FunnelStep, StopReason

logger = logging.getLogger(__name__)

SESSION_KEY = "funnel_journey"
# The way through, in order; a stop at the safety check is a side exit, not a step on it.
PATH = (FunnelStep.STARTED, FunnelStep.DETAILS_DONE, FunnelStep.REVIEW_REACHED, FunnelStep.FILED)
# "Me too" on a parking problem already reported ends a journey as well as filing does: nothing is lost.
FINISHED = (FunnelStep.FILED, FunnelStep.STOPPED, FunnelStep.JOINED)
# Every stop sends the resident to 911 or to a police force (outside the city: the one where it
# happened), so the completion rate leaves all of them out: those reports were never ours to take.
POLICE_STOPS = tuple(StopReason)
# Open311 clients file in one request: an API filing has no steps to count, or to leave from.
FUNNEL_CHANNELS = (Channel.WEB, Channel.PHONE, Channel.WALK_IN)


# --- Recording --------------------------------------------------------------------------------------------


def record(
    session: SessionBase,
    step: str,
    *,
    channel: str,
    language: str,
    report_type: str = "",
    reason: str = "",
) -> None:
    """Count one step of the session's filing attempt: one INSERT at most, and never an error.

    "started" begins a new journey unless the current one is still under way (a reload counts once);
    the other steps join the current journey, and are not counted without one. A step already counted
    for the journey is not written again.
    """
    try:
        state = journey_state(session, step)
        if state is None or step in state["steps"]:
            return
        insert(new_event(state["journey"], step, channel, language, report_type, reason))
        session[SESSION_KEY] = {**state, "steps": [*state["steps"], str(step)]}
    except Exception:
        # The resident's report matters more than our count of it.
        logger.exception("The filing funnel could not count the step %r", str(step))


def journey_state(session: SessionBase, step: str) -> dict | None:
    state = session.get(SESSION_KEY)
    under_way = state and not any(done in state["steps"] for done in FINISHED)
    if step == FunnelStep.STARTED and not under_way:
        return {"journey": uuid.uuid4().hex, "steps": []}
    return state or None


def new_event(
    journey: str, step: str, channel: str, language: str, report_type: str, reason: str
) -> FunnelEvent:
    if step not in FunnelStep.values:
        raise ValueError(f"not a funnel step: {step!r}")
    if step == FunnelStep.STOPPED and reason not in StopReason.values:
        raise ValueError(f"not a stop reason: {reason!r}")
    return FunnelEvent(
        journey=uuid.UUID(journey),
        step=step,
        reason=reason if step == FunnelStep.STOPPED else "",
        report_type=(report_type or "")[:50],
        channel=channel,
        language=(language or "")[:10],
    )


def insert(event: FunnelEvent) -> None:
    # One statement: the unique (journey, step) turns a repeat into nothing (ON CONFLICT DO NOTHING).
    # Inside a caller's transaction a savepoint keeps a failed insert from spoiling it on PostgreSQL.
    if connection.in_atomic_block:
        with transaction.atomic():
            FunnelEvent.objects.bulk_create([event], ignore_conflicts=True)
    else:
        FunnelEvent.objects.bulk_create([event], ignore_conflicts=True)


# --- Reading ----------------------------------------------------------------------------------------------


@dataclass
class Journey:
    started_at: datetime
    steps: set[str] = field(default_factory=set)
    reason: str = ""
    filed_at: datetime | None = None
    # The latest event's: a 311 agent's channel is known only once the safety check is answered.
    channel: str = ""
    language: str = ""

    @property
    def furthest(self) -> str:
        return next(step for step in reversed(PATH) if step in self.steps or step == FunnelStep.STARTED)

    @property
    def stopped(self) -> bool:
        # A resident who went back past a stop and filed after all counts as filed.
        return FunnelStep.STOPPED in self.steps and FunnelStep.FILED not in self.steps


@dataclass(frozen=True)
class Row:
    code: str
    label: str
    count: int


@dataclass(frozen=True)
class FunnelCounts:
    label: str
    reached: list[Row]  # journeys that reached each step of PATH, or a later one
    stops: list[Row]  # stopped at the safety check (and did not file after all), by reason
    abandoned: list[Row]  # left at each step of PATH but the last, started longer ago than a draft lives
    in_progress: int  # started more recently, not yet filed, stopped or abandoned
    median_to_file: timedelta | None

    @property
    def started(self) -> int:
        return self.reached[0].count

    @property
    def filed(self) -> int:
        return self.reached[-1].count

    @property
    def stopped(self) -> int:
        return sum(row.count for row in self.stops)

    @property
    def stopped_for_police(self) -> int:
        return sum(row.count for row in self.stops if row.code in POLICE_STOPS)

    @property
    def abandoned_total(self) -> int:
        return sum(row.count for row in self.abandoned)

    @property
    def completion_percent(self) -> int | None:
        eligible = self.started - self.stopped_for_police
        return round(100 * self.filed / eligible) if eligible else None

    @property
    def median_to_file_text(self) -> str:
        return format_duration(self.median_to_file)

    def percent_of_started(self, count: int) -> int | None:
        return round(100 * count / self.started) if self.started else None

    @property
    def reached_rows(self) -> list[tuple[Row, int | None]]:
        return [(row, self.percent_of_started(row.count)) for row in self.reached]


@dataclass(frozen=True)
class FunnelFigures:
    overall: FunnelCounts
    by_channel: list[FunnelCounts]
    by_language: list[FunnelCounts]
    draft_hours: int  # how long a journey may sit still before it counts as abandoned

    @property
    def excluded_stops(self) -> list[str]:
        """The stops the completion rate leaves out, as the page names them."""
        return [str(reason.label) for reason in POLICE_STOPS]


def funnel_figures(period: Period, *, now: datetime | None = None) -> FunnelFigures:
    """The journeys started in the period, followed to wherever they have got: one query.

    Medians are taken in Python, as in figures.py; the period bounds the rows fetched.
    """
    now = now or timezone.now()
    journeys = journeys_started_in(period)
    abandoned_before = now - timedelta(hours=settings.DRAFT_TTL_HOURS)

    def counts(label: str, members: Iterable[Journey]) -> FunnelCounts:
        return funnel_counts(label, list(members), abandoned_before)

    languages = dict(settings.LANGUAGES)
    languages |= {j.language: j.language for j in journeys if j.language not in languages}
    return FunnelFigures(
        overall=counts(_("All journeys"), journeys),
        by_channel=[
            counts(str(channel.label), (j for j in journeys if j.channel == channel))
            for channel in FUNNEL_CHANNELS
        ],
        by_language=[
            counts(str(label), (j for j in journeys if j.language == code))
            for code, label in languages.items()
        ],
        draft_hours=settings.DRAFT_TTL_HOURS,
    )


def journeys_started_in(period: Period) -> list[Journey]:
    started = FunnelEvent.objects.filter(in_period("created_at", period), step=FunnelStep.STARTED)
    rows = (
        FunnelEvent.objects.filter(journey__in=started.values("journey"))
        .order_by("created_at", "id")
        .values_list("journey", "step", "reason", "channel", "language", "created_at")
    )
    journeys: dict[uuid.UUID, Journey] = {}
    for journey_id, step, reason, channel, language, created in rows:
        journey = journeys.setdefault(journey_id, Journey(started_at=created))
        journey.steps.add(step)
        journey.channel, journey.language = channel, language
        if step == FunnelStep.STARTED:
            journey.started_at = created
        elif step == FunnelStep.STOPPED:
            journey.reason = reason
        elif step == FunnelStep.FILED:
            journey.filed_at = created
    return list(journeys.values())


def funnel_counts(label: str, journeys: list[Journey], abandoned_before: datetime) -> FunnelCounts:
    reached: dict[str, int] = defaultdict(int)
    stops: dict[str, int] = defaultdict(int)
    abandoned: dict[str, int] = defaultdict(int)
    in_progress = 0
    to_file = []
    for journey in journeys:
        furthest = PATH.index(journey.furthest)
        for step in PATH[: furthest + 1]:
            reached[step] += 1
        if journey.filed_at:
            to_file.append((journey.filed_at - journey.started_at).total_seconds())
        elif journey.stopped:
            stops[journey.reason] += 1
        elif journey.started_at < abandoned_before:
            abandoned[journey.furthest] += 1
        else:
            in_progress += 1
    return FunnelCounts(
        label=label,
        reached=[Row(step, str(step.label), reached[step]) for step in PATH],
        stops=[Row(reason, str(reason.label), stops[reason]) for reason in StopReason],
        abandoned=[Row(step, str(ABANDONED_LABELS[step]), abandoned[step]) for step in PATH[:-1]],
        in_progress=in_progress,
        median_to_file=timedelta(seconds=statistics.median(to_file)) if to_file else None,
    )


ABANDONED_LABELS = {
    FunnelStep.STARTED: gettext_lazy("During the safety check or the details"),
    FunnelStep.DETAILS_DONE: gettext_lazy("After the details, before the review page"),
    FunnelStep.REVIEW_REACHED: gettext_lazy("At the review page, without sending"),
}
