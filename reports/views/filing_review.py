"""The end of filing: check your answers, add or remove files, send; the confirmation; and saving a report
to come back to it later (a resume link by email).
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.contrib import messages
from django.http import FileResponse, Http404
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods
from django_ratelimit.core import get_usage

from reports import display, drafts, evidence, forms, notifications, queries, sms, submission
from reports.confirmation import confirmation
from reports.models import Draft, FunnelStep, StatusLink

from .errors import too_many_requests
from .filing_flow import (
    RESIDENT,
    Flow,
    draft_in_progress,
    keep_session_for_drafts,
    page,
    step_limit,
    steps,
)
from .filing_steps import count_step, details_forms, forms_valid


def filing_limited(request, flow: Flow, *, count: bool) -> bool:
    """The per-address limit on filed reports (FILING_RATE): checked on every send, counted only when a
    report is filed, so a resident correcting mistakes is never told to wait."""
    if flow.staff:
        return False
    usage = get_usage(request, group="filing-submit", key="ip", rate=settings.FILING_RATE, increment=count)
    # Checking without counting: the next report would be one too many once the limit is reached.
    return usage is not None and not count and usage["count"] >= usage["limit"]


@require_http_methods(["GET", "POST"])
@step_limit
def review(request, flow=RESIDENT):
    draft, elsewhere = draft_in_progress(request, flow)
    if elsewhere:
        return elsewhere
    details_form, items = details_forms(draft, drafts.details_data(draft))
    if not draft.details or not forms_valid(details_form, items):
        messages.warning(request, _("Some details are missing. Please check them."))
        return redirect(flow.urls["details"])
    if drafts.number_to_confirm(draft, details_form.cleaned_data):
        messages.info(request, _("Confirm your mobile number with the code we texted before you send."))
        return redirect(flow.urls["phone"])
    drafts.reached(draft, Draft.Step.REVIEW)
    count_step(request, flow, FunnelStep.REVIEW_REACHED, draft.report_type.code, draft=draft)
    form = forms.SubmitForm(request.POST or None, request.FILES or None, assisted=flow.staff)
    problems = []
    if request.method == "POST":
        if "remove" in request.POST:
            drafts.remove_upload(draft, request.POST["remove"])
            return redirect(reverse(flow.urls["review"]) + "#files")
        sending = "send" in request.POST
        if request.FILES.getlist("files"):
            # Files sent with the report get their copies in the worker; files added to look at first
            # get them now, for the preview.
            problems = drafts.keep_uploads(draft, request.FILES.getlist("files"), copies=not sending)
        if not sending:  # "Add these files": the confirmation box was not the point yet
            if not problems:
                return redirect(reverse(flow.urls["review"]) + "#files")
            forms.quiet(form)
        elif not problems and form.is_valid():
            if filing_limited(request, flow, count=False):
                return too_many_requests(request, None)
            return send(request, flow, draft, details_form, items)
    # Files sent with a report that was not sent after all (or is being looked at again) get their
    # previews now.
    problems += drafts.make_previews(draft)
    for problem in problems:
        form.add_error("files", problem)
    return page(request, flow, "review.html", review_context(flow, draft, form, details_form, items))


def send(request, flow: Flow, draft: Draft, details_form, items):
    submission.file_report(
        draft,
        details=details_form.cleaned_data,
        answers=details_form.answers(),
        items=items.items() if items else [],
        uploads=[drafts.as_stored(upload) for upload in draft.uploads.all()],
        by=request.user if flow.staff else None,
    )
    filing_limited(request, flow, count=True)
    count_step(request, flow, FunnelStep.FILED, draft.report_type.code, draft=draft)
    return redirect(flow.urls["submitted"])


def review_context(flow: Flow, draft: Draft, form, details_form, items) -> dict:
    listed = items.items() if items else []
    sections = display.check_your_answers(draft, details_form, listed)
    for section in sections:
        args = [draft.subtype.code] if section.step == "eligibility" else []
        section.change_url = reverse(flow.urls[section.step], args=args) + "?return=review"
    return {
        "draft": draft,
        "form": form,
        "details": details_form,
        "sections": sections,
        "answers": display.answer_rows(draft.report_type, details_form.answers()),
        "items": listed,
        "items_total": sum((item.get("value") or Decimal(0) for item in listed), Decimal(0)),
        "uploads": list(draft.uploads.all()),
        "max_files": settings.EVIDENCE_MAX_FILES,
        **steps(draft.subtype, "review"),
    }


@require_GET
def upload_thumbnail(request, public_id, flow=RESIDENT):
    """A file the resident added to their draft, as its metadata-free thumbnail: their session only."""
    draft = drafts.current(request.session, slot=flow.prefix)
    upload = queries.draft_upload(draft, public_id) if draft else None
    if upload is None or not upload.thumbnail:
        raise Http404
    response = FileResponse(evidence.open_stored(upload.thumbnail), content_type="image/jpeg")
    response["Cache-Control"] = "private, no-store"
    return response


@require_GET
def submitted(request, flow=RESIDENT):
    draft = drafts.current(request.session, slot=flow.prefix)
    if draft is None or not draft.report_id:
        return redirect(flow.urls["start"])
    # A link of its own for each showing: the token is never stored in plain text, so the first one
    # cannot be shown again.
    token = StatusLink.issue(draft.report)
    status_url = request.build_absolute_uri(reverse("report-status", args=[token]))
    context = confirmation(draft.report, status_url)
    if flow.staff:  # the agent may text the caller their status link
        phone = draft.report.contact_phone
        context["text_link_form"] = forms.TextLinkForm(
            initial={"phone": sms.readable(phone) if phone else ""}
        )
    return page(request, flow, "submitted.html", context)


# --- Save and come back later ------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@step_limit
def save_for_later(request, flow=RESIDENT):
    draft, elsewhere = draft_in_progress(request, flow)
    if elsewhere:
        return elsewhere
    form = forms.SaveForLaterForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        notifications.queue_resume_link(draft, form.cleaned_data["email"])
        context = {
            "draft": draft,
            "email": form.cleaned_data["email"],
            "days": settings.DRAFT_TTL_HOURS // 24,
        }
        return page(request, flow, "saved.html", context)
    return page(
        request, flow, "save.html", {"draft": draft, "form": form, "days": settings.DRAFT_TTL_HOURS // 24}
    )


@require_GET
def resume(request, token, flow=RESIDENT):
    draft = drafts.resume(request.session, token, slot=flow.prefix)
    if draft is None:
        messages.info(
            request,
            _("That link has expired, or a newer one was sent. Please start again, or call 311 for help."),
        )
        return redirect(flow.urls["start"])
    if draft.report_id:
        messages.info(request, _("This report was already sent."))
        return redirect(flow.urls["submitted"])
    keep_session_for_drafts(request, flow)
    messages.success(request, _("Welcome back. Your answers are here as you left them."))
    return redirect(flow.urls[draft.last_step])


def step_urls(flow: Flow, guard=lambda view: view) -> list:
    views = {
        "review": ("review/", review),
        "upload": ("files/<uuid:public_id>/thumb/", upload_thumbnail),
        "submitted": ("submitted/", submitted),
        "save": ("save/", save_for_later),
    }
    patterns = [
        path(route, guard(view), {"flow": flow}, name=flow.urls[step])
        for step, (route, view) in views.items()
    ]
    if not flow.staff:  # a resume link is the resident's; an agent's caller gets their own
        patterns.append(path("resume/<str:token>/", resume, {"flow": flow}, name=f"{flow.prefix}-resume"))
    return patterns


urlpatterns = step_urls(RESIDENT)
