"""One-time upload links: a 311 agent who took a report by phone, or a report taker who wants a photo,
sends the resident a link that opens straight onto an upload page for that report and nothing else.

A link works once, for UPLOAD_LINK_DAYS days. It goes the way the resident chose (email, text or both,
the same link in each), with the token derived when the message is built, never stored.
"""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from . import evidence, notifications, resident_changes, workflow
from .evidence import StoredUpload
from .models import Report, ReportEvent, UploadLink
from .statuses import CLOSED_STATUSES

UPLOAD_LINK_DAYS = 3
TEMPLATE = "upload-link"


def reachable(report: Report) -> bool:
    """The resident gets our messages some way (notifications.notify's rules)."""
    return bool(report.contact_email) or (report.wants_texts and bool(report.contact_phone))


def send(report: Report, *, by: AbstractBaseUser) -> ReportEvent:
    with transaction.atomic():
        workflow.lock(report)
        if report.status in CLOSED_STATUSES:
            raise workflow.NotAllowed(_("This report is closed: there is nothing to add evidence to."))
        if not reachable(report):
            raise workflow.NotAllowed(
                _("The resident gave no email address and no number for texts, so a link cannot reach them.")
            )
        recent = report.upload_links.filter(created_at__gte=timezone.now() - timedelta(minutes=1))
        if recent.exists():
            raise workflow.NotAllowed(_("A link was sent a moment ago; it is on its way."))
        link = UploadLink.objects.create(
            report=report, created_by=by, expires_at=timezone.now() + timedelta(days=UPLOAD_LINK_DAYS)
        )
        event = workflow.record_event(report, ReportEvent.Kind.UPLOAD_LINK, by=by, data={"link": link.pk})
        notifications.notify(report, TEMPLATE, event=event)
    return event


class Unusable(Exception):
    """Used already, or expired: the page says which, in the resident's language."""


def check_usable(link: UploadLink) -> None:
    if link.used_at is not None:
        raise Unusable(_("This link has already been used. Each link works once."))
    if link.expires_at <= timezone.now():
        raise Unusable(
            _("This link has expired: links to add files work for %(days)d days.")
            % {"days": UPLOAD_LINK_DAYS}
        )


def use(link: UploadLink, uploads: list[StoredUpload]) -> ReportEvent:
    """Add the files to the report and spend the link, in one transaction: a second tap, or two at once,
    adds nothing. Raises Unusable or workflow.NotAllowed (the report closed since)."""
    try:
        with transaction.atomic():
            link = UploadLink.objects.select_for_update().select_related("report").get(pk=link.pk)
            check_usable(link)
            link.used_at = timezone.now()
            link.save(update_fields=["used_at"])
            return resident_changes.send_more(link.report, text="", uploads=uploads)
    except Unusable:
        evidence.discard(uploads)  # send_more removes them itself when it fails
        raise
