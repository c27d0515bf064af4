"""A report and what belongs to it: its items, its evidence, its status links, its case number."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from decimal import Decimal

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .. import evidence as evidence_files
from ..evidence import evidence_storage
from ..statuses import OPEN_STATUSES, Status
from .catalog import Disposition, Queue, ReportSubtype, ReportType


class Channel(models.TextChoices):
    WEB = "web", _("Web")
    PHONE = "phone", _("Phone")
    WALK_IN = "walk_in", _("Walk-in")
    API = "api", _("API")


class UpdatesBy(models.TextChoices):
    EMAIL = "email", _("Email")
    TEXT = "text", _("Text message")
    BOTH = "both", _("Email and text message")


TRACKING_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"  # no 0/O, 1/I/L or U: easy to read aloud


def new_tracking_number() -> str:
    chars = "".join(secrets.choice(TRACKING_ALPHABET) for _ in range(8))
    return f"{chars[:4]}-{chars[4:]}"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class Report(models.Model):
    tracking_number = models.CharField(max_length=9, unique=True, default=new_tracking_number)
    case_number = models.CharField(max_length=20, unique=True, null=True, blank=True)
    report_type = models.ForeignKey(ReportType, on_delete=models.PROTECT, related_name="reports")
    subtype = models.ForeignKey(ReportSubtype, on_delete=models.PROTECT, related_name="reports")
    queue = models.ForeignKey(Queue, on_delete=models.PROTECT, related_name="reports")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.SUBMITTED)
    channel = models.CharField(max_length=10, choices=Channel.choices, default=Channel.WEB)
    language = models.CharField(max_length=10, default="en")

    eligibility = models.JSONField(default=dict)
    answers = models.JSONField(default=dict, blank=True, encoder=DjangoJSONEncoder)
    occurred_from = models.DateTimeField()
    occurred_to = models.DateTimeField(null=True, blank=True)
    address = models.CharField(max_length=200)
    location_detail = models.CharField(max_length=200, blank=True)
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    description = models.TextField(blank=True)

    damaged_property = models.CharField(max_length=300, blank=True)
    estimated_cost = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    vehicle_plate = models.CharField(max_length=12, blank=True)
    vehicle_state = models.CharField(max_length=2, blank=True)
    vehicle_make = models.CharField(max_length=50, blank=True)
    vehicle_colour = models.CharField(max_length=30, blank=True)

    contact_name = models.CharField(max_length=150, blank=True)
    contact_email = models.EmailField(blank=True)
    contact_phone = models.CharField(max_length=30, blank=True)
    # How the resident chose to hear from us. Texts go only to a number confirmed with a code, and the
    # consent wording they saw (in their language) is kept with the moment they agreed.
    updates_by = models.CharField(max_length=5, choices=UpdatesBy.choices, default=UpdatesBy.EMAIL)
    sms_consent_at = models.DateTimeField(null=True, blank=True)
    sms_consent_text = models.CharField(max_length=300, blank=True)

    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_reports",
    )
    duplicate_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # A supplemental report: more items, a receipt or a serial number found after the original was
    # approved (reports/supplements.py). Reviewed like any report; approved, it is numbered under the
    # original's case number ("MP26-000123-S1") and the original's PDF is issued again with it.
    supplement_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="supplements"
    )
    # Parking: who Traffic Control sent, and what they found.
    enforcement_unit = models.CharField(max_length=60, blank=True)
    outcome = models.CharField(max_length=40, blank=True)  # a Disposition's code
    # Closures supervisors look at again: resolved within TRAFFIC_FAST_CLOSURE_MINUTES of the dispatch,
    # or without ever being on scene (workflow.resolve).
    closed_too_fast = models.BooleanField(default=False)
    closed_unseen = models.BooleanField(default=False)
    # Not dispatched within its subtype's dispatch target: top of the board, supervisors told once.
    escalated_at = models.DateTimeField(null=True, blank=True)
    # The resident said the vehicle was still there after it was resolved: reopened, once.
    reopened_at = models.DateTimeField(null=True, blank=True)
    sla_due_at = models.DateTimeField()
    # For the queue's "updated" mark: the resident added something since staff last looked.
    resident_updated_at = models.DateTimeField(null=True, blank=True)
    staff_seen_at = models.DateTimeField(null=True, blank=True)
    # For the supervisors' figures: time to first action and to close.
    first_action_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    # A request for more information: the answer is due by then, with one reminder before.
    info_due_at = models.DateTimeField(null=True, blank=True)
    info_reminder_sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [
            # The staff queue page: one queue's open reports, oldest first.
            models.Index(fields=["queue", "status", "created_at"], name="report_queue_page"),
            # Parking duplicates: an open report for the same plate in the last day.
            models.Index(fields=["vehicle_plate", "created_at"], name="report_plate_recent"),
            # queries.queue_page, open reports oldest or newest first: the keyset walks (created_at, id)
            # in one queue. Partial, so the closed reports of past months are not scanned past to reach
            # the open ones.
            models.Index(
                fields=["queue", "created_at", "id"],
                condition=models.Q(status__in=list(OPEN_STATUSES)),
                name="report_queue_open_created",
            ),
            # queries.queue_page, open reports by SLA due time: the keyset walks (sla_due_at, id).
            models.Index(
                fields=["queue", "sla_due_at", "id"],
                condition=models.Q(status__in=list(OPEN_STATUSES)),
                name="report_queue_open_sla",
            ),
            # queries.queue_page with every status ("all"), and the CSV export of it.
            models.Index(fields=["queue", "created_at", "id"], name="report_queue_created"),
            # A text from a resident's number (HELP's language, STILL): that number's latest reports.
            models.Index(fields=["contact_phone", "created_at"], name="report_contact_phone"),
        ]
        permissions = [
            ("work_report_queue", "Can work the theft and damage queue"),
            ("file_for_caller", "Can file a report on behalf of a caller"),
            ("work_traffic_queue", "Can work parking tickets for Traffic Control"),
            ("supervise_queues", "Can see every queue, reassign and see the figures"),
        ]

    def __str__(self) -> str:
        return self.tracking_number

    @property
    def wants_texts(self) -> bool:
        return self.updates_by in (UpdatesBy.TEXT, UpdatesBy.BOTH) and bool(self.sms_consent_at)

    @property
    def wants_email(self) -> bool:
        return self.updates_by in (UpdatesBy.EMAIL, UpdatesBy.BOTH)

    @property
    def updated_by_resident(self) -> bool:
        updated, seen = self.resident_updated_at, self.staff_seen_at
        return bool(updated and (not seen or updated > seen))

    @property
    def outcome_label(self) -> str:
        """What Traffic Control found, in the active language (the Disposition's label)."""
        if not self.outcome:
            return ""
        disposition = Disposition.objects.filter(code=self.outcome).first()
        return disposition.label if disposition else self.outcome

    @property
    def is_parking(self) -> bool:
        return self.report_type.form == ReportType.Form.PARKING

    @property
    def items_total(self) -> Decimal:
        return sum((item.value or Decimal(0) for item in self.items.all()), Decimal(0))


class CaseNumberCounter(models.Model):
    """The official case-number series: one counter a year, taken under a row lock."""

    year = models.PositiveIntegerField(primary_key=True)
    last = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.year}: {self.last}"


class StatusLink(models.Model):
    """A private link to a report's status page. Only the token's SHA-256 is stored.

    Each email mints its own link at send time, so no plaintext token waits in the outbox.
    """

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="status_links")
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"status link for {self.report_id}"

    @classmethod
    def issue(cls, report: Report) -> str:
        token = secrets.token_urlsafe(24)  # 192 bits
        cls.objects.create(report=report, token_hash=hash_token(token))
        return token

    @classmethod
    def find_report(cls, token: str) -> Report | None:
        link = cls.objects.select_related("report").filter(token_hash=hash_token(token)).first()
        return link.report if link else None


class StolenItem(models.Model):
    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="items")
    description = models.CharField(max_length=200)
    brand_model = models.CharField(max_length=100, blank=True)
    serial_number = models.CharField(max_length=100, blank=True)
    value = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    order = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["order", "id"]

    def __str__(self) -> str:
        return self.description


class EvidenceQuerySet(models.QuerySet):
    def without_field_photos(self) -> EvidenceQuerySet:
        """All but Traffic Control's photos from the field: a street scene, with bystanders and other cars
        in it, for staff only. Never on the resident's pages or PDF, nor sent in a hand-off."""
        return self.exclude(source=Evidence.Source.FIELD)


class Evidence(models.Model):
    class Source(models.TextChoices):
        FILING = "filing", _("Filed with the report")
        REPLY = "reply", _("Added by the resident later")
        STAFF = "staff", _("Added by staff")
        FIELD = "field", _("Taken by Traffic Control at closure")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="evidence")
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.FILING)
    # The original is kept byte for byte (chain of custody); pages only ever show the derived copies.
    # Read the files through reports.evidence, which looks the storage up at call time.
    original = models.FileField(storage=evidence_storage, max_length=200)
    original_name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=50)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    derived = models.FileField(storage=evidence_storage, max_length=200, blank=True)
    thumbnail = models.FileField(storage=evidence_storage, max_length=200, blank=True)
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    # A photo filed without its copies has them made in the worker a moment later (submission.py); one
    # damaged past its header never gets them, and pages say so instead of waiting for them.
    copy_failed = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    objects = EvidenceQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name_plural = "evidence"

    def __str__(self) -> str:
        return f"{self.original_name} ({self.sha256[:12]}…)"

    @property
    def is_image(self) -> bool:
        """A photo whose copies are there to show."""
        return bool(self.derived)

    @property
    def copy_pending(self) -> bool:
        """A photo whose copies the worker is still making."""
        pending = evidence_files.has_copies_to_make(self.content_type, self.derived.name)
        return pending and not self.copy_failed

    @property
    def is_unreadable_photo(self) -> bool:
        return self.copy_failed and not self.derived
