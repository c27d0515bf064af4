"""Named reads for pages: each fetches what its page shows in a fixed number of queries."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone

from traffic.queries import delivery_attempts, endpoints_by_id, metres_between

from .access import QUEUE_PERMISSION, SUPERVISE
from .catalog import kinds as catalog_kinds
from .models import (
    DraftUpload,
    Evidence,
    OutboxMessage,
    Queue,
    ReferralReason,
    RejectionReason,
    Report,
    ReportEvent,
    ReportSubtype,
    ReportType,
    SmsOptOut,
)
from .statuses import ACTIVE_TICKET, OPEN_STATUSES


def catalog() -> QuerySet[ReportType]:
    return ReportType.objects.filter(active=True).prefetch_related(
        Prefetch("subtypes", queryset=ReportSubtype.objects.filter(active=True))
    )


def filable_subtype(code: str) -> ReportSubtype | None:
    """A subtype residents may file now: active, of an active type."""
    return (
        ReportSubtype.objects.select_related("report_type")
        .filter(code=code, active=True, report_type__active=True)
        .first()
    )


SAME_PROBLEM_RADIUS_METRES = 50
SAME_PROBLEM_WINDOW = timedelta(hours=24)


def same_problem_nearby(subtype: ReportSubtype, details: dict) -> list[Report]:
    """Open parking reports of the same kind from the last day within 50 m of the resident's pin (or at
    the same address when there is no pin): what they may be about to report again."""
    candidates = Report.objects.filter(
        subtype=subtype,
        status__in=ACTIVE_TICKET,
        created_at__gte=timezone.now() - SAME_PROBLEM_WINDOW,
    ).order_by("-created_at")[:200]
    lat, lng = first_float(details.get("latitude")), first_float(details.get("longitude"))
    if lat is not None and lng is not None:
        return [
            report
            for report in candidates
            if report.latitude is not None
            and metres_between(lat, lng, report.latitude, report.longitude) <= SAME_PROBLEM_RADIUS_METRES
        ]
    address = " ".join((details.get("address") or [""])[0].lower().split())
    return [
        report for report in candidates if address and " ".join(report.address.lower().split()) == address
    ]


def first_float(values: list[str] | None) -> float | None:
    try:
        return float(values[0]) if values and values[0] else None
    except ValueError:
        return None


def draft_upload(draft, public_id) -> DraftUpload | None:
    return DraftUpload.objects.filter(draft=draft, public_id=public_id).first()


def evidence_of(report: Report, public_id) -> Evidence | None:
    return Evidence.objects.filter(report=report, public_id=public_id).first()


def resident_evidence(report: Report) -> QuerySet[Evidence]:
    """The files the resident's status page shows and serves: not Traffic Control's photos from the field."""
    return report.evidence.without_field_photos()


def evidence_position(item: Evidence) -> int:
    """Where the file comes among its report's evidence, counting from 1, in the order it was added."""
    earlier = Evidence.objects.filter(report_id=item.report_id)
    return (
        earlier.filter(
            Q(created_at__lt=item.created_at) | Q(created_at=item.created_at, pk__lt=item.pk)
        ).count()
        + 1
    )


def outbox_message(message_id: int) -> OutboxMessage | None:
    return OutboxMessage.objects.filter(pk=message_id).first()


def public_timeline(report: Report) -> QuerySet[ReportEvent]:
    return report.events.filter(is_public=True).order_by("created_at", "id")


# --- The staff queue page ------------------------------------------------------------------------
# Keyset pagination: a page is "the next N rows after the last one seen" in (sort key, id) order, so
# a page deep in the table costs what the first one does (an index range scan, never an OFFSET).

# sort name -> (the column the keyset walks, newest first?)
QUEUE_SORTS: dict[str, tuple[str, bool]] = {
    "oldest": ("created_at", False),
    "newest": ("created_at", True),
    "sla": ("sla_due_at", False),
}
# What a row of the page or of its CSV export shows; the rest of a report stays in the database.
QUEUE_ROW_RELATED = ("report_type", "subtype", "assignee")
QUEUE_ROW_FIELDS = (
    *QUEUE_ROW_RELATED,
    "tracking_number",
    "case_number",
    "status",
    "channel",
    "address",
    "created_at",
    "sla_due_at",
    "resident_updated_at",
    "staff_seen_at",
)
OPEN, ALL = "open", "all"
ME, UNASSIGNED, ANYONE = "me", "unassigned", "anyone"


class InvalidCursor(ValueError):
    """A page link whose cursor was cut short, edited by hand or made for another sort."""


@dataclass(frozen=True)
class QueueFilters:
    sort: str = "oldest"
    report_type: ReportType | None = None
    subtype: ReportSubtype | None = None
    status: str = OPEN  # OPEN, ALL or one Status value
    assigned: str = ANYONE
    created_from: date | None = None
    created_to: date | None = None
    search: str = ""


@dataclass(frozen=True, slots=True)
class QueueRow:
    """What a row of the queue page shows, read as plain values: building a page of model instances (a
    report, its type, its subtype and its assignee for each row) cost more than the query that read them.
    The type and subtype come from the catalog each process keeps (reports/catalog.py)."""

    pk: int
    tracking_number: str
    case_number: str | None
    status: str
    created_at: datetime
    sla_due_at: datetime
    resident_updated_at: datetime | None
    staff_seen_at: datetime | None
    report_type: ReportType
    subtype: ReportSubtype
    assignee_name: str  # "" when nobody has it

    updated_by_resident = Report.updated_by_resident


QUEUE_ROW_VALUES = (
    "pk",
    "tracking_number",
    "case_number",
    "status",
    "created_at",
    "sla_due_at",
    "resident_updated_at",
    "staff_seen_at",
    "report_type_id",
    "subtype_id",
    "assignee__first_name",
    "assignee__last_name",
    "assignee__username",
)


def queue_rows(reports: QuerySet[Report]) -> list[QueueRow]:
    types, subtypes = catalog_kinds()
    return [
        QueueRow(
            *values[:8],
            report_type=types[values[8]],
            subtype=subtypes[values[9]],
            # Null when nobody has it: the join found no account.
            assignee_name=f"{first or ''} {last or ''}".strip() or username or "",
        )
        for *values, first, last, username in reports.values_list(*QUEUE_ROW_VALUES)
    ]


@dataclass(frozen=True)
class QueuePage:
    rows: list[QueueRow]
    next_cursor: str | None

    @property
    def has_more(self) -> bool:
        return self.next_cursor is not None


def queue_reports(queue: Queue, filters: QueueFilters, *, user: AbstractBaseUser) -> QuerySet[Report]:
    """The queue's reports that pass the filters, in the chosen order, with what a row shows."""
    reports = queue_filtered(queue, filters, user=user)
    return reports.select_related(*QUEUE_ROW_RELATED).only(*QUEUE_ROW_FIELDS)


def queue_filtered(queue: Queue, filters: QueueFilters, *, user: AbstractBaseUser) -> QuerySet[Report]:
    """The queue's reports that pass the filters, in the chosen order."""
    field, newest_first = QUEUE_SORTS[filters.sort]
    reports = Report.objects.filter(queue=queue, **status_lookup(filters.status))
    if filters.report_type:
        reports = reports.filter(report_type=filters.report_type)
    if filters.subtype:
        reports = reports.filter(subtype=filters.subtype)
    if filters.assigned == ME:
        reports = reports.filter(assignee=user)
    elif filters.assigned == UNASSIGNED:
        reports = reports.filter(assignee__isnull=True)
    if filters.created_from:
        reports = reports.filter(created_at__gte=start_of_day(filters.created_from))
    if filters.created_to:
        reports = reports.filter(created_at__lt=start_of_day(filters.created_to + timedelta(days=1)))
    if filters.search.strip():
        reports = reports.filter(search_lookup(filters.search))
    order = [f"-{field}", "-id"] if newest_first else [field, "id"]
    return reports.order_by(*order)


def queue_page(
    queue: Queue,
    filters: QueueFilters,
    *,
    user: AbstractBaseUser,
    cursor: str | None = None,
    page_size: int = 50,
) -> QueuePage:
    """One page of the queue, in one query whatever its size or depth. Raises InvalidCursor."""
    field, newest_first = QUEUE_SORTS[filters.sort]
    reports = queue_filtered(queue, filters, user=user)
    if cursor:
        value, last_id = decode_cursor(cursor, filters.sort)
        reports = reports.filter(after_row(field, value, last_id, newest_first=newest_first))
    rows = queue_rows(reports[: page_size + 1])  # one more than shown tells whether another page follows
    if len(rows) <= page_size:
        return QueuePage(rows, None)
    rows = rows[:page_size]
    return QueuePage(rows, encode_cursor(filters.sort, getattr(rows[-1], field), rows[-1].pk))


def status_lookup(status: str) -> dict:
    if status == ALL:
        return {}
    if status == OPEN:  # the condition of Report's partial indexes, so PostgreSQL can use them
        return {"status__in": list(OPEN_STATUSES)}
    return {"status": status}


def search_lookup(text: str) -> Q:
    """Tracking number, case number or plate exactly (as staff read them); name, email, address in part."""
    text = text.strip()
    compact = "".join(ch for ch in text.upper() if ch.isalnum())
    found = Q(contact_name__icontains=text) | Q(contact_email__icontains=text) | Q(address__icontains=text)
    found |= Q(case_number=text.upper())
    if compact:  # plates are stored as the filing form cleans them: upper-case letters and digits
        found |= Q(vehicle_plate=compact)
    if len(compact) == 8:
        found |= Q(tracking_number=f"{compact[:4]}-{compact[4:]}")
    return found


def start_of_day(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def after_row(field: str, value: datetime, last_id: int, *, newest_first: bool) -> Q:
    # (field, id) > (value, last_id), written so that the first term is a plain range on the index's
    # sort column (every database can seek on it) and the second only settles ties.
    if newest_first:
        return Q(**{f"{field}__lte": value}) & (Q(**{f"{field}__lt": value}) | Q(id__lt=last_id))
    return Q(**{f"{field}__gte": value}) & (Q(**{f"{field}__gt": value}) | Q(id__gt=last_id))


def encode_cursor(sort: str, value: datetime, last_id: int) -> str:
    raw = json.dumps([sort, value.isoformat(), last_id], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, sort: str) -> tuple[datetime, int]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        cursor_sort, value, last_id = json.loads(raw)
        moment = datetime.fromisoformat(value)
        if cursor_sort != sort or timezone.is_naive(moment) or not is_row_id(last_id):
            raise ValueError("not a cursor of this sort")
        return moment.astimezone(UTC), last_id
    except (ValueError, TypeError, OverflowError) as exc:  # bad base64 or JSON, wrong shape, not a time
        raise InvalidCursor(cursor) from exc


def is_row_id(value: object) -> bool:
    return type(value) is int and 0 < value < 2**63


def latest_info_request(report: Report) -> ReportEvent | None:
    """What staff last asked the resident, shown above the reply form."""
    return report.events.filter(to_status="needs_info").order_by("-created_at", "-id").first()


def reason_explanations() -> dict[str, str]:
    """Rejection and referral reasons by code: what the resident is told, in plain words."""
    reasons = [*RejectionReason.objects.all(), *ReferralReason.objects.all()]
    return {reason.code: reason.explanation for reason in reasons}


# --- Staff pages ---------------------------------------------------------------------------------------


def with_open_counts(queues: QuerySet[Queue]) -> QuerySet[Queue]:
    return queues.annotate(open_count=Count("reports", filter=Q(reports__status__in=OPEN_STATUSES)))


def staff_report_page() -> QuerySet[Report]:
    """Everything the staff report page shows, in a fixed number of queries."""
    return Report.objects.select_related(
        "report_type", "subtype", "queue", "assignee", "filed_by", "duplicate_of", "follow_up"
    ).prefetch_related(
        "items",
        "evidence",
        Prefetch("events", queryset=ReportEvent.objects.select_related("actor").order_by("created_at", "id")),
    )


def texts_stopped(report: Report) -> SmsOptOut | None:
    """The resident's STOP, when the number on the report replied it (and has not said START since)."""
    if not report.contact_phone:
        return None
    return SmsOptOut.objects.filter(phone=report.contact_phone, active=True).first()


def staff_for(queue: Queue) -> QuerySet:
    """Active people who may work the queue: the report's possible assignees."""
    codenames = [QUEUE_PERMISSION[queue.kind].split(".")[1], SUPERVISE.split(".")[1]]
    allowed = Q(groups__permissions__codename__in=codenames) | Q(user_permissions__codename__in=codenames)
    return get_user_model().objects.filter(allowed, is_active=True).distinct().order_by("username")


def failed_messages(state: str) -> QuerySet[OutboxMessage]:
    """Outbox work in `state`, newest first, each with its delivery attempts (for the dead letters)."""
    return (
        OutboxMessage.objects.filter(state=state)
        .select_related("report")
        .prefetch_related(Prefetch("attempts_made", queryset=delivery_attempts()))
        .order_by("-created_at", "-id")
    )


def failing_messages() -> QuerySet[OutboxMessage]:
    # Still pending, but failed at least once: mark_failed leaves last_error set, mark_done clears it.
    return failed_messages(OutboxMessage.State.PENDING).filter(attempts__gte=1).exclude(last_error="")


def with_endpoints(rows: list[OutboxMessage]) -> list[OutboxMessage]:
    """Each hand-off with the endpoint it is for: retrying one whose endpoint is disabled cannot work."""
    endpoints = endpoints_by_id(
        row.payload.get("endpoint") for row in rows if row.kind == OutboxMessage.Kind.TRAFFIC_HANDOFF
    )
    for row in rows:
        endpoint_id = row.payload.get("endpoint")
        row.endpoint = endpoints.get(endpoint_id) if isinstance(endpoint_id, int) else None
    return rows
