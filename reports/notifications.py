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
from .models import OutboxMessage, Report, StatusLink


def status_url(token: str) -> str:
    return settings.SITE_URL + reverse("report-status", args=[token])


def queue_email(report: Report, template: str, *, occasion: str = "", extra: dict | None = None) -> None:
    """Queue one email to the resident; the same template and occasion are never queued twice."""
    if not report.contact_email:
        return
    outbox.enqueue(
        OutboxMessage.Kind.EMAIL,
        report=report,
        dedupe_key=f"email:{template}:{report.pk}:{occasion}",
        payload={"template": template, **(extra or {})},
    )


def render_email(report: Report, template: str, context: dict) -> tuple[str, str, str]:
    with translation.override(report.language):
        subject = render_to_string(f"emails/{template}-subject.txt", context)
        text = render_to_string(f"emails/{template}-body.txt", context)
        html = render_to_string(f"emails/{template}-body.html", context)
    return " ".join(subject.split()), text, html


def send_outbox_email(message: OutboxMessage) -> None:
    report = message.report
    template = message.payload["template"]
    context = {
        "report": report,
        "payload": message.payload,
        "status_url": status_url(StatusLink.issue(report)),
        "CITY_NAME": settings.CITY_NAME,
        "PHONE_EMERGENCY": settings.PHONE_EMERGENCY,
        "PHONE_POLICE_NON_EMERGENCY": settings.PHONE_POLICE_NON_EMERGENCY,
        "PHONE_311": settings.PHONE_311,
    }
    subject, text, html = render_email(report, template, context)
    email = EmailMultiAlternatives(subject, text, to=[report.contact_email])
    email.attach_alternative(html, "text/html")
    try:
        email.send()
    except smtplib.SMTPRecipientsRefused as exc:
        raise outbox.GiveUp(f"recipient refused: {exc.recipients}") from exc
    except (smtplib.SMTPException, OSError) as exc:
        raise outbox.RetryLater(f"{type(exc).__name__}: {exc}") from exc
