"""Dead letters for supervisors: outbox work that failed for good or keeps failing, and "retry now"."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from reports import access, outbox, queries
from reports.models import OutboxMessage
from traffic import queries as traffic_queries

supervisors_only = access.staff_required(access.can_supervise)

# A page, not an archive: the oldest failures beyond this are counted, not listed.
LIST_SIZE = 100


@require_GET
@supervisors_only
def delivery_list(request):
    dead = queries.failed_messages(OutboxMessage.State.DEAD)
    failing = queries.failing_messages()
    sections = [
        {
            "slug": "dead",
            "heading": _("Failed for good"),
            "intro": "",
            "rows": queries.with_endpoints(list(dead[:LIST_SIZE])),
            "total": dead.count(),
            "empty": _("No dead letters."),
        },
        {
            "slug": "failing",
            "heading": _("Failed, still being retried"),
            "intro": _(
                "These are tried again on their own, with longer and longer pauses: hand-offs for "
                "%(handoff)s hours, emails for %(email)s hours after they were queued."
            )
            % {"handoff": settings.TRAFFIC_RETRY_HOURS, "email": settings.OUTBOX_EMAIL_RETRY_HOURS},
            "rows": queries.with_endpoints(list(failing[:LIST_SIZE])),
            "total": failing.count(),
            "empty": _("Nothing is failing right now."),
        },
    ]
    return render(
        request,
        "reports/staff/deliveries.html",
        {
            "sections": sections,
            "list_size": LIST_SIZE,
            "disabled_endpoints": traffic_queries.disabled_endpoints(),
        },
    )


@require_POST
@supervisors_only
def retry(request, message_id):
    message = queries.outbox_message(message_id)
    if message is None:
        raise Http404
    if message.state == OutboxMessage.State.DONE:
        # Retrying a delivered message would send it again.
        messages.info(
            request, _("Message %(id)s was already delivered; nothing to retry.") % {"id": message.pk}
        )
    else:
        outbox.retry_now(message)
        messages.success(
            request,
            _("Message %(id)s will be tried again now. Reload this page in a minute to see how it went.")
            % {"id": message.pk},
        )
    return redirect("staff-deliveries")


urlpatterns = [
    path("", delivery_list, name="staff-deliveries"),
    path("<int:message_id>/retry/", retry, name="staff-delivery-retry"),
]
