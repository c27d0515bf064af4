"""The reports app's models, one module per concern; import them from here."""

from .audit import AppendOnly, ReportEvent, ReportEventQuerySet
from .catalog import (
    Question,
    QuestionChoice,
    Queue,
    Reason,
    ReferralReason,
    RejectionReason,
    ReportSubtype,
    ReportType,
    ServiceArea,
)
from .draft import Draft
from .operations import RetentionPurge, WorkerHeartbeat
from .outbox import OutboxMessage
from .report import (
    TRACKING_ALPHABET,
    CaseNumberCounter,
    Channel,
    Evidence,
    Outcome,
    Report,
    StatusLink,
    StolenItem,
    hash_token,
    new_tracking_number,
)

__all__ = [
    "TRACKING_ALPHABET",
    "AppendOnly",
    "CaseNumberCounter",
    "Channel",
    "Draft",
    "Evidence",
    "OutboxMessage",
    "Outcome",
    "Question",
    "QuestionChoice",
    "Queue",
    "Reason",
    "ReferralReason",
    "RejectionReason",
    "Report",
    "ReportEvent",
    "ReportEventQuerySet",
    "ReportSubtype",
    "ReportType",
    "RetentionPurge",
    "ServiceArea",
    "StatusLink",
    "StolenItem",
    "WorkerHeartbeat",
    "hash_token",
    "new_tracking_number",
]
