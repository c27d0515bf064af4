"""The reports app's models, one module per concern; import them from here."""

from .audit import AppendOnly, ReportEvent, ReportEventQuerySet
from .catalog import (
    Disposition,
    Holiday,
    LanguageLine,
    Question,
    QuestionChoice,
    Queue,
    Reason,
    ReferralReason,
    RejectionReason,
    ReportSubtype,
    ReportType,
    ResponseTemplate,
    ServiceArea,
)
from .draft import Draft, DraftUpload
from .follow_up import FollowUp, FollowUpOptOut
from .funnel import FunnelEvent, FunnelStep, StopReason
from .issued_copy import IssuedCopy, new_verification_code, printed_code, stored_code
from .me_too import MeToo
from .operations import RetentionPurge, WorkerHeartbeat
from .outbox import OutboxMessage
from .report import (
    TRACKING_ALPHABET,
    CaseNumberCounter,
    Channel,
    Evidence,
    Report,
    StatusLink,
    StolenItem,
    UpdatesBy,
    hash_token,
    new_tracking_number,
)
from .sms import PhoneCode, SmsOptOut
from .upload_link import UploadLink

__all__ = [
    "TRACKING_ALPHABET",
    "UpdatesBy",
    "AppendOnly",
    "CaseNumberCounter",
    "Channel",
    "Draft",
    "Disposition",
    "DraftUpload",
    "Evidence",
    "FollowUp",
    "FollowUpOptOut",
    "MeToo",
    "FunnelEvent",
    "FunnelStep",
    "Holiday",
    "IssuedCopy",
    "LanguageLine",
    "OutboxMessage",
    "PhoneCode",
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
    "ResponseTemplate",
    "RetentionPurge",
    "ServiceArea",
    "SmsOptOut",
    "StatusLink",
    "StopReason",
    "StolenItem",
    "UploadLink",
    "WorkerHeartbeat",
    "hash_token",
    "new_tracking_number",
    "new_verification_code",
    "printed_code",
    "stored_code",
]
