"""The filing steps, shared by residents on the web and 311 agents filing for a caller (R1).

Both walk the same screen, forms and filing service; a Flow says which URLs, which layout, and whether
the person at the keyboard is staff (no rate limit per address, channel asked, contact optional).
"""

from dataclasses import dataclass
from decimal import Decimal
from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods
from django_ratelimit.decorators import ratelimit

from reports import display, drafts, forms, queries, submission
from reports.models import Channel, ReportType, StatusLink
from reports.stops import STOP_PAGES

STEPS = ("start", "eligibility", "stop", "details", "review", "submitted")


@dataclass(frozen=True)
class Flow:
    prefix: str
    base_template: str
    staff: bool

    @property
    def urls(self) -> dict[str, str]:
        return {step: f"{self.prefix}-{step}" for step in STEPS}


RESIDENT = Flow("report", "base.html", staff=False)
INTAKE = Flow("intake", "reports/staff/base.html", staff=True)


def residents_limited(rate: str, group: str):
    """Rate limit per client address for residents; a 311 call centre files from one address."""

    def decorator(view):
        limited = ratelimit(key="ip", rate=rate, method="POST", group=group)(view)

        @wraps(view)
        def wrapper(request, *args, flow=RESIDENT, **kwargs):
            return (view if flow.staff else limited)(request, *args, flow=flow, **kwargs)

        return wrapper

    return decorator


step_limit = residents_limited(settings.FILING_STEP_RATE, "filing-steps")
submit_limit = residents_limited(settings.FILING_RATE, "filing-submit")


def page(request, flow: Flow, template: str, context: dict):
    return render(request, f"reports/resident/{template}", {"flow": flow, **context})


def draft_in_progress(request, flow: Flow):
    """(the draft being filled in, None), or (None, where to go instead): start again, or done."""
    draft = drafts.current(request.session, slot=flow.prefix)
    if draft is None:
        messages.info(request, _("Your report was not found or has expired. Please start again."))
        return None, redirect(flow.urls["start"])
    if draft.report_id:
        return None, redirect(flow.urls["submitted"])
    return draft, None


def details_forms(draft, data=None):
    report_type = draft.report_type
    assisted = draft.channel != Channel.WEB
    details = forms.DetailsForm(data, report_type=report_type, subtype=draft.subtype, assisted=assisted)
    items = None
    if report_type.form == ReportType.Form.THEFT:
        items = forms.StolenItemFormSet(data, prefix="items", value_cap=report_type.value_cap)
    return details, items


def forms_valid(details, items) -> bool:
    return details.is_valid() & (items is None or items.is_valid())


@require_GET
def start(request, flow=RESIDENT):
    return page(request, flow, "start.html", {"report_types": queries.catalog()})


@require_http_methods(["GET", "POST"])
@step_limit
def eligibility(request, subtype_code, flow=RESIDENT):
    subtype = queries.filable_subtype(subtype_code)
    if subtype is None:
        raise Http404
    form = forms.EligibilityForm(request.POST or None, report_type=subtype.report_type, assisted=flow.staff)
    if request.method == "POST" and form.is_valid():
        reason = form.stop_reason()
        if reason:
            return redirect(flow.urls["stop"], reason=reason)
        drafts.start(
            request.session,
            subtype,
            eligibility=form.answers(),
            channel=form.cleaned_data.get("channel", Channel.WEB),
            language=get_language(),
            filed_by=request.user if flow.staff else None,
            slot=flow.prefix,
        )
        return redirect(flow.urls["details"])
    return page(request, flow, "eligibility.html", {"form": form, "subtype": subtype})


@require_GET
def stop(request, reason, flow=RESIDENT):
    if reason not in STOP_PAGES:
        raise Http404
    return page(request, flow, "stop.html", {"stop": STOP_PAGES[reason]})


WHAT_FIELDS = (
    "damaged_property",
    "estimated_cost",
    "vehicle_plate",
    "vehicle_state",
    "vehicle_make",
    "vehicle_colour",
)


@require_http_methods(["GET", "POST"])
@step_limit
def details(request, flow=RESIDENT):
    draft, elsewhere = draft_in_progress(request, flow)
    if elsewhere:
        return elsewhere
    if request.method == "POST":
        data = request.POST.copy()
        if "add_item" in data:
            data["items-TOTAL_FORMS"] = str(forms.item_count(data.get("items-TOTAL_FORMS")) + 1)
        details_form, items = details_forms(draft, data)
        drafts.save_details(draft, data, forms.field_names(details_form, items))
        if "add_item" not in data and forms_valid(details_form, items):
            return redirect(flow.urls["review"])
    elif draft.details:
        details_form, items = details_forms(draft, drafts.details_data(draft))
    else:
        details_form, items = details_forms(draft)
    context = {"draft": draft, "form": details_form, "items": items, "what_fields": WHAT_FIELDS}
    return page(request, flow, "details.html", context)


@require_http_methods(["GET", "POST"])
@submit_limit
def review(request, flow=RESIDENT):
    draft, elsewhere = draft_in_progress(request, flow)
    if elsewhere:
        return elsewhere
    details_form, items = details_forms(draft, drafts.details_data(draft))
    if not draft.details or not forms_valid(details_form, items):
        messages.warning(request, _("Some details are missing. Please check them."))
        return redirect(flow.urls["details"])
    form = forms.SubmitForm(request.POST or None, request.FILES or None, assisted=flow.staff)
    if request.method == "POST" and form.is_valid():
        uploads, errors = submission.store_uploads(form.cleaned_data["files"])
        for error in errors:
            form.add_error("files", error)
        if not errors:
            submission.submit(
                draft,
                details=details_form.cleaned_data,
                answers=details_form.answers(),
                items=items.items() if items else [],
                uploads=uploads,
                by=request.user if flow.staff else None,
            )
            return redirect(flow.urls["submitted"])
    listed = items.items() if items else []
    context = {
        "draft": draft,
        "form": form,
        "details": details_form,
        "answers": display.answer_rows(draft.report_type, details_form.answers()),
        "items": listed,
        "items_total": sum((item.get("value") or Decimal(0) for item in listed), Decimal(0)),
    }
    return page(request, flow, "review.html", context)


@require_GET
def submitted(request, flow=RESIDENT):
    draft = drafts.current(request.session, slot=flow.prefix)
    if draft is None or not draft.report_id:
        return redirect(flow.urls["start"])
    # A link of its own for each showing: the token is never stored in plain text, so the first one
    # cannot be shown again.
    token = StatusLink.issue(draft.report)
    status_url = request.build_absolute_uri(reverse("report-status", args=[token]))
    return page(request, flow, "submitted.html", {"report": draft.report, "status_url": status_url})


def step_urls(flow: Flow, guard=lambda view: view) -> list:
    """The filing steps' URLs for one flow; `guard` wraps each view (staff access for intake)."""
    views = {
        "start": ("", start),
        "eligibility": ("new/<slug:subtype_code>/", eligibility),
        "stop": ("stop/<slug:reason>/", stop),
        "details": ("details/", details),
        "review": ("review/", review),
        "submitted": ("submitted/", submitted),
    }
    return [
        path(route, guard(view), {"flow": flow}, name=flow.urls[step])
        for step, (route, view) in views.items()
    ]


urlpatterns = step_urls(RESIDENT)
