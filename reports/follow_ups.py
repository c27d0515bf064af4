"""The follow-up question: a few days after a report closes, its resident is asked (by email or text, in
their language, once) whether it was easy to report and whether they are satisfied with what happened,
and answers each with one tap. The answers, by report type and channel, go to the figures pages.

Asked once: the FollowUp row is created in the same transaction that queues the message, and a report
has at most one. Answered once: the first answer to each question stays, however often a link is used.
Anyone who asked not to be asked again (a link on the answer page) is never asked; a number that replied
STOP gets no text at all (reports/texts.py).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Count, F, Q, QuerySet
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from . import notifications
from .models import Channel, FollowUp, FollowUpOptOut, Report, ReportType, UpdatesBy
from .statuses import CLOSED_STATUSES, Status

TEMPLATE = notifications.FOLLOW_UP_TEMPLATE
QUESTIONS = {
    "easy": _("Was this easy to report?"),
    "satisfied": _("Are you satisfied with what happened?"),
}
ANSWERS = {"yes": True, "no": False}
TEXTS = (UpdatesBy.TEXT, UpdatesBy.BOTH)
# Closures older than this (after the wait) are never asked: a deployment that starts with a backlog of
# closed reports, or a worker that was down for a week, does not send questions about old news.
ASK_WITHIN_DAYS = 10
# Every closure but the resident's own withdrawal: they know what happened, and chose it.
ASKED_ABOUT = tuple(status for status in CLOSED_STATUSES if status != Status.WITHDRAWN)


def contact_hash(contact: str) -> str:
    return hashlib.sha256(f"follow-up:{contact.strip().lower()}".encode()).hexdigest()


def contact_hashes(report: Report) -> list[str]:
    return [contact_hash(contact) for contact in (report.contact_email, report.contact_phone) if contact]


def due(*, now: datetime | None = None) -> QuerySet[Report]:
    """Closed reports whose wait is over, not yet asked, with an address or a number to ask on."""
    now = now or timezone.now()
    asked_after = now - timedelta(days=settings.FOLLOW_UP_DAYS)
    return Report.objects.filter(
        Q(contact_email__gt="") | Q(contact_phone__gt="", sms_consent_at__isnull=False, updates_by__in=TEXTS),
        status__in=ASKED_ABOUT,
        supplement_of__isnull=True,  # one question per case: the original's
        closed_at__lt=asked_after,
        closed_at__gte=asked_after - timedelta(days=ASK_WITHIN_DAYS),
        follow_up__isnull=True,
    ).order_by("closed_at", "pk")


def ask_due(*, now: datetime | None = None) -> int:
    """Ask every resident whose report is due (beat runs this every hour); how many were asked."""
    asked = 0
    for report in due(now=now):
        asked += ask(report)
    return asked


def ask(report: Report) -> bool:
    """Ask one resident, once: False when it was asked before or the resident opted out."""
    wants_no_questions = FollowUpOptOut.objects.filter(contact_hash__in=contact_hashes(report)).exists()
    with transaction.atomic():
        follow_up, created = FollowUp.objects.get_or_create(
            report=report, defaults={"asked_at": None if wants_no_questions else timezone.now()}
        )
        if not created or follow_up.asked_at is None:
            return False
        notifications.notify(report, TEMPLATE)
    return True


def answer(report: Report, question: str, value: bool) -> bool:
    """Keep the first answer to a question; False when it had been answered already."""
    if question not in QUESTIONS:
        raise ValueError(question)
    unanswered = FollowUp.objects.filter(
        report=report, asked_at__isnull=False, **{f"{question}__isnull": True}
    )
    # One UPDATE guarded by the filter: of two taps at the same moment, only the first changes the row.
    changed = unanswered.update(**{question: value}, answered_at=Coalesce(F("answered_at"), timezone.now()))
    return changed == 1


def opt_out(report: Report) -> None:
    """Never ask this report's email address or number again."""
    FollowUpOptOut.objects.bulk_create(
        [FollowUpOptOut(contact_hash=digest) for digest in contact_hashes(report)], ignore_conflicts=True
    )


# --- The figures ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AnswerRow:
    """Residents asked in a period, for one report type and channel (or all of them), and what they said."""

    report_type: str
    channel: str
    asked: int
    answered: int
    easy_yes: int
    easy_answers: int
    satisfied_yes: int
    satisfied_answers: int

    @staticmethod
    def percent(part: int, whole: int) -> int | None:
        return round(100 * part / whole) if whole else None

    @property
    def answered_percent(self) -> int | None:
        return self.percent(self.answered, self.asked)

    @property
    def easy_percent(self) -> int | None:
        return self.percent(self.easy_yes, self.easy_answers)

    @property
    def satisfied_percent(self) -> int | None:
        return self.percent(self.satisfied_yes, self.satisfied_answers)


COUNTS = {
    "asked": Count("id"),
    "answered": Count("id", filter=Q(answered_at__isnull=False)),
    "easy_yes": Count("id", filter=Q(easy=True)),
    "easy_answers": Count("id", filter=Q(easy__isnull=False)),
    "satisfied_yes": Count("id", filter=Q(satisfied=True)),
    "satisfied_answers": Count("id", filter=Q(satisfied__isnull=False)),
}


@dataclass(frozen=True)
class Answers:
    rows: list[AnswerRow]  # by report type, then channel
    total: AnswerRow


def answers(start: datetime, end: datetime) -> Answers:
    """What residents asked between start and end answered, by report type (in the catalog's order, in
    the page's language) and channel: two queries."""
    grouped = (
        FollowUp.objects.filter(asked_at__gte=start, asked_at__lt=end)
        .values("report__report_type", "report__channel")
        .annotate(**COUNTS)
    )
    counts = {(row["report__report_type"], row["report__channel"]): row for row in grouped}
    rows = [
        AnswerRow(report_type.name, label, **{name: counts[key][name] for name in COUNTS})
        for report_type in ReportType.objects.all()
        for code, label in Channel.choices
        if (key := (report_type.pk, code)) in counts
    ]
    total = AnswerRow(_("All reports"), "", **{name: sum(getattr(r, name) for r in rows) for name in COUNTS})
    return Answers(rows=rows, total=total)
