"""Messages to residents, and to supervisors (an escalated ticket, the daily digest): queued through the
outbox, built and sent by a worker.

Each email is a template triplet (emails/<name>-subject.txt, -body.txt, -body.html), rendered in the
language the resident used, with a freshly minted status link.
"""

from __future__ import annotations

import hashlib
import smtplib
from email.utils import parseaddr
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from . import access, outbox, staff_messages, texts
from .models import (
    Draft,
    MeToo,
    OutboxMessage,
    ReferralReason,
    RejectionReason,
    Report,
    ReportEvent,
    StatusLink,
)


def status_url(token: str) -> str:
    return settings.SITE_URL + reverse("report-status", args=[token])


FOLLOW_UP_TEMPLATE = "follow-up"  # reports/follow_ups.py queues it


def follow_up_urls(token: str) -> dict:
    """The follow-up email's links for this status link: the page with both questions (`page`) and one
    tap per answer (`easy.yes`, `satisfied.no`, ...)."""

    def url(name: str, *args: str) -> str:
        return settings.SITE_URL + reverse(name, args=[token, *args])

    return {
        "page": url("report-feedback"),
        **{
            question: {answer: url("report-feedback-answer", question, answer) for answer in ("yes", "no")}
            for question in ("easy", "satisfied")
        },
    }


def message_id(message: OutboxMessage) -> str:
    """The same on every attempt: email is sent at least once (a worker killed after the relay took the
    message sends it again), and a relay or mail client that sees this Message-ID twice knows it is one."""
    digest = hashlib.sha256(message.dedupe_key.encode()).hexdigest()[:12]
    sender = parseaddr(settings.DEFAULT_FROM_EMAIL)[1]
    domain = sender.rpartition("@")[2] or urlsplit(settings.SITE_URL).hostname
    return f"<outbox-{message.pk}.{digest}@{domain}>"


ME_TOO_TEMPLATE = "parking-resolved-me-too"


def notify(
    report: Report, template: str, *, event: ReportEvent | None = None, extra: dict | None = None
) -> None:
    """Tell the resident the way they chose: an email, a text (reports/texts.py), or both."""
    queue_email(report, template, event=event, extra=extra)
    texts.queue_text(report, template, event=event)


def queue_email(
    report: Report, template: str, *, event: ReportEvent | None = None, extra: dict | None = None
) -> None:
    """Queue one email to the resident; the same template for the same event is never queued twice."""
    # By email when the resident chose it, and also when texts cannot reach them (no confirmed number).
    if not report.contact_email or not (report.wants_email or not report.wants_texts):
        return
    occasion = str(event.pk) if event else ""
    outbox.enqueue(
        OutboxMessage.Kind.EMAIL,
        report=report,
        dedupe_key=f"email:{template}:{report.pk}:{occasion}",
        payload={"template": template, "event": event.pk if event else None, **(extra or {})},
    )


def queue_me_too_emails(report: Report, event: ReportEvent) -> None:
    """Everyone who said "me too" and left an email hears what Traffic Control found: the outcome only,
    in their own language, with no status link and nothing of the first reporter's."""
    for me_too in report.me_toos.exclude(contact_email=""):
        outbox.enqueue(
            OutboxMessage.Kind.EMAIL,
            report=report,
            dedupe_key=f"email:{ME_TOO_TEMPLATE}:{me_too.pk}:{event.pk}",
            payload={"template": ME_TOO_TEMPLATE, "event": event.pk, "me_too": me_too.pk},
        )


def send_me_too_email(message: OutboxMessage) -> None:
    me_too = MeToo.objects.filter(pk=message.payload["me_too"]).select_related("report").first()
    if me_too is None or not me_too.contact_email:
        raise outbox.GiveUp("the me-too was purged with its report")
    report = me_too.report
    context = {
        "report": report,
        "language": me_too.language,
        "PHONE_EMERGENCY": settings.PHONE_EMERGENCY,
        "CITY_NAME": settings.CITY_NAME,
    }
    with translation.override(me_too.language):
        subject = render_to_string(f"emails/{ME_TOO_TEMPLATE}-subject.txt", context)
        text = render_to_string(f"emails/{ME_TOO_TEMPLATE}-body.txt", context)
        html = render_to_string(f"emails/{ME_TOO_TEMPLATE}-body.html", context)
    headers = {"Message-ID": message_id(message)}
    subject = " ".join(subject.split())
    email = EmailMultiAlternatives(subject, text, to=[me_too.contact_email], headers=headers)
    email.attach_alternative(html, "text/html")
    deliver(email)


def reason_for(template: str, code: str | None):
    model = {"report-rejected": RejectionReason, "report-referred": ReferralReason}.get(template)
    return model.objects.filter(code=code).first() if model and code else None


def approved_pdf(report: Report) -> tuple[str, bytes, str]:
    from . import issued_copies

    # The issued copy, the same bytes the status link serves (issued now if this email is first).
    copy = issued_copies.case_copy(report)  # for a supplement, the case's copy issued again with it
    return f"report-{copy.report.case_number}.pdf", issued_copies.read_copy(copy), "application/pdf"


# Emails that carry a file: insurers ask for the approved report.
ATTACHMENTS = {"report-approved": approved_pdf}


def render_email(report: Report, template: str, context: dict) -> tuple[str, str, str]:
    with translation.override(report.language):
        subject = render_to_string(f"emails/{template}-subject.txt", context)
        text = render_to_string(f"emails/{template}-body.txt", context)
        html = render_to_string(f"emails/{template}-body.html", context)
    return " ".join(subject.split()), text, html


def send_outbox_email(message: OutboxMessage) -> None:
    if message.payload.get("draft"):
        send_resume_link(message)
        return
    if message.payload.get("me_too"):
        send_me_too_email(message)
        return
    if message.payload.get("staff"):
        send_supervisor_email(message)
        return
    report = message.report
    template = message.payload["template"]
    event_id = message.payload.get("event")
    event = ReportEvent.objects.filter(pk=event_id).select_related("report").first() if event_id else None
    context = {
        "report": report,
        "payload": message.payload,
        "event": event,
        "staff_message": staff_messages.for_resident(event, report.language),
        "reason": reason_for(template, message.payload.get("reason")),
        "CITY_NAME": settings.CITY_NAME,
        "PHONE_EMERGENCY": settings.PHONE_EMERGENCY,
        "PHONE_POLICE_NON_EMERGENCY": settings.PHONE_POLICE_NON_EMERGENCY,
        "PHONE_311": settings.PHONE_311,
    }
    token = StatusLink.issue(report)
    context["status_url"] = status_url(token)
    if template == FOLLOW_UP_TEMPLATE:
        context["follow_up_urls"] = follow_up_urls(token)
    if template == texts.UPLOAD_LINK_TEMPLATE:
        context.update(texts.upload_link_context(event_id))
    subject, text, html = render_email(report, template, context)
    email = EmailMultiAlternatives(
        subject, text, to=[report.contact_email], headers={"Message-ID": message_id(message)}
    )
    email.attach_alternative(html, "text/html")
    if template in ATTACHMENTS:
        with translation.override(report.language):
            email.attach(*ATTACHMENTS[template](report))
    deliver(email)


def deliver(email: EmailMultiAlternatives) -> None:
    try:
        email.send()
    except smtplib.SMTPRecipientsRefused as exc:
        raise outbox.GiveUp(f"recipient refused: {exc.recipients}") from exc
    except (smtplib.SMTPException, OSError) as exc:
        raise outbox.RetryLater(f"{type(exc).__name__}: {exc}") from exc


# --- Supervisors -----------------------------------------------------------------------------------------

DIGEST_TEMPLATE = "sla-digest"  # reports/digests.py queues it


def queue_supervisor_emails(report: Report, template: str, *, event: ReportEvent) -> None:
    """One email to each active supervisor with an address, once per event."""
    for user in access.supervisors().exclude(email=""):
        outbox.enqueue(
            OutboxMessage.Kind.EMAIL,
            report=report,
            dedupe_key=f"email:{template}:{event.pk}:staff:{user.pk}",
            payload={"template": template, "event": event.pk, "staff": user.pk},
        )


def send_supervisor_email(message: OutboxMessage) -> None:
    """An escalated ticket (with its report) or the daily digest (report ids in the payload)."""
    user = get_user_model().objects.filter(pk=message.payload["staff"], is_active=True).first()
    if user is None or not user.email:
        raise outbox.GiveUp("the supervisor's account is gone, inactive or without an address")
    template = message.payload["template"]
    context = {
        "site_url": settings.SITE_URL,
        "board_url": settings.SITE_URL + reverse("traffic-board"),
        "CITY_NAME": settings.CITY_NAME,
    }
    if template == DIGEST_TEMPLATE:
        context.update(digest_context(message.payload))
    else:
        if message.report is None:
            raise outbox.GiveUp("the report was purged")
        context["report"] = message.report
        context["report_url"] = settings.SITE_URL + reverse(
            "staff-report-detail", args=[message.report.tracking_number]
        )
    with translation.override(settings.LANGUAGE_CODE):  # staff work in the site's language
        subject = render_to_string(f"emails/{template}-subject.txt", context)
        text = render_to_string(f"emails/{template}-body.txt", context)
    email = EmailMultiAlternatives(
        " ".join(subject.split()), text, to=[user.email], headers={"Message-ID": message_id(message)}
    )
    deliver(email)


def digest_context(payload: dict) -> dict:
    """The digest's reports, read again by id (one that was purged since is left out), in its order."""
    wanted = [*payload["past"], *payload["near"], *payload["flagged"]]
    found = Report.objects.select_related("queue", "subtype").in_bulk(wanted)

    def reports(ids: list[int]) -> list[Report]:
        return [found[pk] for pk in ids if pk in found]

    return {
        "day": payload["day"],
        "past": reports(payload["past"]),
        "past_count": payload["past_count"],
        "near": reports(payload["near"]),
        "near_count": payload["near_count"],
        "flagged": reports(payload["flagged"]),
        "flagged_count": payload["flagged_count"],
        "figures_url": settings.SITE_URL + reverse("staff-flagged-closures"),
    }


# --- "Save and come back later" ------------------------------------------------------------------------


def queue_resume_link(draft: Draft, email: str) -> None:
    """Queue the link that reopens the draft; the token is minted when the email is sent, never stored."""
    draft.resume_email = email
    draft.save(update_fields=["resume_email", "updated_at"])
    outbox.enqueue_each_time(
        OutboxMessage.Kind.EMAIL,
        report=None,
        key_prefix=f"email:draft-resume:{draft.pk}:",
        payload={"template": "draft-resume", "draft": draft.pk},
    )


def send_resume_link(message: OutboxMessage) -> None:
    from . import drafts  # drafts builds on the outbox that calls this

    draft = Draft.objects.filter(pk=message.payload["draft"], report__isnull=True).first()
    if draft is None or not draft.resume_email:
        raise outbox.GiveUp("the draft was filed or purged before its link went out")
    context = {
        "draft": draft,
        "resume_url": settings.SITE_URL + reverse("report-resume", args=[drafts.new_resume_link(draft)]),
        "days": settings.DRAFT_TTL_HOURS // 24,
        "CITY_NAME": settings.CITY_NAME,
        "PHONE_EMERGENCY": settings.PHONE_EMERGENCY,
    }
    with translation.override(draft.language):
        subject = " ".join(render_to_string("emails/draft-resume-subject.txt", context).split())
        text = render_to_string("emails/draft-resume-body.txt", context)
        html = render_to_string("emails/draft-resume-body.html", context)
    email = EmailMultiAlternatives(
        subject, text, to=[draft.resume_email], headers={"Message-ID": message_id(message)}
    )
    email.attach_alternative(html, "text/html")
    deliver(email)
