"""The staff report page: what the resident gave, the evidence, the timeline, and the actions."""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import get_language_info, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from reports import (
    access,
    display,
    evidence,
    queries,
    routing,
    staff_forms,
    staff_messages,
    upload_links,
    workflow,
)
from reports.actions import Action, perform
from reports.models import Report, ReportEvent
from reports.statuses import ALLOWED_MOVES, OPEN_STATUSES, Status

# The access log (who opened what) is kept apart from the working timeline on the page.
ACCESS_KINDS = {ReportEvent.Kind.VIEWED, ReportEvent.Kind.EVIDENCE_VIEWED}


def message(data: dict) -> dict:
    """What a message form gives the workflow: the prepared message, its filling, and the typed note."""
    return {"note": data["note"], "template": data.get("template"), "missing": data.get("missing", "")}


ACTIONS = {
    "assign-me": Action(
        forms.Form,
        lambda r, d, u: workflow.assign(r, to=u, by=u),
        gettext_lazy("Assigned to you."),
    ),
    "assign": Action(
        staff_forms.AssignForm,
        lambda r, d, u: workflow.assign(r, to=d["assignee"], by=u),
        gettext_lazy("Assignment changed."),
        supervisors_only=True,
    ),
    "approve": Action(
        staff_forms.ApproveForm,
        lambda r, d, u: workflow.approve(r, by=u, **message(d)),
        gettext_lazy("Approved. The resident gets the case number and the PDF by email."),
    ),
    "request-info": Action(
        staff_forms.RequestInfoForm,
        lambda r, d, u: workflow.request_info(
            r, by=u, message=d["note"], template=d.get("template"), missing=d.get("missing", "")
        ),
        gettext_lazy("The resident has been asked for more information."),
    ),
    "upload-link": Action(
        forms.Form,
        lambda r, d, u: upload_links.send(r, by=u),
        gettext_lazy("A link to add photos or documents is on its way to the resident."),
    ),
    "reject": Action(
        staff_forms.RejectForm,
        lambda r, d, u: workflow.reject(r, by=u, reason=d["reason"], **message(d)),
        gettext_lazy("Rejected. The resident has been told why."),
    ),
    "refer": Action(
        staff_forms.ReferForm,
        lambda r, d, u: workflow.refer_to_police(r, by=u, reason=d["reason"], **message(d)),
        gettext_lazy("Referred to police. The resident has been told how to reach them."),
    ),
    "duplicate": Action(
        staff_forms.DuplicateForm,
        lambda r, d, u: workflow.mark_duplicate(r, by=u, original=d["original"]),
        gettext_lazy("Marked as a duplicate."),
    ),
    "move": Action(
        staff_forms.MoveForm,
        lambda r, d, u: routing.move_report(r, by=u, queue=d["queue"], note=d["note"]),
        gettext_lazy("Moved to the other queue."),
    ),
    "close": Action(
        staff_forms.CloseForm,
        lambda r, d, u: workflow.close(r, by=u, **message(d)),
        gettext_lazy("Closed."),
    ),
    "note": Action(
        staff_forms.NoteForm,
        lambda r, d, u: workflow.add_note(r, by=u, text=d["note"]),
        gettext_lazy("Note added."),
    ),
}


def action_forms(report: Report) -> dict:
    """One empty form per action, keyed for templates (request_info, not request-info)."""
    forms_by_name = {
        name.replace("-", "_"): action.form()
        for name, action in ACTIONS.items()
        if action.form not in (forms.Form, staff_forms.AssignForm)
    }
    forms_by_name["assign"] = staff_forms.AssignForm(
        staff=queries.staff_for(report.queue), initial={"assignee": report.assignee}
    )
    return forms_by_name


@require_GET
@access.staff_required()
def report_detail(request, tracking_number):
    report = access.report_for(request.user, tracking_number, queries.staff_report_page())
    updated_by_resident = report.updated_by_resident  # before this visit counts as having looked
    workflow.record_view(report, by=request.user)
    events = list(report.events.all())
    allowed = ALLOWED_MOVES[report.status]
    return render(
        request,
        "reports/staff/report.html",
        {
            "report": report,
            "updated_by_resident": updated_by_resident,
            "timeline": [e for e in events if e.kind not in ACCESS_KINDS],
            "access_log": [e for e in events if e.kind in ACCESS_KINDS],
            "eligibility": display.eligibility_rows(report),
            "resident_language": get_language_info(report.language)["name_local"],
            "texts_stopped": queries.texts_stopped(report),
            "staff_language": staff_messages.STAFF_LANGUAGE,
            "answers": display.answer_rows(report.report_type, report.answers),
            "forms": action_forms(report),
            "can_act": access.can_work_queue(request.user, report.queue),
            "can_supervise": access.can_supervise(request.user),
            "allowed": {status.value for status in Status if status in allowed},
            "is_open": report.status in OPEN_STATUSES,
        },
    )


@require_POST
@access.staff_required()
def report_action(request, tracking_number, action):
    report = access.report_for(request.user, tracking_number)
    if action not in ACTIONS:
        raise Http404
    spec = ACTIONS[action]
    if not access.can_work_queue(request.user, report.queue) or (
        spec.supervisors_only and not access.can_supervise(request.user)
    ):
        raise PermissionDenied
    kwargs = {"staff": queries.staff_for(report.queue)} if spec.form is staff_forms.AssignForm else {}
    perform(request, report, spec, form=spec.form(request.POST, **kwargs))
    return redirect("staff-report-detail", report.tracking_number)


@require_GET
@access.staff_required()
def evidence_file(request, tracking_number, public_id, variant):
    report = access.report_for(request.user, tracking_number)
    item = queries.evidence_of(report, public_id)
    if item is None:
        raise Http404
    if variant == "original":
        workflow.record_evidence_access(item, by=request.user, action="download")
        # Named by us, never by the resident: "invoice.html" or a name that reads backwards would
        # otherwise reach the staff member's disk and open as something else.
        position = queries.evidence_position(item)
        filename, content_type = evidence.download_name(report.tracking_number, position, item.content_type)
        response = FileResponse(
            evidence.open_stored(item.original.name),
            as_attachment=True,
            filename=filename,
            content_type=content_type,
        )
    else:
        name = {"thumb": item.thumbnail.name, "view": item.derived.name}.get(variant)
        if not name:
            raise Http404
        response = FileResponse(evidence.open_stored(name), content_type="image/jpeg")
    response["Cache-Control"] = "private, no-store"
    return response


@require_POST
@access.staff_required()
def verify_evidence(request, tracking_number, public_id):
    report = access.report_for(request.user, tracking_number)
    item = queries.evidence_of(report, public_id)
    if item is None:
        raise Http404
    digest = evidence.sha256_of_stored(item.original.name)
    workflow.record_evidence_access(item, by=request.user, action="verify")
    if digest == item.sha256:
        messages.success(
            request, _("“%(name)s” is unchanged: its SHA-256 matches.") % {"name": item.original_name}
        )
    else:
        messages.error(
            request,
            _("“%(name)s” does NOT match its recorded SHA-256 (now %(digest)s).")
            % {"name": item.original_name, "digest": digest},
        )
    return redirect("staff-report-detail", report.tracking_number)


urlpatterns = [
    path("<str:tracking_number>/", report_detail, name="staff-report-detail"),
    path("<str:tracking_number>/act/<slug:action>/", report_action, name="staff-report-action"),
    path(
        "<str:tracking_number>/evidence/<uuid:public_id>/verify/",
        verify_evidence,
        name="staff-evidence-verify",
    ),
    path(
        "<str:tracking_number>/evidence/<uuid:public_id>/<slug:variant>/",
        evidence_file,
        name="staff-evidence",
    ),
]
