"""The supervisors' figures page and the weekly CSV for the city's open data."""

from __future__ import annotations

import csv
from datetime import date

from django.conf import settings
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import path
from django.utils import formats, timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from reports import access, charts, figures, funnel, health, staff_forms

supervisors_only = access.staff_required(access.can_supervise)


def week_label(monday: date) -> str:
    return formats.date_format(monday, "M j")


def weekly_chart(
    chart_id: str, title: str, weekly: figures.WeeklyFigures, series: list[figures.Series]
) -> str:
    description = _(
        "Reports filed each week for the last %(weeks)d weeks; the table below lists the numbers."
    ) % {"weeks": len(weekly.weeks)}
    return charts.stacked_bar_chart(
        chart_id=chart_id,
        title=title,
        description=description,
        categories=[week_label(monday) for monday in weekly.weeks],
        series=[charts.ChartSeries(s.label, s.counts) for s in series],
    )


def backlog_chart(backlog: list[figures.QueueBacklog]) -> str:
    return charts.horizontal_bar_chart(
        chart_id="chart-backlog",
        title=_("Open reports per queue"),
        description=_("Open reports in each queue now, split by whether they are past their SLA."),
        categories=[row.name for row in backlog],
        series=[
            charts.ChartSeries(_("Within SLA"), [row.within_sla for row in backlog], charts.BLUE),
            charts.ChartSeries(_("Past SLA"), [row.past_due for row in backlog], charts.VERMILLION),
        ],
    )


def funnel_chart(counts: funnel.FunnelCounts) -> str:
    return charts.funnel_chart(
        chart_id="chart-funnel",
        title=_("Filing funnel"),
        description=_(
            "Filing attempts started in this period and how many reached each step; the table beside it "
            "lists the numbers."
        ),
        steps=[(row.label, row.count) for row in counts.reached],
    )


@require_GET
@supervisors_only
def dashboard(request):
    form = staff_forms.PeriodForm(request.GET or None)
    board = figures.dashboard(figures.period_ending(form.chosen_days()))
    weekly = board.weekly
    weekly_sections = [
        {"id": "by-channel", "title": _("Reports per week by channel"), "series": weekly.by_channel},
        {"id": "by-type", "title": _("Reports per week by type"), "series": weekly.by_type},
    ]
    for section in weekly_sections:
        section["rows"] = weekly.rows(section["series"])
        # Safe to mark: charts.py escapes every label and attribute value it puts in the SVG.
        section["svg"] = mark_safe(
            weekly_chart(f"chart-{section['id']}", section["title"], weekly, section["series"])
        )
    journeys = funnel.funnel_figures(board.period)
    context = {
        "form": form,
        "board": board,
        "funnel": journeys,
        "funnel_svg": mark_safe(funnel_chart(journeys.overall)),  # built from escaped parts, as above
        "funnel_groups": [(_("By channel"), journeys.by_channel), (_("By language"), journeys.by_language)],
        "backlog_svg": mark_safe(backlog_chart(board.backlog)),  # built from escaped parts, as above
        "median_groups": [
            (_("Per queue"), board.medians.by_queue),
            (_("Per report type"), board.medians.by_type),
        ],
        "weekly_sections": weekly_sections,
        "space": health.evidence_space(),
        "fast_minutes": settings.TRAFFIC_FAST_CLOSURE_MINUTES,
    }
    return render(request, "reports/staff/dashboard.html", context)


@require_GET
@supervisors_only
def weekly_csv(request):
    weekly = figures.weekly_reports()
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    filename = f"reports-per-week-{timezone.localdate():%Y-%m-%d}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    writer = csv.writer(response)
    # Codes, not translated labels: the columns stay the same for whoever loads the file each week.
    writer.writerow(
        ["week_start"]
        + [f"channel_{s.code}" for s in weekly.by_channel]
        + [f"type_{s.code}" for s in weekly.by_type]
        + ["total"]
    )
    for week, counts, total in weekly.rows(weekly.by_channel + weekly.by_type):
        writer.writerow([week.isoformat(), *counts, total])
    return response


@require_GET
@supervisors_only
def flagged_closures(request):
    form = staff_forms.PeriodForm(request.GET or None)
    period = figures.period_ending(form.chosen_days())
    context = {
        "form": form,
        "period": period,
        "closures": figures.flagged_closures(period),
        "fast_minutes": settings.TRAFFIC_FAST_CLOSURE_MINUTES,
    }
    return render(request, "reports/staff/flagged_closures.html", context)


urlpatterns = [
    path("", dashboard, name="staff-dashboard"),
    path("closures/", flagged_closures, name="staff-flagged-closures"),
    path("weekly.csv", weekly_csv, name="staff-dashboard-csv"),
]
