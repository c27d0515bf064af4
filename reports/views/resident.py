"""What residents see: the R3 home page, the filing steps, the confirmation and the status link."""

from decimal import Decimal

from django.conf import settings
from django.contrib import messages
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods
from django_ratelimit.decorators import ratelimit

from reports import drafts, filing, forms, queries
from reports import evidence as evidence_files
from reports.models import Channel, Evidence, ReportSubtype, ReportType, StatusLink
from reports.stops import STOP_PAGES

step_limit = ratelimit(key="ip", rate=settings.FILING_STEP_RATE, method="POST", group="filing-steps")
submit_limit = ratelimit(key="ip", rate=settings.FILING_RATE, method="POST", group="filing-submit")


def rate_limited(request, exception):
    return render(request, "reports/resident/rate_limited.html", status=429)


def current_draft_or_restart(request):
    draft = drafts.current(request.session)
    if draft is None:
        messages.info(request, _("Your report was not found or has expired. Please start again."))
    return draft


def details_forms(draft, data=None):
    report_type = draft.report_type
    details = forms.DetailsForm(data, report_type=report_type, subtype=draft.subtype)
    items = None
    if report_type.form == ReportType.Form.THEFT:
        items = forms.StolenItemFormSet(data, prefix="items", value_cap=report_type.value_cap)
    return details, items


def forms_valid(details, items) -> bool:
    return details.is_valid() & (items is None or items.is_valid())


@require_GET
def home(request):
    return render(request, "reports/resident/home.html", {"report_types": queries.catalog()})


@require_GET
def start(request):
    return render(request, "reports/resident/start.html", {"report_types": queries.catalog()})


@require_http_methods(["GET", "POST"])
@step_limit
def eligibility(request, subtype_code):
    subtype = get_object_or_404(
        ReportSubtype.objects.select_related("report_type"),
        code=subtype_code,
        active=True,
        report_type__active=True,
    )
    form = forms.EligibilityForm(request.POST or None, report_type=subtype.report_type)
    if request.method == "POST" and form.is_valid():
        reason = form.stop_reason()
        if reason:
            return redirect("report-stop", reason=reason)
        drafts.start(
            request.session,
            subtype,
            eligibility=form.cleaned_data,
            channel=Channel.WEB,
            language=get_language(),
        )
        return redirect("report-details")
    return render(request, "reports/resident/eligibility.html", {"form": form, "subtype": subtype})


@require_GET
def stop(request, reason):
    if reason not in STOP_PAGES:
        raise Http404
    return render(request, "reports/resident/stop.html", {"stop": STOP_PAGES[reason]})


@require_http_methods(["GET", "POST"])
@step_limit
def details(request):
    draft = current_draft_or_restart(request)
    if draft is None:
        return redirect("report-start")
    if draft.report_id:
        return redirect("report-submitted")
    if request.method == "POST":
        data = request.POST.copy()
        if "add_item" in data:
            data["items-TOTAL_FORMS"] = str(int(data.get("items-TOTAL_FORMS") or 1) + 1)
        drafts.save_details(draft, data)
        details_form, items = details_forms(draft, data)
        if "add_item" not in data and forms_valid(details_form, items):
            return redirect("report-review")
    elif draft.details:
        details_form, items = details_forms(draft, drafts.details_data(draft))
    else:
        details_form, items = details_forms(draft)
    return render(
        request,
        "reports/resident/details.html",
        {"draft": draft, "form": details_form, "items": items, "what_fields": WHAT_FIELDS, **map_context()},
    )


WHAT_FIELDS = (
    "damaged_property",
    "estimated_cost",
    "vehicle_plate",
    "vehicle_state",
    "vehicle_make",
    "vehicle_colour",
)


def map_context() -> dict:
    return {"MAP_TILE_URL": settings.MAP_TILE_URL, "MAP_ATTRIBUTION": settings.MAP_ATTRIBUTION}


@require_http_methods(["GET", "POST"])
@submit_limit
def review(request):
    draft = current_draft_or_restart(request)
    if draft is None:
        return redirect("report-start")
    if draft.report_id:
        return redirect("report-submitted")
    details_form, items = details_forms(draft, drafts.details_data(draft))
    if not draft.details or not forms_valid(details_form, items):
        messages.warning(request, _("Some details are missing. Please check them."))
        return redirect("report-details")
    form = forms.SubmitForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        uploads, errors = filing.store_uploads(form.cleaned_data["files"])
        for error in errors:
            form.add_error("files", error)
        if not errors:
            filing.submit(
                draft,
                details=details_form.cleaned_data,
                answers=details_form.answers(),
                items=items.items() if items else [],
                uploads=uploads,
                by=None,
            )
            return redirect("report-submitted")
    return render(
        request,
        "reports/resident/review.html",
        {
            "draft": draft,
            "form": form,
            "details": details_form,
            "items": items.items() if items else [],
            "items_total": sum((i.get("value") or Decimal(0) for i in items.items()), Decimal(0))
            if items
            else 0,
        },
    )


@require_GET
def submitted(request):
    draft = drafts.current(request.session)
    if draft is None or not draft.report_id:
        return redirect("report-start")
    status_url = request.build_absolute_uri(reverse("report-status", args=[draft.status_token]))
    return render(
        request, "reports/resident/submitted.html", {"report": draft.report, "status_url": status_url}
    )


def report_for_token(token: str):
    report = StatusLink.find_report(token)
    if report is None:
        raise Http404
    return report


@require_GET
def status(request, token):
    report = report_for_token(token)
    return render(
        request,
        "reports/resident/status.html",
        {
            "report": report,
            "token": token,
            "events": queries.public_timeline(report),
            "evidence": report.evidence.all(),
        },
    )


@require_GET
def status_evidence(request, token, public_id, variant):
    report = report_for_token(token)
    evidence = get_object_or_404(Evidence, report=report, public_id=public_id)
    name = {"thumb": evidence.thumbnail.name, "view": evidence.derived.name}.get(variant)
    if not name:
        raise Http404
    return private_image(evidence_files.open_stored(name))


def private_image(handle) -> HttpResponse:
    response = FileResponse(handle, content_type="image/jpeg")
    response["Cache-Control"] = "private, max-age=3600"
    return response
