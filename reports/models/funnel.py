"""The filing funnel: one row per step a filing attempt reached, counted on our own server.

Nothing here identifies anyone: no address, no session key, no user, no report. A journey is a random
id that lives in the resident's session for one filing attempt and means nothing outside this table.
"""

from __future__ import annotations

import uuid

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from .report import Channel


class FunnelStep(models.TextChoices):
    STARTED = "started", _("Started")
    STOPPED = "stopped", _("Stopped at the safety check")
    DETAILS_DONE = "details_done", _("Details done")
    REVIEW_REACHED = "review_reached", _("Review reached")
    # A step reached, not the date a report was filed (which "Filed" labels on the status page).
    FILED = "filed", pgettext_lazy("funnel step", "Filed")
    JOINED = "joined", _("Added themselves to a report already made")


class StopReason(models.TextChoices):
    """The eligibility stops, by the codes of reports/stops.py."""

    EMERGENCY = "emergency", _("Someone in danger or hurt (911)")
    IN_PROGRESS = "in-progress", _("Happening now (911)")
    SUSPECT_KNOWN = "suspect-known", _("Suspect known (police)")
    OUTSIDE_CITY = "outside-city", _("Outside the city (police where it happened)")
    EXCLUDED_ITEMS = "excluded-items", _("Firearms, vehicles or plates (police)")
    OVER_VALUE_CAP = "over-value-cap", _("Over the value cap (police)")


class FunnelEvent(models.Model):
    journey = models.UUIDField(default=uuid.uuid4)
    step = models.CharField(max_length=20, choices=FunnelStep.choices)
    reason = models.CharField(max_length=20, choices=StopReason.choices, blank=True)
    # The type's code, not a key: the figures outlive a retired catalog row.
    report_type = models.CharField(max_length=50, blank=True)
    channel = models.CharField(max_length=10, choices=Channel.choices, default=Channel.WEB)
    language = models.CharField(max_length=10)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            # A step recorded twice for one journey (a reload, a resent form) counts once: the second
            # INSERT is ignored. Its index also serves funnel_figures' fetch of a journey's events.
            models.UniqueConstraint(fields=["journey", "step"], name="funnel_step_once_per_journey"),
        ]
        indexes = [
            # funnel.funnel_figures: the journeys started in the period (step = 'started', created_at
            # between the period's bounds).
            models.Index(fields=["step", "created_at"], name="funnel_started_in_period"),
        ]

    def __str__(self) -> str:
        return f"{self.journey} {self.step}"
