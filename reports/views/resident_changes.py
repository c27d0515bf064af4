"""The status link's pages for changing a report before review, withdrawing it, sending more, and adding
a supplemental report to an approved one."""

from __future__ import annotations

from datetime import datetime

from django import forms as django_forms
from django.contrib import messages
from django.http import QueryDict
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from reports import forms, resident_changes, submission, supplements, workflow
from reports.models import Channel, Report, ReportType, StatusLink
from reports.statuses import CLOSED_STATUSES
from reports.views.filing_steps import WHAT_FIELDS
from reports.views.resident import lookup_limit, reply_limit, report_for_token, status_page

FORM_TIME = "%Y-%m-%dT%H:%M"


def why_not(report: Report) -> str:
    if report.is_parking:
        return _("Traffic Control already has this report, so it cannot be changed here.")
    if report.status in CLOSED_STATUSES:
        return _("This report is closed, so it can no longer be changed.")
    return str(resident_changes.TooLate())


def edit_forms(report: Report, data=None):
    details = forms.DetailsForm(
        data, report_type=report.report_type, subtype=report.subtype, assisted=report.channel != Channel.WEB
    )
    items = None
    if report.report_type.form == ReportType.Form.THEFT:
        items = forms.StolenItemFormSet(data, prefix="items", value_cap=report.report_type.value_cap)
    return details, items


def as_posted(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return timezone.localtime(value).strftime(FORM_TIME)
    return str(value)


def current_data(report: Report) -> QueryDict:
    """The report as its details page would post it, so the form opens with what was filed."""
    data = QueryDict(mutable=True)
    for name in resident_changes.EDITABLE_FIELDS + resident_changes.CONTACT_FIELDS:
        data[name] = as_posted(getattr(report, name))
    fields = edit_forms(report)[0].fields
    for code, value in (report.answers or {}).items():
        name = f"q_{code}"
        if isinstance(value, list):
            data.setlist(name, [str(choice) for choice in value])
        elif isinstance(fields.get(name), django_forms.DateTimeField) and isinstance(value, str):
            moment = parse_datetime(value)
            data[name] = as_posted(moment) if moment else value
        else:
            data[name] = as_posted(value)
    items = list(report.items.all())
    data["items-TOTAL_FORMS"], data["items-INITIAL_FORMS"] = str(max(len(items), 1)), "0"
    for n, item in enumerate(items):
        for name in ("description", "brand_model", "serial_number", "value"):
            data[f"items-{n}-{name}"] = as_posted(getattr(item, name))
    return data


def with_another_item(data: QueryDict) -> None:
    """ "Add another item": the page comes back with one more row, nothing validated."""
    count = forms.item_count(data.get("items-TOTAL_FORMS")) + 1
    data["items-TOTAL_FORMS"] = str(min(count, forms.MAX_ITEMS))


def pinned(report: Report, post: QueryDict) -> QueryDict:
    """What the page posted, with the contact details as filed: they are not changed here (a new number
    would need confirming), whatever a hand-made POST says."""
    data = post.copy()
    for name in resident_changes.CONTACT_FIELDS:
        data[name] = as_posted(getattr(report, name))
    return data


@require_http_methods(["GET", "POST"])
@lookup_limit
@reply_limit
def change(request, token):
    report = report_for_token(request, token)
    if not resident_changes.can_change(report):
        messages.info(request, why_not(report))
        return redirect("report-status", token)
    if request.method == "POST":
        data = pinned(report, request.POST)
        if "add_item" in data:
            with_another_item(data)
            details, items = edit_forms(report, data)
            forms.quiet(details, items)
        else:
            details, items = edit_forms(report, data)
            if details.is_valid() & (items is None or items.is_valid()):
                return saved(request, report, token, details, items)
    else:
        details, items = edit_forms(report, current_data(report))
        forms.quiet(details, items)
    context = {"report": report, "token": token, "form": details, "items": items, "what_fields": WHAT_FIELDS}
    return render(request, "reports/resident/change.html", context)


def saved(request, report: Report, token: str, details, items):
    try:
        event = resident_changes.edit(
            report,
            details=details.cleaned_data,
            answers=details.answers(),
            items=items.items() if items is not None else None,
        )
    except workflow.NotAllowed as refused:  # a report taker took it while the page was open
        messages.info(request, str(refused))
        return redirect("report-status", token)
    if event is None:
        messages.info(request, _("Nothing was changed."))
    else:
        messages.success(request, _("Your changes were saved. The report taker will see what you changed."))
    return redirect("report-status", token)


@require_http_methods(["GET", "POST"])
@lookup_limit
@reply_limit
def withdraw(request, token):
    report = report_for_token(request, token)
    if not resident_changes.can_change(report):
        messages.info(request, why_not(report))
        return redirect("report-status", token)
    form = forms.WithdrawForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        try:
            resident_changes.withdraw(report, reason=form.cleaned_data["reason"])
        except workflow.NotAllowed as refused:
            messages.info(request, str(refused))
        else:
            messages.success(request, _("Your report was withdrawn. Nothing more will be done with it."))
        return redirect("report-status", token)
    return render(request, "reports/resident/withdraw.html", {"report": report, "token": token, "form": form})


@require_POST
@reply_limit
def send_more(request, token):
    report = report_for_token(request, token)
    form = forms.MoreInfoForm(request.POST, request.FILES)
    if form.is_valid():
        uploads, errors = submission.store_uploads(form.cleaned_data["files"])
        for error in errors:
            form.add_error("files", error)
        if not errors:
            try:
                resident_changes.send_more(report, text=form.cleaned_data["text"], uploads=uploads)
            except workflow.NotAllowed as refused:
                messages.info(request, str(refused))
            else:
                messages.success(request, _("Thank you. What you sent was added to the report."))
            return redirect("report-status", token)
    return status_page(request, report, token, more_form=form)


@require_http_methods(["GET", "POST"])
@lookup_limit
@reply_limit
def supplement(request, token):
    report = report_for_token(request, token)
    refused = supplements.refusal(report)
    if refused:
        messages.info(request, refused)
        return redirect("report-status", token)
    original = supplements.case_of(report)
    data, files = (request.POST.copy(), request.FILES) if request.method == "POST" else (None, None)
    adding = data is not None and "add_item" in data
    if adding:
        with_another_item(data)
    form = forms.SupplementForm(data, files)
    items = None
    if original.report_type.form == ReportType.Form.THEFT:
        items = forms.SupplementItemFormSet(data, prefix="items", value_cap=original.report_type.value_cap)
    if adding:
        forms.quiet(form, items)
    elif data is not None and form.is_valid() & (items is None or items.is_valid()):
        uploads, errors = submission.store_uploads(form.cleaned_data["files"])
        for error in errors:
            form.add_error("files", error)
        if not errors:
            return filed_supplement(request, report, token, form, items, uploads)
    context = {"report": original, "token": token, "form": form, "items": items}
    return render(request, "reports/resident/supplement.html", context)


def filed_supplement(request, report: Report, token: str, form, items, uploads):
    try:
        filed = supplements.file(
            report,
            description=form.cleaned_data["description"],
            items=items.items() if items is not None else [],
            uploads=uploads,
        )
    except workflow.NotAllowed as refused:  # the case changed while the page was open
        messages.info(request, str(refused))
        return redirect("report-status", token)
    messages.success(
        request,
        _("Thank you. Your supplement %(number)s was received and will be reviewed like a report.")
        % {"number": filed.tracking_number},
    )
    return redirect("report-status", StatusLink.issue(filed))


urlpatterns = [
    path("status/<str:token>/change/", change, name="report-status-change"),
    path("status/<str:token>/withdraw/", withdraw, name="report-status-withdraw"),
    path("status/<str:token>/more/", send_more, name="report-status-more"),
    path("status/<str:token>/supplement/", supplement, name="report-status-supplement"),
]
