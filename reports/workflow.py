"""Every status a report can move to, and from where.

One function per transition; each checks the table, saves with update_fields and writes one
ReportEvent in the same transaction. Anything not in the table raises IllegalMove, which views turn
into a message.
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils.translation import gettext as _

from .models import ReportEvent, Status

S = Status

ALLOWED_MOVES: dict[str, set[str]] = {
    S.SUBMITTED: {
        S.IN_REVIEW,
        S.NEEDS_INFO,
        S.APPROVED,
        S.REJECTED,
        S.REFERRED,
        S.DUPLICATE,
        S.CLOSED,
        S.DISPATCHED,
        S.ON_SCENE,
        S.RESOLVED,
    },
    S.IN_REVIEW: {S.SUBMITTED, S.NEEDS_INFO, S.APPROVED, S.REJECTED, S.REFERRED, S.DUPLICATE, S.CLOSED},
    S.NEEDS_INFO: {S.IN_REVIEW, S.APPROVED, S.REJECTED, S.REFERRED, S.DUPLICATE, S.CLOSED},
    S.DISPATCHED: {S.ON_SCENE, S.RESOLVED},
    S.ON_SCENE: {S.RESOLVED},
    S.APPROVED: set(),
    S.REJECTED: set(),
    S.REFERRED: set(),
    S.DUPLICATE: set(),
    S.RESOLVED: set(),
    S.CLOSED: set(),
}

OPEN_STATUSES = frozenset(status for status, moves in ALLOWED_MOVES.items() if moves)


class IllegalMove(Exception):
    def __init__(self, report, to_status: str):
        self.report, self.to_status = report, to_status
        super().__init__(
            _("A report that is “%(current)s” cannot become “%(target)s”.")
            % {"current": Status(report.status).label, "target": Status(to_status).label}
        )


def check_move(report, to_status: str) -> None:
    if to_status not in ALLOWED_MOVES[report.status]:
        raise IllegalMove(report, to_status)


def record_event(
    report,
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


@transaction.atomic
def move(
    report,
    to_status: str,
    *,
    by: AbstractBaseUser | None,
    note: str = "",
    data: dict | None = None,
    is_public: bool = True,
    extra_fields: tuple[str, ...] = (),
) -> ReportEvent:
    """The one place a status changes: check the table, save, write the event."""
    check_move(report, to_status)
    from_status = report.status
    report.status = to_status
    report.save(update_fields=["status", "updated_at", *extra_fields])
    return record_event(
        report,
        ReportEvent.Kind.STATUS_CHANGED,
        by=by,
        note=note,
        data=data,
        is_public=is_public,
        from_status=from_status,
        to_status=to_status,
    )
