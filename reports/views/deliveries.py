"""Dead letters for supervisors: outbox work that failed for good or keeps failing, and "retry now"."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.db.models import Prefetch, QuerySet
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from reports import access, outbox
from reports.models import DeliveryAttempt, OutboxMessage, TrafficEndpoint

supervisors_only = access.staff_required(access.can_supervise)

# A page, not an archive: the oldest failures beyond this are counted, not listed.
LIST_SIZE = 100


def failed_messages(state: str) -> QuerySet[OutboxMessage]:
    attempts = DeliveryAttempt.objects.select_related("endpoint").order_by("started_at", "id")
    return (
        OutboxMessage.objects.filter(state=state)
        .select_related("report")
        .prefetch_related(Prefetch("attempts_made", queryset=attempts))
        .order_by("-created_at", "-id")
    )


def with_endpoints(rows: list[OutboxMessage]) -> list[OutboxMessage]:
    """Each hand-off with the endpoint it is for: retrying one whose endpoint is disabled cannot work."""
    ids = {row.payload.get("endpoint") for row in rows if row.kind == OutboxMessage.Kind.TRAFFIC_HANDOFF}
    endpoints = TrafficEndpoint.objects.in_bulk([i for i in ids if isinstance(i, int)])
    for row in rows:
        endpoint_id = row.payload.get("endpoint")
        row.endpoint = endpoints.get(endpoint_id) if isinstance(endpoint_id, int) else None
    return rows


@require_GET
@supervisors_only
def delivery_list(request):
    dead = failed_messages(OutboxMessage.State.DEAD)
    # Still pending, but failed at least once: mark_failed leaves last_error set, mark_done clears it.
    failing = failed_messages(OutboxMessage.State.PENDING).filter(attempts__gte=1).exclude(last_error="")
    sections = [
        {
            "slug": "dead",
            "heading": _("Failed for good"),
            "intro": "",
            "rows": with_endpoints(list(dead[:LIST_SIZE])),
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
            "rows": with_endpoints(list(failing[:LIST_SIZE])),
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
            "disabled_endpoints": TrafficEndpoint.objects.filter(active=False).order_by("name"),
        },
    )


@require_POST
@supervisors_only
def retry(request, message_id):
    message = get_object_or_404(OutboxMessage, pk=message_id)
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
