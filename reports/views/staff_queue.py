"""The queue page: one queue's reports, filtered and paged; "Take next"; the CSV export for supervisors."""

from __future__ import annotations

import csv
import logging
import threading
from collections import OrderedDict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace

from django.contrib import messages
from django.http import StreamingHttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import path
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from reports import access, catalog, queries, staff_forms, workflow
from reports.models import Queue, Report

logger = logging.getLogger(__name__)


def filter_form(request, queue: Queue) -> staff_forms.QueueFilterForm:
    form = staff_forms.QueueFilterForm(request.GET, queue=queue)
    form.is_valid()
    return form


def page_links(request, next_cursor: str | None) -> tuple[str, str]:
    """The current filters as a query string: for the first page (and the CSV), and for the next page."""
    params = request.GET.copy()
    params.pop("cursor", None)
    first = params.urlencode()
    params["cursor"] = next_cursor or ""
    return first, params.urlencode()


@dataclass(frozen=True)
class Filtering:
    """What the filter form made of a request: the filters, the page size, the form's HTML, and the form
    itself when it has errors to show (None when it was kept: a kept form has none)."""

    filters: queries.QueueFilters
    page_size: int
    html: SafeString
    form: staff_forms.QueueFilterForm | None


class FilterFormCache:
    """The filter form's result, kept per process for each language, queue, catalog version and set of
    filters chosen: its HTML and what it chose. crispy renders every field and every option through
    templates of their own, which was a quarter of the page's time, building and checking the form was
    another tenth, and staff mostly look at the same few filters all day. A form with errors is never
    kept: it shows the values as typed, with their messages."""

    SIZE = 256
    FIELDS = tuple(staff_forms.QueueFilterForm.base_fields)

    def __init__(self) -> None:
        self.kept: OrderedDict[tuple, Filtering] = OrderedDict()
        self.lock = threading.Lock()

    def filtering(self, request, queue: Queue) -> Filtering:
        given = request.GET
        chosen = tuple((name, tuple(given.getlist(name))) for name in self.FIELDS if name in given)
        key = (get_language(), queue.pk, catalog.version(), chosen)
        with self.lock:
            kept = self.kept.get(key)
        if kept is not None:
            return kept
        form = filter_form(request, queue)
        html = render_to_string("reports/staff/_queue_filters.html", {"form": form, "queue": queue}, request)
        page_size = form.cleaned_data.get("per_page") or 50
        # The template's own output, escaped as it rendered.
        filtering = Filtering(form.filters(), page_size, mark_safe(html), form)  # noqa: S308
        if form.errors:
            return filtering
        with self.lock:
            self.kept[key] = replace(filtering, form=None)
            while len(self.kept) > self.SIZE:
                self.kept.popitem(last=False)
        return filtering


filter_forms = FilterFormCache()


@require_GET
@access.staff_required()
def queue_page(request, code):
    queue = access.queue_for(request.user, code)
    filtering = filter_forms.filtering(request, queue)
    filters, page_size = filtering.filters, filtering.page_size
    cursor = request.GET.get("cursor") or None
    try:
        page = queries.queue_page(queue, filters, user=request.user, cursor=cursor, page_size=page_size)
    except queries.InvalidCursor:
        messages.warning(request, _("That page link was not valid, so here is the first page."))
        page = queries.queue_page(queue, filters, user=request.user, page_size=page_size)
        cursor = None
    filter_query, next_query = page_links(request, page.next_cursor)
    return render(
        request,
        "reports/staff/queue.html",
        {
            "queue": queue,
            "form": filtering.form,
            "filters_html": filtering.html,
            "page": page,
            "is_first_page": cursor is None,
            "filter_query": filter_query,
            "next_query": next_query,
            "can_export": access.can_supervise(request.user),
            "now": timezone.now(),
        },
    )


@require_POST
@access.staff_required()
def take_next(request, code):
    queue = access.queue_for(request.user, code)
    report = workflow.take_next(queue, by=request.user)
    if report is None:
        messages.info(
            request, _("Nothing to take: no report in this queue is waiting for someone to pick it up.")
        )
        return redirect("staff-queue", queue.code)
    messages.success(request, _("Report %(number)s is yours now.") % {"number": report.tracking_number})
    return redirect("staff-report-detail", report.tracking_number)


# --- The CSV export ---------------------------------------------------------------------------------

CSV_HEADER = [
    "tracking_number",
    "case_number",
    "type",
    "subtype",
    "status",
    "channel",
    "created",
    "sla_due",
    "assignee",
    "address",
]
# A cell starting with one of these is a formula to Excel and LibreOffice (OWASP "CSV injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class Echo:
    """A file-like object for csv.writer that hands each line back instead of storing it."""

    def write(self, value: str) -> str:
        return value


def safe_cell(value: object) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def export_row(report: Report) -> list[str]:
    local = timezone.localtime
    assignee = report.assignee
    cells = [
        report.tracking_number,
        report.case_number,
        report.report_type.name,
        report.subtype.name,
        report.get_status_display(),
        report.get_channel_display(),
        local(report.created_at).isoformat(timespec="minutes"),
        local(report.sla_due_at).isoformat(timespec="minutes"),
        (assignee.get_full_name() or assignee.get_username()) if assignee else "",
        report.address,
    ]
    return [safe_cell(cell) for cell in cells]


def csv_lines(reports: Iterable[Report]) -> Iterator[str]:
    writer = csv.writer(Echo())
    yield "\ufeff"  # a byte-order mark, so that Excel reads the file as UTF-8
    yield writer.writerow(CSV_HEADER)
    for report in reports:
        yield writer.writerow(export_row(report))


@require_GET
@access.staff_required(access.can_supervise)
def export_csv(request, code):
    queue = access.queue_for(request.user, code)
    filters = filter_form(request, queue).filters()
    # Who took a copy of which list (not the search text: it may be a resident's name).
    logger.info("queue export: %s by %s", queue.code, request.user.get_username())
    reports = queries.queue_reports(queue, filters, user=request.user).iterator(chunk_size=2000)
    response = StreamingHttpResponse(csv_lines(reports), content_type="text/csv; charset=utf-8")
    filename = f"{queue.code}-{timezone.localdate():%Y-%m-%d}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


urlpatterns = [
    path("<slug:code>/", queue_page, name="staff-queue"),
    path("<slug:code>/take-next/", take_next, name="staff-take-next"),
    path("<slug:code>/export.csv", export_csv, name="staff-queue-export"),
]
