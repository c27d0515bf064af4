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
from shapely.geometry import Point, shape

from .evidence import evidence_storage


class AppendOnly(Exception):
    pass


# --- The service catalog (all of it data, loaded from seeds/ and edited in the admin) ----------


class Queue(models.Model):
    class Kind(models.TextChoices):
        REPORT_TAKERS = "report_takers", _("Civilian report takers")
        TRAFFIC_CONTROL = "traffic_control", _("Traffic Control")

    code = models.SlugField(unique=True)
    name = models.CharField(max_length=100)
    description = models.TextField(blank=True)
    kind = models.CharField(max_length=20, choices=Kind.choices)

    def __str__(self) -> str:
        return self.name


class ReportType(models.Model):
    class Form(models.TextChoices):
        # Which built-in detail section the filing form shows; everything else is configuration.
        THEFT = "theft", _("Theft: a list of items")
        DAMAGE = "damage", _("Damage: what was damaged and the cost")
        PARKING = "parking", _("Parking: the vehicle")

    code = models.SlugField(unique=True)
    name = models.CharField(max_length=100)
    description = models.TextField(blank=True)
    form = models.CharField(max_length=10, choices=Form.choices)
    queue = models.ForeignKey(Queue, on_delete=models.PROTECT, related_name="report_types")
    sla_hours = models.PositiveIntegerField(default=72)
    value_cap = models.DecimalField(
        max_digits=10,
        decimal_places=2,
        null=True,
        blank=True,
        help_text="Above this total value the police take the report instead.",
    )
    email_required = models.BooleanField(default=True)
    info_window_days = models.PositiveIntegerField(
        default=15, help_text="Days the resident has to answer a request for more information."
    )
    info_reminder_days = models.PositiveIntegerField(
        default=2, help_text="Remind the resident this many days before that window closes."
    )
    asks_suspect_known = models.BooleanField(default=True)
    asks_excluded_items = models.BooleanField(default=False)
    is_public = models.BooleanField(
        default=False, help_text="May its reports be listed publicly (Open311)? Never for theft or damage."
    )
    order = models.PositiveIntegerField(default=0)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["order", "code"]

    def __str__(self) -> str:
        return self.name


class ReportSubtype(models.Model):
    report_type = models.ForeignKey(ReportType, on_delete=models.PROTECT, related_name="subtypes")
    code = models.SlugField(unique=True, help_text="Also the Open311 service_code.")
    name = models.CharField(max_length=100)
    description = models.TextField(blank=True)
    keywords = models.CharField(max_length=200, blank=True)
    order = models.PositiveIntegerField(default=0)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["order", "code"]

    def __str__(self) -> str:
        return self.name


class Question(models.Model):
    class Datatype(models.TextChoices):
        # The Open311 attribute datatypes.
        STRING = "string", _("Short text")
        NUMBER = "number", _("Number")
        DATETIME = "datetime", _("Date and time")
        TEXT = "text", _("Long text")
        SINGLEVALUELIST = "singlevaluelist", _("One choice")
        MULTIVALUELIST = "multivaluelist", _("Several choices")

    report_type = models.ForeignKey(ReportType, on_delete=models.CASCADE, related_name="questions")
    subtypes = models.ManyToManyField(
        ReportSubtype, blank=True, help_text="Ask only for these subtypes; none means all of them."
    )
    code = models.SlugField()
    label = models.CharField(max_length=200)
    help_text = models.CharField(max_length=300, blank=True)
    datatype = models.CharField(max_length=20, choices=Datatype.choices, default=Datatype.STRING)
    required = models.BooleanField(default=False)
    order = models.PositiveIntegerField(default=0)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["order", "id"]
        constraints = [models.UniqueConstraint(fields=["report_type", "code"], name="question_code_per_type")]

    def __str__(self) -> str:
        return f"{self.report_type.code}: {self.label}"


class QuestionChoice(models.Model):
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="choices")
    key = models.SlugField()
    name = models.CharField(max_length=200)
    order = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["order", "id"]
        constraints = [models.UniqueConstraint(fields=["question", "key"], name="choice_key_per_question")]

    def __str__(self) -> str:
        return self.name


class Reason(models.Model):
    """A reason staff pick from a list; the resident is told `explanation` in plain words."""

    code = models.SlugField(unique=True)
    label = models.CharField(max_length=150)
    explanation = models.TextField(help_text="What the resident is told, in plain words.")
    order = models.PositiveIntegerField(default=0)
    active = models.BooleanField(default=True)

    class Meta:
        abstract = True
        ordering = ["order", "code"]

    def __str__(self) -> str:
        return self.label


class RejectionReason(Reason):
    pass


class ReferralReason(Reason):
    pass


class ServiceArea(models.Model):
    """The city boundary a map pin must fall inside (GeoJSON Polygon or MultiPolygon, lon/lat)."""

    name = models.CharField(max_length=100, unique=True)
    boundary = models.JSONField()
    active = models.BooleanField(default=True)

    def __str__(self) -> str:
        return self.name

    def contains(self, lat: float, lng: float) -> bool:
        return shape(self.boundary).covers(Point(lng, lat))


# --- Reports -------------------------------------------------------------------------------------------


class Channel(models.TextChoices):
    WEB = "web", _("Web")
    PHONE = "phone", _("Phone")
    WALK_IN = "walk_in", _("Walk-in")
    API = "api", _("API")


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


class Outcome(models.TextChoices):
    """What parking enforcement found; the resident is told in plain words."""

    CITATION_ISSUED = "citation_issued", _("A citation was issued")
    VEHICLE_TOWED = "vehicle_towed", _("The vehicle was towed")
    WARNING = "warning", _("The driver was given a warning")
    GONE_ON_ARRIVAL = "gone_on_arrival", _("The vehicle was gone when enforcement arrived")
    UNFOUNDED = "unfounded", _("No violation was found")
    DUPLICATE = "duplicate", _("It was already being handled under another report")


# The open statuses, for the queue page's partial indexes. models.py cannot import workflow.py (it
# builds on these models), so the list is written here; a test keeps it equal to OPEN_STATUSES.
INDEXED_OPEN_STATUSES = [
    Status.SUBMITTED,
    Status.IN_REVIEW,
    Status.NEEDS_INFO,
    Status.DISPATCHED,
    Status.ON_SCENE,
]


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
    # Parking: who Traffic Control sent, and what they found.
    enforcement_unit = models.CharField(max_length=60, blank=True)
    outcome = models.CharField(max_length=20, choices=Outcome.choices, blank=True)
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
            # the open ones. The statuses are workflow.OPEN_STATUSES; a test keeps the two equal.
            models.Index(
                fields=["queue", "created_at", "id"],
                condition=models.Q(status__in=INDEXED_OPEN_STATUSES),
                name="report_queue_open_created",
            ),
            # queries.queue_page, open reports by SLA due time: the keyset walks (sla_due_at, id).
            models.Index(
                fields=["queue", "sla_due_at", "id"],
                condition=models.Q(status__in=INDEXED_OPEN_STATUSES),
                name="report_queue_open_sla",
            ),
            # queries.queue_page with every status ("all"), and the CSV export of it.
            models.Index(fields=["queue", "created_at", "id"], name="report_queue_created"),
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
    def updated_by_resident(self) -> bool:
        updated, seen = self.resident_updated_at, self.staff_seen_at
        return bool(updated and (not seen or updated > seen))

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


class Evidence(models.Model):
    class Source(models.TextChoices):
        FILING = "filing", _("Filed with the report")
        REPLY = "reply", _("Added by the resident later")
        STAFF = "staff", _("Added by staff")

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
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name_plural = "evidence"

    def __str__(self) -> str:
        return f"{self.original_name} ({self.sha256[:12]}…)"

    @property
    def is_image(self) -> bool:
        return bool(self.derived)


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


# --- Work for Celery -------------------------------------------------------------------------------


class OutboxMessage(models.Model):
    """A piece of work written in the same transaction as the change that caused it.

    The broker only wakes a worker up; this row is the record. A periodic sweeper re-sends rows that
    are still pending, and a worker claims a row before doing its work, so a task that runs twice
    does the work once.
    """

    class Kind(models.TextChoices):
        EMAIL = "email", _("Email to the resident")
        TRAFFIC_HANDOFF = "traffic_handoff", _("Hand-off to Traffic Control")

    class State(models.TextChoices):
        PENDING = "pending", _("Pending")
        DONE = "done", _("Done")
        DEAD = "dead", _("Failed for good")

    kind = models.CharField(max_length=20, choices=Kind.choices)
    report = models.ForeignKey(Report, null=True, blank=True, on_delete=models.CASCADE, related_name="outbox")
    # One row per intended effect: "email:filed:<report id>" cannot be queued twice.
    dedupe_key = models.CharField(max_length=120, unique=True)
    payload = models.JSONField(default=dict)
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    available_at = models.DateTimeField(default=timezone.now)
    claimed_until = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            # The sweeper: pending rows that are due.
            models.Index(fields=["state", "available_at"], name="outbox_due"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.dedupe_key} ({self.state})"


class Draft(models.Model):
    """A report being filed: the answers so far, kept between the steps of the form.

    It belongs to one browser session (the key lives in the session) and is purged after
    DRAFT_TTL_HOURS. Once submitted it points at its report, so a resent submit finds it.
    """

    key = models.CharField(max_length=64, unique=True, default=secrets.token_urlsafe)
    channel = models.CharField(max_length=10, choices=Channel.choices, default=Channel.WEB)
    language = models.CharField(max_length=10, default="en")
    report_type = models.ForeignKey(ReportType, null=True, on_delete=models.CASCADE, related_name="+")
    subtype = models.ForeignKey(ReportSubtype, null=True, on_delete=models.CASCADE, related_name="+")
    eligibility = models.JSONField(default=dict)
    details = models.JSONField(default=dict)
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    report = models.OneToOneField(Report, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # Kept only so the confirmation page can show the link again after a resent submit; purged
    # with the draft.
    status_token = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"draft {self.pk} ({self.report_type_id or '-'})"


# --- Traffic Control ---------------------------------------------------------------------------------


class TrafficEndpoint(models.Model):
    """An external dispatch system that receives parking hand-offs (when TRAFFIC_HANDOFF=webhook)."""

    name = models.CharField(max_length=100, unique=True)
    url = models.URLField(max_length=500)
    # One whsec_ secret per line. Every line signs outgoing deliveries and may sign incoming updates,
    # so a key is rotated by adding the new one, then removing the old one once the receiver switched.
    secrets = models.TextField(help_text="One whsec_… secret per line; all of them sign, for key rotation.")
    active = models.BooleanField(default=True)
    disabled_reason = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.name

    def secret_list(self) -> list[str]:
        return [line.strip() for line in self.secrets.splitlines() if line.strip()]


class DeliveryAttempt(models.Model):
    """One try at delivering an outbox message over HTTP: when, the answer, how long it took."""

    message = models.ForeignKey(OutboxMessage, on_delete=models.CASCADE, related_name="attempts_made")
    endpoint = models.ForeignKey(TrafficEndpoint, null=True, on_delete=models.SET_NULL, related_name="+")
    webhook_id = models.CharField(max_length=100)
    started_at = models.DateTimeField(default=timezone.now)
    status_code = models.PositiveIntegerField(null=True, blank=True)
    latency_ms = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["started_at", "id"]

    def __str__(self) -> str:
        return f"{self.webhook_id} {self.status_code or self.error[:40]}"


class InboundUpdate(models.Model):
    """A status update Traffic Control posted to us; its webhook-id makes a replay change nothing."""

    webhook_id = models.CharField(max_length=100, unique=True)
    report = models.ForeignKey(Report, null=True, on_delete=models.SET_NULL, related_name="+")
    endpoint = models.ForeignKey(TrafficEndpoint, null=True, on_delete=models.SET_NULL, related_name="+")
    payload = models.JSONField()
    received_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.webhook_id


# --- Operations -----------------------------------------------------------------------------------------


class WorkerHeartbeat(models.Model):
    """Written by a worker on a beat schedule; /healthz reads it to know work is being done."""

    name = models.CharField(max_length=50, primary_key=True)
    seen_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.name} at {self.seen_at:%Y-%m-%d %H:%M:%S}"


class RetentionPurge(models.Model):
    """What a retention run removed: counts, never content."""

    ran_at = models.DateTimeField(default=timezone.now)
    cutoff = models.DateTimeField()
    reports = models.PositiveIntegerField(default=0)
    evidence_files = models.PositiveIntegerField(default=0)
    events = models.PositiveIntegerField(default=0)
    drafts = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-ran_at"]

    def __str__(self) -> str:
        return f"{self.ran_at:%Y-%m-%d}: {self.reports} reports before {self.cutoff:%Y-%m-%d}"
