"""The append-only audit trail, which is also the timeline staff and residents read."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..statuses import Status
from .report import Report


class AppendOnly(Exception):
    pass


class ReportEventQuerySet(models.QuerySet):
    def delete(self):
        raise AppendOnly("The audit trail is append-only.")

    def purge_for_retention(self) -> int:
        """The one way events leave the table: with their report, once its retention period is over."""
        deleted, _ = models.QuerySet.delete(self)
        return deleted

    def update(self, **kwargs):
        raise AppendOnly("The audit trail is append-only.")


class ReportEvent(models.Model):
    """The append-only audit trail, and also the timeline staff and residents read."""

    class Kind(models.TextChoices):
        FILED = "filed", _("Report filed")
        STATUS_CHANGED = "status_changed", _("Status changed")
        NOTE = "note", _("Internal note")
        MESSAGE = "message", _("Message to the resident")
        RESIDENT_REPLY = "resident_reply", _("Resident replied")
        ASSIGNED = "assigned", _("Assigned")
        MOVED = "moved", _("Moved to another queue")
        EVIDENCE_VIEWED = "evidence_viewed", _("Original evidence viewed")
        VIEWED = "viewed", _("Report opened")
        REMINDER = "reminder", _("Reminder sent")
        HANDED_OFF = "handed_off", _("Handed off to Traffic Control")
        ME_TOO = "me_too", _("Someone else reported the same problem")
        ESCALATED = "escalated", _("Not dispatched in time: escalated")
        STILL_THERE = "still_there", _("The resident says the vehicle is still there")
        EDITED = "edited", _("The resident changed the report")
        MORE_INFO = "more_info", _("The resident sent more information")
        UPLOAD_LINK = "upload_link", _("Upload link sent")
        SUPPLEMENT = "supplement", _("A supplemental report was filed")

    report = models.ForeignKey(Report, on_delete=models.PROTECT, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    from_status = models.CharField(max_length=20, blank=True, choices=Status.choices)
    to_status = models.CharField(max_length=20, blank=True, choices=Status.choices)
    note = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)
    # Shown on the resident's status page; internal notes and evidence views are not.
    is_public = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    objects = ReportEventQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.report_id} {self.kind} {self.created_at:%Y-%m-%d %H:%M}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise AppendOnly("The audit trail is append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnly("The audit trail is append-only.")
