"""What residents see besides the filing steps: the R3 home page and the status link's pages."""

import io

from django.conf import settings
from django.contrib import messages
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from django_ratelimit.decorators import ratelimit

from reports import evidence as evidence_files
from reports import (
    forms,
    issued_copies,
    queries,
    resident_changes,
    routing,
    staff_messages,
    submission,
    supplements,
    workflow,
)
from reports.models import Disposition, StatusLink
from reports.pdf import filed_report_pdf
from reports.statuses import Status

reply_limit = ratelimit(key="ip", rate=settings.FILING_STEP_RATE, method="POST", group="status-reply")
# Looking up status links is limited too: the token cannot be guessed, but nobody gets to try.
lookup_limit = ratelimit(key="ip", rate=settings.STATUS_LOOKUP_RATE, method="GET", group="status-lookup")


@require_GET
def home(request):
    return render(request, "reports/resident/home.html", {"report_types": queries.catalog()})


def report_for_token(request, token: str):
    report = StatusLink.find_report(token)
    if report is None:
        raise Http404
    in_report_language(request, report)
    return report


def in_report_language(request, report) -> None:
    """The status link came in an email in the resident's language, so the page opens in it, unless
    this browser has chosen a language with the switcher (its cookie)."""
    if settings.LANGUAGE_COOKIE_NAME not in request.COOKIES:
        translation.activate(report.language)
        request.LANGUAGE_CODE = report.language


def resident_words(event) -> list[str]:
    """What the resident wrote (a reply, more information, why they withdrew), as they wrote it: never
    introduced as a city staff member's words."""
    return [event.note.strip()] if event.note.strip() else []


def status_page(request, report, token, reply_form=None, more_form=None):
    explanations, language = queries.reason_explanations(), translation.get_language()
    outcomes = Disposition.labels() if report.is_parking else {}  # only parking work has closing codes
    events = [
        (
            event,
            explanations.get(event.data.get("reason")),
            resident_words(event)
            if resident_changes.is_by_resident(event)
            else staff_messages.for_resident(event, language),
            outcomes.get(event.data.get("outcome")) if event.to_status == Status.RESOLVED else None,
        )
        for event in queries.public_timeline(report)
    ]
    waiting = report.status == Status.NEEDS_INFO
    question = queries.latest_info_request(report) if waiting else None
    return render(
        request,
        "reports/resident/status.html",
        {
            "report": report,
            "token": token,
            "events": events,
            "evidence": queries.resident_evidence(report),
            "reply_form": (reply_form or forms.ReplyForm()) if waiting else None,
            "question": staff_messages.for_resident(question, language) if question else None,
            "can_change": resident_changes.can_change(report),
            "can_supplement": not supplements.refusal(report),
            "supplements": list(report.supplements.order_by("created_at", "id")),
            "more_form": (more_form or forms.MoreInfoForm())
            if resident_changes.can_send_more(report)
            else None,
            "still_there": workflow.can_say_still_there(report),
            "still_there_hours": workflow.STILL_THERE_HOURS,
        },
    )


@require_GET
@lookup_limit
def status(request, token):
    return status_page(request, report_for_token(request, token), token)


@require_POST
@reply_limit
def status_reply(request, token):
    report = report_for_token(request, token)
    if report.status != Status.NEEDS_INFO:
        messages.info(request, _("This report is not waiting for an answer from you."))
        return redirect("report-status", token)
    form = forms.ReplyForm(request.POST, request.FILES)
    if form.is_valid():
        uploads, errors = submission.store_uploads(form.cleaned_data["files"])
        for error in errors:
            form.add_error("files", error)
        if not errors:
            submission.reply(report, text=form.cleaned_data["text"], uploads=uploads)
            messages.success(
                request, _("Thank you. Your answer was added to the report and staff will review it.")
            )
            return redirect("report-status", token)
    return status_page(request, report, token, reply_form=form)


@require_POST
@reply_limit
def status_still_there(request, token):
    report = report_for_token(request, token)
    try:
        routing.still_there(report)
    except workflow.NotAllowed as refused:
        messages.info(request, str(refused))
    else:
        messages.success(request, _("Thank you. Traffic Control has the report again."))
    return redirect("report-status", token)


@require_GET
def status_pdf(request, token):
    report = report_for_token(request, token)
    if report.status != Status.APPROVED:
        raise Http404
    # The copy as issued, signed and kept: the same bytes every time, so its SHA-256 can be checked.
    copy = issued_copies.case_copy(report)  # a supplement's is its case's: the original's, with it
    return FileResponse(
        issued_copies.open_copy(copy),
        as_attachment=True,
        filename=f"report-{copy.report.case_number}.pdf",
        content_type="application/pdf",
    )


@require_GET
def status_evidence(request, token, public_id, variant):
    report = report_for_token(request, token)
    evidence = queries.resident_evidence(report).filter(public_id=public_id).first()
    if evidence is None:
        raise Http404
    name = {"thumb": evidence.thumbnail.name, "view": evidence.derived.name}.get(variant)
    if not name:
        raise Http404
    return private_image(evidence_files.open_stored(name))


def private_image(handle) -> HttpResponse:
    response = FileResponse(handle, content_type="image/jpeg")
    response["Cache-Control"] = "private, max-age=3600"
    return response


@require_GET
@lookup_limit
def status_filed_pdf(request, token):
    """A copy of what the resident filed, marked as not yet reviewed: theirs to keep from the start."""
    report = report_for_token(request, token)
    return FileResponse(
        io.BytesIO(filed_report_pdf(report)),
        as_attachment=True,
        filename=f"report-{report.tracking_number}-as-filed.pdf",
        content_type="application/pdf",
    )


urlpatterns = [
    path("", home, name="home"),
    path("status/<str:token>/", status, name="report-status"),
    path("status/<str:token>/reply/", status_reply, name="report-status-reply"),
    path("status/<str:token>/still-there/", status_still_there, name="report-status-still-there"),
    path("status/<str:token>/report.pdf", status_pdf, name="report-status-pdf"),
    path(
        "status/<str:token>/evidence/<uuid:public_id>/<slug:variant>/",
        status_evidence,
        name="report-status-evidence",
    ),
    path("status/<str:token>/filed.pdf", status_filed_pdf, name="report-status-filed-pdf"),
]
