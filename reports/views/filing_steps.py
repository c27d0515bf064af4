"""The filing steps before the check-your-answers page: the type, the safety check (one question at a
time, stopping at once), where (parking), "already reported?" (parking), and the details.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils.datastructures import MultiValueDict
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from reports import drafts, forms, funnel, queries, workflow
from reports.models import Channel, Draft, FunnelStep, ReportType
from reports.stops import STOP_PAGES

from .filing_flow import (
    RESIDENT,
    Flow,
    asks_location_first,
    draft_in_progress,
    keep_session_for_drafts,
    next_step,
    page,
    returning_to_review,
    send_code,
    step_limit,
    steps,
)


@require_GET
def start(request, flow=RESIDENT):
    return page(request, flow, "start.html", {"report_types": queries.catalog(), **steps(None, "start")})


# --- The safety check ------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@step_limit
def eligibility(request, subtype_code, flow=RESIDENT):
    subtype = queries.filable_subtype(subtype_code)
    if subtype is None:
        raise Http404
    draft = drafts.current(request.session, slot=flow.prefix)
    changing = returning_to_review(request) and draft is not None and draft.subtype_id == subtype.pk
    data = (
        request.POST
        if request.method == "POST"
        else (MultiValueDict(as_lists(draft.eligibility)) if changing else None)
    )
    form = forms.EligibilityForm(data, report_type=subtype.report_type, assisted=flow.staff)
    current = 0
    if request.method == "GET":
        count_step(request, flow, FunnelStep.STARTED, subtype.report_type.code)
    if data is not None:
        if "change" in request.POST:
            return page(
                request,
                flow,
                "eligibility.html",
                safety_context(form, subtype, flow, ask=request.POST["change"]),
            )
        progress = form.progress()
        if progress.stop:
            count_step(request, flow, FunnelStep.STOPPED, subtype.report_type.code, reason=progress.stop)
            return redirect(flow.urls["stop"], reason=progress.stop)
        if progress.current == len(form.fields) and form.is_valid():
            return passed_safety_check(request, flow, subtype, form)
        current = progress.current if request.method == "POST" else len(form.fields)
        if request.POST.get("asked") != list(form.fields)[min(current, len(form.fields) - 1)]:
            forms.quiet(form)  # a question shown for the first time, not one left unanswered
    return page(request, flow, "eligibility.html", safety_context(form, subtype, flow, current=current))


def count_step(request, flow: Flow, step: str, report_type: str, *, reason: str = "", draft=None) -> None:
    """One step of the filing funnel (reports/funnel.py): nothing that identifies anyone."""
    channel = draft.channel if draft else (Channel.PHONE if flow.staff else Channel.WEB)
    language = draft.language if draft else get_language()
    funnel.record(
        request.session, step, channel=channel, language=language, report_type=report_type, reason=reason
    )


def as_lists(answers: dict) -> dict[str, list[str]]:
    return {name: [value] for name, value in answers.items()}


def safety_context(form, subtype, flow: Flow, *, current: int = 0, ask: str = "") -> dict:
    """The questions, each answered (shown as text with "Change"), asked now, or still to come (hidden
    until JavaScript reveals it, or the next page asks it)."""
    names = list(form.fields)
    if ask in names:  # "Change": ask that question again, and those after it
        current = names.index(ask)
        forms.quiet(form)
    questions = []
    for index, bound in enumerate(form):
        stop = forms.STOP_BY_FIELD.get(bound.name)
        state = "answered" if index < current else "current" if index == current else "later"
        questions.append(
            {
                "field": bound,
                "state": state,
                "answer": answer_text(bound) if state == "answered" else "",
                "stop_value": stop.stop_when if stop else "",
                "stop": STOP_PAGES[stop.reason] if stop else None,
            }
        )
    asked = names[min(current, len(names) - 1)]
    return {
        "form": form,
        "subtype": subtype,
        "questions": questions,
        "asked": asked,
        **steps(subtype, "eligibility"),
    }


def answer_text(bound) -> str:
    value = bound.value()
    return str(dict(bound.field.choices).get(value, value))


def passed_safety_check(request, flow: Flow, subtype, form):
    drafts.start(
        request.session,
        subtype,
        eligibility=form.answers(),
        channel=form.cleaned_data.get("channel", Channel.WEB),
        language=get_language(),
        filed_by=request.user if flow.staff else None,
        slot=flow.prefix,
    )
    keep_session_for_drafts(request, flow)
    if returning_to_review(request):
        return redirect(flow.urls["review"])
    return redirect(flow.urls["where" if asks_location_first(subtype) else "details"])


@require_GET
def stop(request, reason, flow=RESIDENT):
    if reason not in STOP_PAGES:
        raise Http404
    return page(request, flow, "stop.html", {"stop": STOP_PAGES[reason]})


# --- Where, and "already reported?" (parking) -----------------------------------------------------------


@require_http_methods(["GET", "POST"])
@step_limit
def where(request, flow=RESIDENT):
    draft, elsewhere = draft_in_progress(request, flow)
    if elsewhere:
        return elsewhere
    form = forms.LocationForm(
        request.POST if request.method == "POST" else drafts.details_data(draft) or None
    )
    if request.method == "POST" and form.is_valid():
        drafts.save_details(draft, request.POST, forms.LOCATION_FIELDS, step=Draft.Step.WHERE)
        if not returning_to_review(request) and queries.same_problem_nearby(draft.subtype, draft.details):
            return redirect(flow.urls["nearby"])
        return next_step(flow, draft, "details", request)
    if request.method == "GET":
        forms.quiet(form)
    return page(request, flow, "where.html", {"draft": draft, "form": form, **steps(draft.subtype, "where")})


@require_http_methods(["GET", "POST"])
@step_limit
def nearby(request, flow=RESIDENT):
    """Reports of the same problem close by, from the last day: add yourself to one instead of filing."""
    draft, elsewhere = draft_in_progress(request, flow)
    if elsewhere:
        return elsewhere
    reports = queries.same_problem_nearby(draft.subtype, draft.details)
    if request.method == "POST" and "me_too" in request.POST:
        chosen = next((r for r in reports if r.tracking_number == request.POST["me_too"]), None)
        if chosen is not None:
            return added_me_too(request, flow, draft, chosen)
        messages.info(request, _("That report was closed in the meantime. Please report the problem again."))
    if not reports or (request.method == "POST" and "different" in request.POST):
        return redirect(flow.urls["details"])
    return page(
        request, flow, "nearby.html", {"draft": draft, "reports": reports, **steps(draft.subtype, "where")}
    )


def added_me_too(request, flow: Flow, draft: Draft, report):
    email = request.POST.get("email", "").strip()
    email_field = forms.DetailsForm.base_fields["contact_email"]
    try:
        email = email_field.clean(email)
    except ValidationError:
        messages.error(request, _("That email address does not look right; you were not added yet."))
        return redirect(flow.urls["nearby"])
    try:
        workflow.add_me_too(report, channel=draft.channel, language=draft.language, email=email)
    except workflow.NotAllowed as exc:
        messages.info(request, str(exc))
        return redirect(flow.urls["details"])
    count_step(request, flow, FunnelStep.JOINED, draft.report_type.code, draft=draft)
    drafts.forget(request.session, slot=flow.prefix)
    draft.delete()
    count = report.me_toos.count() + 1
    return page(request, flow, "me_too.html", {"report": report, "count": count, "email": email})


# --- The details -------------------------------------------------------------------------------------------


def details_forms(draft: Draft, data=None):
    report_type = draft.report_type
    assisted = draft.channel != Channel.WEB
    details = forms.DetailsForm(data, report_type=report_type, subtype=draft.subtype, assisted=assisted)
    items = None
    if report_type.form == ReportType.Form.THEFT:
        items = forms.StolenItemFormSet(data, prefix="items", value_cap=report_type.value_cap)
    return details, items


def forms_valid(details, items) -> bool:
    return details.is_valid() & (items is None or items.is_valid())


def posted_details(draft: Draft, post) -> MultiValueDict:
    """What the details page posted; for parking, with the place from the "where" step it does not show."""
    data = post.copy()
    if asks_location_first(draft.subtype):
        for name in forms.LOCATION_FIELDS:
            if name not in data and name in draft.details:
                data.setlist(name, draft.details[name])
    return data


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
        data = posted_details(draft, request.POST)
        if "add_item" in data:
            return added_item(request, flow, draft, data)
        details_form, items = details_forms(draft, data)
        drafts.save_details(draft, data, forms.field_names(details_form, items))
        if forms_valid(details_form, items):
            drafts.reached(draft, Draft.Step.REVIEW)
            count_step(request, flow, FunnelStep.DETAILS_DONE, draft.report_type.code, draft=draft)
            number = drafts.number_to_confirm(draft, details_form.cleaned_data)
            if number:  # texts chosen: the first code goes now, and the next page takes it
                send_code(request, flow, draft, number)
                return redirect(flow.urls["phone"])
            return redirect(flow.urls["review"])
    else:
        data = drafts.details_data(draft) if draft.details else None
        if data is not None and asks_location_first(draft.subtype):
            data = with_defaults(data)
        details_form, items = details_forms(draft, data)
        forms.quiet(details_form, items)  # nothing is wrong until the resident tries to go on
        focus_added_item(items, request.GET.get("added", ""))
    context = {
        "draft": draft,
        "form": details_form,
        "items": items,
        "what_fields": WHAT_FIELDS,
        "location_asked_first": asks_location_first(draft.subtype),
        "added": request.GET.get("added", ""),
        "return_to_review": returning_to_review(request),
        **steps(draft.subtype, "details"),
    }
    return page(request, flow, "details.html", context)


def with_defaults(data: MultiValueDict) -> MultiValueDict:
    """A draft that has its place but not yet its time (parking asks where first): the time starts at
    now, as it does on an empty form."""
    if not data.get("occurred_from"):
        data["occurred_from"] = forms.city_now().strftime("%Y-%m-%dT%H:%M")
    return data


def focus_added_item(items, anchor: str) -> None:
    # The page opens on the row just added ("#item-3"), with the cursor in it.
    number = int(anchor.removeprefix("item-")) if anchor.removeprefix("item-").isdigit() else 0
    if items is not None and 0 < number <= len(items.forms):
        items.forms[number - 1].fields["description"].widget.attrs["autofocus"] = True


def added_item(request, flow: Flow, draft: Draft, data: MultiValueDict):
    """ "Add another item": one more row, kept as typed, and the page opens on it; nothing validated."""
    count = forms.item_count(data.get("items-TOTAL_FORMS")) + 1
    data["items-TOTAL_FORMS"] = str(min(count, forms.MAX_ITEMS))
    details_form, items = details_forms(draft, data)
    drafts.save_details(draft, data, forms.field_names(details_form, items))
    anchor = f"item-{min(count, forms.MAX_ITEMS)}"
    suffix = "&return=review" if returning_to_review(request) else ""
    return redirect(f"{reverse(flow.urls['details'])}?added={anchor}{suffix}#{anchor}")


def step_urls(flow: Flow, guard=lambda view: view) -> list:
    """These steps' URLs for one flow; `guard` wraps each view (staff access for intake)."""
    views = {
        "start": ("", start),
        "eligibility": ("new/<slug:subtype_code>/", eligibility),
        "stop": ("stop/<slug:reason>/", stop),
        "where": ("where/", where),
        "nearby": ("already-reported/", nearby),
        "details": ("details/", details),
    }
    return [
        path(route, guard(view), {"flow": flow}, name=flow.urls[step])
        for step, (route, view) in views.items()
    ]


urlpatterns = step_urls(RESIDENT)
