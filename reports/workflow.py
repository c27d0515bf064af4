"""Every status a report can move to, and from where.

One function per transition; each checks the table under a row lock, saves with update_fields and
writes one ReportEvent in the same transaction; where the resident should hear of it, it queues the
email through the outbox in that transaction too. Anything not in the table raises IllegalMove, which
views turn into a message.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.dispatch import Signal
from django.utils import timezone
from django.utils.translation import gettext as _

from . import case_numbers, notifications, staff_messages
from .models import (
    Evidence,
    MeToo,
    Queue,
    ReferralReason,
    RejectionReason,
    Report,
    ReportEvent,
    ResponseTemplate,
)
from .statuses import ACTIVE_TICKET, ALLOWED_MOVES, CLOSED_STATUSES, Status

S = Status
log = logging.getLogger(__name__)


class IllegalMove(Exception):
    def __init__(self, report: Report, to_status: str):
        self.report, self.to_status = report, to_status
        super().__init__(
            _("A report that is “%(current)s” cannot become “%(target)s”.")
            % {"current": Status(report.status).label, "target": Status(to_status).label}
        )


class NotAllowed(Exception):
    """A request that makes no sense for this report (a duplicate of itself, a move to its own queue)."""


# Sent by move() inside the transaction of the change, with report= and event=: an app above this one
# (open311's callbacks) queues its own outbox row there, so it is never lost nor sent for a rollback.
status_changed = Signal()


def check_move(report: Report, to_status: str) -> None:
    if to_status not in ALLOWED_MOVES[report.status]:
        raise IllegalMove(report, to_status)


def record_event(
    report: Report,
    kind: str,
    *,
    by: AbstractBaseUser | None,
    note: str = "",
    data: dict | None = None,
    is_public: bool = False,
    from_status: str = "",
    to_status: str = "",
) -> ReportEvent:
    return ReportEvent.objects.create(
        report=report,
        actor=by,
        kind=kind,
        note=note,
        data=data or {},
        is_public=is_public,
        from_status=from_status,
        to_status=to_status,
    )


def lock(report: Report) -> None:
    """Re-read the fields a transition decides on, under a row lock, so two clicks cannot both win."""
    current = Report.objects.select_for_update().only("status", "queue_id", "assignee_id").get(pk=report.pk)
    report.status, report.queue_id, report.assignee_id = current.status, current.queue_id, current.assignee_id


def touched_by_staff(report: Report, by: AbstractBaseUser | None) -> list[str]:
    if by is None or report.first_action_at:
        return []
    report.first_action_at = timezone.now()
    return ["first_action_at"]


@transaction.atomic
def move(
    report: Report,
    to_status: str,
    *,
    by: AbstractBaseUser | None,
    note: str = "",
    data: dict | None = None,
    is_public: bool = True,
    extra_fields: tuple[str, ...] = (),
    kind: str = ReportEvent.Kind.STATUS_CHANGED,
) -> ReportEvent:
    """The one place a status changes: lock, check the table, save, write the event."""
    lock(report)
    check_move(report, to_status)
    from_status = report.status
    report.status = to_status
    fields = ["status", "updated_at", *extra_fields, *touched_by_staff(report, by)]
    if to_status in CLOSED_STATUSES:
        report.closed_at = timezone.now()
        fields.append("closed_at")
    report.save(update_fields=fields)
    log.info(
        "Report moved",
        extra={"tracking_number": report.tracking_number, "from_status": from_status, "to_status": to_status},
    )
    event = record_event(
        report,
        kind,
        by=by,
        note=note,
        data=data,
        is_public=is_public,
        from_status=from_status,
        to_status=to_status,
    )
    status_changed.send(sender=Report, report=report, event=event)
    return event


# --- Working the queue -------------------------------------------------------------------------------


@transaction.atomic
def take_next(queue: Queue, *, by: AbstractBaseUser) -> Report | None:
    """Assign the oldest unassigned open report of the queue to `by`.

    SKIP LOCKED (PostgreSQL) lets two report takers pressing the button together get different
    reports; SQLite's write lock serialises them instead.
    """
    report = (
        Report.objects.select_for_update(skip_locked=True)
        .filter(queue=queue, assignee__isnull=True, status__in=[S.SUBMITTED, S.IN_REVIEW])
        .order_by("created_at", "id")
        .first()
    )
    if report is None:
        return None
    assign(report, to=by, by=by)
    if report.status == S.SUBMITTED:
        move(report, S.IN_REVIEW, by=by)
    return report


@transaction.atomic
def assign(report: Report, *, to: AbstractBaseUser | None, by: AbstractBaseUser) -> ReportEvent:
    lock(report)
    if report.status in CLOSED_STATUSES:
        raise IllegalMove(report, report.status)
    previous = report.assignee_id
    report.assignee = to
    report.save(update_fields=["assignee", "updated_at", *touched_by_staff(report, by)])
    return record_event(
        report,
        ReportEvent.Kind.ASSIGNED,
        by=by,
        data={"from": previous, "to": to.pk if to else None, "to_name": to.get_username() if to else ""},
    )


def approve(
    report: Report,
    *,
    by: AbstractBaseUser,
    note: str = "",
    template: ResponseTemplate | None = None,
    missing: str = "",
) -> ReportEvent:
    with transaction.atomic():
        lock(report)
        check_move(report, S.APPROVED)
        report.case_number = case_numbers.for_approval(report)
        data = staff_messages.event_data(template, missing)
        event = move(report, S.APPROVED, by=by, note=note, data=data, extra_fields=("case_number",))
        notifications.notify(report, "report-approved", event=event)
    return event


def request_info(
    report: Report,
    *,
    by: AbstractBaseUser,
    message: str = "",
    template: ResponseTemplate | None = None,
    missing: str = "",
) -> ReportEvent:
    if not message.strip() and template is None:
        raise NotAllowed(_("Say what you need from the resident, or pick a prepared message."))
    with transaction.atomic():
        report.info_due_at = timezone.now() + timedelta(days=report.report_type.info_window_days)
        report.info_reminder_sent_at = None
        event = move(
            report,
            S.NEEDS_INFO,
            by=by,
            note=message,
            data=staff_messages.event_data(template, missing),
            extra_fields=("info_due_at", "info_reminder_sent_at"),
        )
        notifications.notify(report, "info-requested", event=event)
    return event


def receive_reply(report: Report, *, text: str, evidence: list[Evidence]) -> ReportEvent:
    """The resident answered through the status link: back to the queue, marked as updated."""
    with transaction.atomic():
        report.resident_updated_at = timezone.now()
        report.info_due_at = None
        event = move(
            report,
            S.IN_REVIEW,
            by=None,
            note=text,
            data={"evidence": [str(item.public_id) for item in evidence]},
            extra_fields=("resident_updated_at", "info_due_at"),
            kind=ReportEvent.Kind.RESIDENT_REPLY,
        )
        Evidence.objects.bulk_create(evidence)
    return event


def remind_about_info(report: Report) -> ReportEvent | None:
    with transaction.atomic():
        lock(report)
        if report.status != S.NEEDS_INFO or report.info_reminder_sent_at:
            return None
        report.info_reminder_sent_at = timezone.now()
        report.save(update_fields=["info_reminder_sent_at", "updated_at"])
        event = record_event(report, ReportEvent.Kind.REMINDER, by=None, is_public=True)
        notifications.notify(report, "info-reminder", event=event)
    return event


def close_unanswered(report: Report) -> ReportEvent:
    with transaction.atomic():
        event = move(
            # No note: the page and the email word the reason in the resident's language.
            report,
            S.CLOSED,
            by=None,
            data={"reason": "no-reply"},
        )
        notifications.notify(report, "report-closed-no-reply", event=event)
    return event


def reject(
    report: Report,
    *,
    by: AbstractBaseUser,
    reason: RejectionReason,
    note: str = "",
    template: ResponseTemplate | None = None,
    missing: str = "",
) -> ReportEvent:
    with transaction.atomic():
        data = {"reason": reason.code, **staff_messages.event_data(template, missing)}
        event = move(report, S.REJECTED, by=by, note=note, data=data)
        notifications.notify(report, "report-rejected", event=event, extra={"reason": reason.code})
    return event


def refer_to_police(
    report: Report,
    *,
    by: AbstractBaseUser,
    reason: ReferralReason,
    note: str = "",
    template: ResponseTemplate | None = None,
    missing: str = "",
) -> ReportEvent:
    with transaction.atomic():
        data = {"reason": reason.code, **staff_messages.event_data(template, missing)}
        event = move(report, S.REFERRED, by=by, note=note, data=data)
        notifications.notify(report, "report-referred", event=event, extra={"reason": reason.code})
    return event


def mark_duplicate(report: Report, *, by: AbstractBaseUser, original: Report) -> ReportEvent:
    if original.pk == report.pk:
        raise NotAllowed(_("A report cannot be a duplicate of itself."))
    report.duplicate_of = original
    return move(
        report,
        S.DUPLICATE,
        by=by,
        data={"original": original.tracking_number},
        extra_fields=("duplicate_of",),
    )


def close(
    report: Report,
    *,
    by: AbstractBaseUser,
    note: str = "",
    template: ResponseTemplate | None = None,
    missing: str = "",
) -> ReportEvent:
    return move(report, S.CLOSED, by=by, note=note, data=staff_messages.event_data(template, missing))


@transaction.atomic
def move_to_queue(report: Report, *, by: AbstractBaseUser, queue: Queue, note: str = "") -> ReportEvent:
    lock(report)
    if report.status in CLOSED_STATUSES:
        raise IllegalMove(report, report.status)
    if queue.pk == report.queue_id:
        raise NotAllowed(_("The report is already in that queue."))
    previous = report.queue
    report.queue, report.assignee = queue, None
    report.save(update_fields=["queue", "assignee", "updated_at", *touched_by_staff(report, by)])
    event = record_event(
        report, ReportEvent.Kind.MOVED, by=by, note=note, data={"from": previous.code, "to": queue.code}
    )
    return event


def add_note(report: Report, *, by: AbstractBaseUser, text: str) -> ReportEvent:
    return record_event(report, ReportEvent.Kind.NOTE, by=by, note=text)


@transaction.atomic
def add_me_too(report: Report, *, channel: str, language: str, email: str = "") -> MeToo:
    """Someone else saw the same parking problem: counted on the report instead of filed again."""
    lock(report)
    if report.status not in ACTIVE_TICKET:
        raise NotAllowed(_("That report is already closed. Please report the problem again."))
    me_too = MeToo.objects.create(report=report, channel=channel, language=language, contact_email=email)
    record_event(report, ReportEvent.Kind.ME_TOO, by=None, is_public=True, data={"channel": channel})
    return me_too


# --- Parking tickets (Traffic Control) -----------------------------------------------------------------


def dispatch(
    report: Report, *, by: AbstractBaseUser | None, unit: str, data: dict | None = None
) -> ReportEvent:
    report.enforcement_unit = unit
    return move(
        report, S.DISPATCHED, by=by, data={"unit": unit, **(data or {})}, extra_fields=("enforcement_unit",)
    )


def arrive(report: Report, *, by: AbstractBaseUser | None, data: dict | None = None) -> ReportEvent:
    return move(report, S.ON_SCENE, by=by, data=data)


def resolve(
    report: Report, *, by: AbstractBaseUser | None, outcome: str, note: str = "", data: dict | None = None
) -> ReportEvent:
    with transaction.atomic():
        report.outcome = outcome
        report.closed_too_fast, report.closed_unseen = closure_flags(report)
        event = move(
            report,
            S.RESOLVED,
            by=by,
            note=note,
            data={"outcome": outcome, **(data or {})},
            extra_fields=("outcome", "closed_too_fast", "closed_unseen"),
        )
        notifications.notify(report, "parking-resolved", event=event)
        notifications.queue_me_too_emails(report, event)
    return event


def closure_flags(report: Report) -> tuple[bool, bool]:
    """(too fast, unseen) for a ticket being resolved now: resolved within TRAFFIC_FAST_CLOSURE_MINUTES
    of its last dispatch, and never on scene. A ticket resolved without a dispatch is unseen only."""
    moves = report.events.filter(kind=ReportEvent.Kind.STATUS_CHANGED)
    if report.reopened_at:  # "still there": only what happened since counts for this closure
        moves = moves.filter(created_at__gte=report.reopened_at)
    dispatched = (
        moves.filter(to_status=S.DISPATCHED).order_by("-created_at").values_list("created_at", flat=True)
    )
    on_scene = moves.filter(to_status=S.ON_SCENE).exists()
    last_dispatch = dispatched.first()
    fast = timedelta(minutes=settings.TRAFFIC_FAST_CLOSURE_MINUTES)
    too_fast = last_dispatch is not None and timezone.now() - last_dispatch < fast
    return too_fast, not on_scene


STILL_THERE_HOURS = 24  # how long after a parking ticket is resolved the resident may say it is not


def can_say_still_there(report: Report, *, now: datetime | None = None) -> bool:
    """A parking ticket resolved less than STILL_THERE_HOURS ago, and never reopened before."""
    now = now or timezone.now()
    return (
        report.is_parking
        and report.status == S.RESOLVED
        and report.reopened_at is None
        and report.closed_at is not None
        and now - report.closed_at < timedelta(hours=STILL_THERE_HOURS)
    )


@transaction.atomic
def reopen_still_there(report: Report) -> ReportEvent:
    """The resident says the vehicle is still there: the ticket is Traffic Control's work again, once.

    The one move outside ALLOWED_MOVES (a resolved report is closed in the table, and stays closed for
    every other way in); routing.still_there hands the ticket off again in the same transaction."""
    lock(report)
    report.refresh_from_db(fields=["reopened_at", "closed_at"])
    if not can_say_still_there(report):
        raise NotAllowed(_("This report can no longer be reopened."))
    outcome = report.outcome
    report.status, report.reopened_at, report.closed_at = S.SUBMITTED, timezone.now(), None
    report.outcome, report.enforcement_unit = "", ""
    report.save(
        update_fields=["status", "reopened_at", "closed_at", "outcome", "enforcement_unit", "updated_at"]
    )
    event = record_event(
        report,
        ReportEvent.Kind.STILL_THERE,
        by=None,
        is_public=True,
        data={"outcome": outcome},
        from_status=S.RESOLVED,
        to_status=S.SUBMITTED,
    )
    status_changed.send(sender=Report, report=report, event=event)
    return event


def link_parking_duplicate(report: Report, original: Report) -> ReportEvent:
    """A second report of a problem Traffic Control already has: linked, not dispatched again."""
    report.duplicate_of = original
    return move(
        report,
        S.DUPLICATE,
        by=None,
        data={"original": original.tracking_number, "reason": "already-handled"},
        extra_fields=("duplicate_of",),
    )


# --- Reads worth recording ------------------------------------------------------------------------


def record_view(report: Report, *, by: AbstractBaseUser) -> None:
    """Staff opened the report: clears the "updated" mark and leaves a line in the access log."""
    now = timezone.now()
    Report.objects.filter(pk=report.pk).update(staff_seen_at=now)
    report.staff_seen_at = now
    record_event(report, ReportEvent.Kind.VIEWED, by=by)


def record_evidence_access(evidence: Evidence, *, by: AbstractBaseUser, action: str) -> None:
    record_event(
        evidence.report,
        ReportEvent.Kind.EVIDENCE_VIEWED,
        by=by,
        data={"evidence": str(evidence.public_id), "name": evidence.original_name, "action": action},
    )


# --- Beat jobs -------------------------------------------------------------------------------------------


def due_info_requests() -> tuple[list[Report], list[Report]]:
    """(reports whose reminder is due, reports whose window has closed)."""
    now = timezone.now()
    waiting = Report.objects.filter(status=S.NEEDS_INFO, info_due_at__isnull=False).select_related(
        "report_type"
    )
    expired = [r for r in waiting if r.info_due_at <= now]
    remind = [
        r
        for r in waiting
        if r.info_due_at > now
        and not r.info_reminder_sent_at
        and r.info_due_at - timedelta(days=r.report_type.info_reminder_days) <= now
    ]
    return remind, expired
