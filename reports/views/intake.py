"""Assisted intake (R1): a 311 agent files a report for a caller through the residents' own steps, and
can text the caller the report's status link."""

from django.contrib import messages
from django.shortcuts import redirect
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from reports import access, drafts, forms, texts, upload_links, workflow
from reports.models import SmsOptOut
from reports.views import filing_phone, filing_review, filing_steps
from reports.views.filing_flow import INTAKE


def agents_only(view):
    return access.staff_required(access.can_file_for_caller)(view)


@require_POST
def text_status_link(request, flow=INTAKE):
    draft = drafts.current(request.session, slot=flow.prefix)
    if draft is None or not draft.report_id:
        return redirect(flow.urls["start"])
    form = forms.TextLinkForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            messages.error(request, " ".join(errors))
    elif SmsOptOut.stopped(form.cleaned_data["phone"]):
        messages.error(request, _("That number replied STOP: it gets no texts until it replies START."))
    elif texts.queue_status_link(draft.report, form.cleaned_data["phone"], by=request.user):
        messages.success(request, _("The status link is on its way to the caller by text."))
    else:
        messages.info(request, _("That text was sent a moment ago; it is on its way."))
    return redirect(flow.urls["submitted"])


@require_POST
def send_upload_link(request, flow=INTAKE):
    """The caller has photos or receipts: a one-time link to add them, by the way they chose."""
    draft = drafts.current(request.session, slot=flow.prefix)
    if draft is None or not draft.report_id:
        return redirect(flow.urls["start"])
    try:
        upload_links.send(draft.report, by=request.user)
    except workflow.NotAllowed as refused:
        messages.error(request, str(refused))
    else:
        messages.success(request, _("The upload link is on its way to the caller."))
    return redirect(flow.urls["submitted"])


urlpatterns = [
    *filing_steps.step_urls(INTAKE, guard=agents_only),
    *filing_phone.step_urls(INTAKE, guard=agents_only),
    *filing_review.step_urls(INTAKE, guard=agents_only),
    path("submitted/text/", agents_only(text_status_link), {"flow": INTAKE}, name="intake-text-link"),
    path(
        "submitted/upload-link/", agents_only(send_upload_link), {"flow": INTAKE}, name="intake-upload-link"
    ),
]
