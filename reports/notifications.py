"""Messages to residents: queued through the outbox, built and sent by a worker.

Each email is a template triplet (emails/<name>-subject.txt, -body.txt, -body.html), rendered in the
language the resident used, with a freshly minted status link.
"""

from __future__ import annotations

import smtplib

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from . import outbox
from .models import OutboxMessage, ReferralReason, RejectionReason, Report, ReportEvent, StatusLink


def status_url(token: str) -> str:
    return settings.SITE_URL + reverse("report-status", args=[token])


def queue_email(
    report: Report, template: str, *, event: ReportEvent | None = None, extra: dict | None = None
) -> None:
    """Queue one email to the resident; the same template for the same event is never queued twice."""
    if not report.contact_email:
        return
    occasion = str(event.pk) if event else ""
    outbox.enqueue(
        OutboxMessage.Kind.EMAIL,
        report=report,
        dedupe_key=f"email:{template}:{report.pk}:{occasion}",
        payload={"template": template, "event": event.pk if event else None, **(extra or {})},
    )


def reason_for(template: str, code: str | None):
    model = {"report-rejected": RejectionReason, "report-referred": ReferralReason}.get(template)
    return model.objects.filter(code=code).first() if model and code else None


def approved_pdf(report: Report) -> tuple[str, bytes, str]:
    from .pdf import approved_report_pdf

    return f"report-{report.case_number}.pdf", approved_report_pdf(report), "application/pdf"


# Emails that carry a file: insurers ask for the approved report.
ATTACHMENTS = {"report-approved": approved_pdf}


def render_email(report: Report, template: str, context: dict) -> tuple[str, str, str]:
    with translation.override(report.language):
        subject = render_to_string(f"emails/{template}-subject.txt", context)
        text = render_to_string(f"emails/{template}-body.txt", context)
        html = render_to_string(f"emails/{template}-body.html", context)
    return " ".join(subject.split()), text, html


def send_outbox_email(message: OutboxMessage) -> None:
    report = message.report
    template = message.payload["template"]
    event_id = message.payload.get("event")
    context = {
        "report": report,
        "payload": message.payload,
        "event": ReportEvent.objects.filter(pk=event_id).first() if event_id else None,
        "reason": reason_for(template, message.payload.get("reason")),
        "status_url": status_url(StatusLink.issue(report)),
        "CITY_NAME": settings.CITY_NAME,
        "PHONE_EMERGENCY": settings.PHONE_EMERGENCY,
        "PHONE_POLICE_NON_EMERGENCY": settings.PHONE_POLICE_NON_EMERGENCY,
        "PHONE_311": settings.PHONE_311,
    }
    subject, text, html = render_email(report, template, context)
    email = EmailMultiAlternatives(subject, text, to=[report.contact_email])
    email.attach_alternative(html, "text/html")
    if template in ATTACHMENTS:
        with translation.override(report.language):
            email.attach(*ATTACHMENTS[template](report))
    try:
        email.send()
    except smtplib.SMTPRecipientsRefused as exc:
        raise outbox.GiveUp(f"recipient refused: {exc.recipients}") from exc
    except (smtplib.SMTPException, OSError) as exc:
        raise outbox.RetryLater(f"{type(exc).__name__}: {exc}") from exc
