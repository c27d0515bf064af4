"""Every status a report can have, the table of allowed moves, and which statuses are still open.

Imports nothing of ours, so models (for choices and partial indexes), reads and the workflow can all
take these from one place.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Status(models.TextChoices):
    SUBMITTED = "submitted", _("Received")
    IN_REVIEW = "in_review", _("In review")
    NEEDS_INFO = "needs_info", _("More information needed")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Not accepted")
    REFERRED = "referred", _("Referred to police")
    DUPLICATE = "duplicate", _("Duplicate")
    DISPATCHED = "dispatched", _("Enforcement dispatched")
    ON_SCENE = "on_scene", _("Enforcement on scene")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")
    # The resident took it back before a report taker started on it (reports/resident_changes.py).
    WITHDRAWN = "withdrawn", _("Withdrawn")


S = Status

ALLOWED_MOVES: dict[str, frozenset[str]] = {
    S.SUBMITTED: frozenset(
        {
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
            S.WITHDRAWN,
        }
    ),
    S.IN_REVIEW: frozenset(
        {S.SUBMITTED, S.NEEDS_INFO, S.APPROVED, S.REJECTED, S.REFERRED, S.DUPLICATE, S.CLOSED}
    ),
    S.NEEDS_INFO: frozenset({S.IN_REVIEW, S.APPROVED, S.REJECTED, S.REFERRED, S.DUPLICATE, S.CLOSED}),
    S.DISPATCHED: frozenset({S.ON_SCENE, S.RESOLVED}),
    S.ON_SCENE: frozenset({S.RESOLVED}),
    S.APPROVED: frozenset(),
    S.REJECTED: frozenset(),
    S.REFERRED: frozenset(),
    S.DUPLICATE: frozenset(),
    S.RESOLVED: frozenset(),
    S.CLOSED: frozenset(),
    S.WITHDRAWN: frozenset(),
}

# In the table's order, which is also the order the queue page's partial indexes were built with.
OPEN_STATUSES: tuple[str, ...] = tuple(status.value for status, moves in ALLOWED_MOVES.items() if moves)
CLOSED_STATUSES: tuple[str, ...] = tuple(status.value for status, moves in ALLOWED_MOVES.items() if not moves)

# A parking ticket Traffic Control still has to act on.
ACTIVE_TICKET: tuple[str, ...] = (S.SUBMITTED.value, S.DISPATCHED.value, S.ON_SCENE.value)
