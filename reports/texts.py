"""Text messages to residents: queued through the outbox with the change that causes them, sent by a worker.

Each text is one template (texts/<name>.txt) rendered in the resident's language, shaped to GSM-7 where
the language allows and kept to two segments: the tracking number and a freshly minted status link,
never the resident's details. Numbers that replied STOP get nothing (reports/models/sms.py).
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from . import outbox, sms
from .models import OutboxMessage, PhoneCode, Report, ReportEvent, SmsOptOut, StatusLink, UploadLink

log = logging.getLogger(__name__)

MAX_SEGMENTS = 2
# Every text about a report (texts/<name>.txt); texts/code.txt confirms a number before filing.
TEMPLATES = {
    "report-filed",
    "info-requested",
    "info-reminder",
    "report-closed-no-reply",
    "report-approved",
    "report-rejected",
    "report-referred",
    "parking-resolved",
    "status-link",
    "follow-up",
    "report-withdrawn",
    "upload-link",
}
UPLOAD_LINK_TEMPLATE = "upload-link"  # reports/upload_links.py sends it, by email and by text
STOP_WORDS = {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"}
START_WORDS = {"START", "YES", "UNSTOP", "OPTIN"}
STILL_THERE_WORD = "STILL"  # the parking-resolved text asks for it; the view reopens the ticket


def queue_text(report: Report, template: str, *, event: ReportEvent | None = None) -> None:
    """Queue one text to a resident who chose texts; the same template for the same event only once."""
    if not report.wants_texts or not report.contact_phone:
        return
    occasion = str(event.pk) if event else ""
    outbox.enqueue(
        OutboxMessage.Kind.SMS,
        report=report,
        dedupe_key=f"sms:{template}:{report.pk}:{occasion}",
        payload={"template": template, "event": event.pk if event else None},
    )


def queue_status_link(report: Report, phone: str, *, by: AbstractBaseUser) -> bool:
    """A 311 agent texts the caller their status link (the caller agreed on the call); False when the same
    text to the same number was queued in the last minute (a double click)."""
    recent = OutboxMessage.objects.filter(
        dedupe_key__startswith=f"sms:status-link:{report.pk}:",
        payload__to=phone,
        created_at__gte=timezone.now() - timedelta(minutes=1),
    )
    if recent.exists():
        return False
    outbox.enqueue_each_time(
        OutboxMessage.Kind.SMS,
        report=report,
        key_prefix=f"sms:status-link:{report.pk}:",
        payload={"template": "status-link", "to": phone, "by": by.pk},
    )
    return True


def queue_code(code: PhoneCode) -> None:
    """The confirmation code; the text is built from the code's nonce when sent, so no code is stored."""
    outbox.enqueue(
        OutboxMessage.Kind.SMS,
        report=None,
        dedupe_key=f"sms:code:{code.pk}",
        payload={"template": "code", "code": code.pk},
    )


def send_outbox_text(message: OutboxMessage) -> None:
    template = message.payload["template"]
    if template == "code":
        to, body = code_text(message)
    else:
        report = message.report
        if report is None:
            raise outbox.GiveUp("the report was purged before its text went out")
        to = message.payload.get("to") or report.contact_phone
        body = report_text(report, template, event_id=message.payload.get("event"))
    if SmsOptOut.stopped(to):
        raise outbox.GiveUp("the resident replied STOP")
    deliver(to, body)


def deliver(to: str, body: str) -> None:
    try:
        sms.send(to, body)
    except sms.SmsRefused as exc:
        if exc.opted_out:  # the provider knows of a STOP we missed: remember it
            record_reply(to, "STOP")
        raise outbox.GiveUp(str(exc)) from exc
    except sms.SmsFailed as exc:
        raise outbox.RetryLater(str(exc)) from exc


def code_text(message: OutboxMessage) -> tuple[str, str]:
    code = PhoneCode.objects.filter(pk=message.payload["code"]).select_related("draft").first()
    if code is None or code.confirmed_at or code.expires_at <= timezone.now():
        raise outbox.GiveUp("the code was used, expired or purged before its text went out")
    context = {"code": code.code, "minutes": settings.SMS_CODE_MINUTES, "CITY_NAME": settings.CITY_NAME}
    return code.phone, render("code", code.draft.language, context)


def upload_link_context(event_id: int | None) -> dict:
    """The one-time upload link an email or text carries; none once it is used or expired."""
    link = UploadLink.unused_for_event(event_id)
    if link is None:
        raise outbox.GiveUp("the upload link was used or expired before it went out")
    return {
        "upload_url": settings.SITE_URL + reverse("report-upload-link", args=[link.token]),
        "upload_expires_at": link.expires_at,
        "upload_days": round((link.expires_at - link.created_at).total_seconds() / 86400),
    }


def report_text(report: Report, template: str, *, event_id: int | None = None) -> str:
    token = StatusLink.issue(report)
    context = {
        "report": report,
        "status_url": settings.SITE_URL + reverse("report-status", args=[token]),
        "pdf_url": settings.SITE_URL + reverse("report-status-pdf", args=[token]),
        "feedback_url": settings.SITE_URL + reverse("report-feedback", args=[token]),
        "CITY_NAME": settings.CITY_NAME,
        "PHONE_311": settings.PHONE_311,
        "PHONE_POLICE_NON_EMERGENCY": settings.PHONE_POLICE_NON_EMERGENCY,
    }
    if template == UPLOAD_LINK_TEMPLATE:
        context.update(upload_link_context(event_id))
    # What staff wrote stays behind the link, in the resident's language: it may name the resident's
    # things ("the serial number of the Trek FX 3"), and it would not fit in two segments.
    return render(template, report.language, context)


def render(template: str, language: str, context: dict) -> str:
    with translation.override(language):
        text = render_to_string(f"texts/{template}.txt", context)
    return sms.to_gsm7(" ".join(text.split()))


# --- Replies: STOP, START, HELP ----------------------------------------------------------------------------


def keyword(body: str) -> str:
    words = body.strip().upper().split()
    return words[0].strip(".!") if words else ""


def record_reply(phone: str, word: str) -> None:
    with transaction.atomic():
        SmsOptOut.objects.update_or_create(
            phone=phone,
            defaults={"active": word in STOP_WORDS, "keyword": word, "changed_at": timezone.now()},
        )
    log.info("Text reply %s recorded", word)


def handle_reply(phone: str, body: str) -> str:
    """Honour a reply at once; what to answer (empty: nothing, as the carrier confirms STOP itself)."""
    word = keyword(body)
    language = latest_language(phone)
    with translation.override(language):
        if word in STOP_WORDS:
            record_reply(phone, word)
            return ""
        if word in START_WORDS:
            record_reply(phone, word)
            return sms.to_gsm7(
                _("%(city)s 311: texts about your reports will start again. Reply STOP to stop.")
                % {"city": settings.CITY_NAME}
            )
        return sms.to_gsm7(
            _(
                "%(city)s 311 report updates. Emergencies: call %(emergency)s. Questions: call %(phone)s. "
                "Reply STOP to stop."
            )
            % {"city": settings.CITY_NAME, "emergency": settings.PHONE_EMERGENCY, "phone": settings.PHONE_311}
        )


def still_there_reply(report: Report | None, phone: str, *, hours: int) -> str:
    """The answer to STILL: which report went back to Traffic Control, or why none did."""
    with translation.override(report.language if report else latest_language(phone)):
        if report is None:
            text = _(
                "%(city)s 311: none of your parking reports resolved in the last %(hours)d hours can be "
                "reopened. Questions: call %(phone)s."
            ) % {"city": settings.CITY_NAME, "hours": hours, "phone": settings.PHONE_311}
        else:
            text = _("%(city)s 311: thank you. Report %(number)s is back with Traffic Control.") % {
                "city": settings.CITY_NAME,
                "number": report.tracking_number,
            }
    return sms.to_gsm7(text)


def latest_language(phone: str) -> str:
    report = Report.objects.filter(contact_phone=phone).order_by("-created_at").only("language").first()
    return report.language if report else settings.LANGUAGE_CODE
