"""The supervisors' figures page and the weekly CSV for the city's open data."""

from __future__ import annotations

import csv

from django.conf import settings
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from reports import access, figure_charts, figures, follow_ups, funnel, health, staff_forms

supervisors_only = access.staff_required(access.can_supervise)


@require_GET
@supervisors_only
def dashboard(request):
    form = staff_forms.PeriodForm(request.GET or None)
    board = figures.dashboard(figures.period_ending(form.chosen_days()))
    weekly = board.weekly
    weekly_sections = [
        figure_charts.weekly_section(
            "by-channel",
            _("Reports per week by channel"),
            weekly,
            weekly.by_channel,
            csv_url=reverse("staff-dashboard-csv"),
        ),
        figure_charts.weekly_section("by-type", _("Reports per week by type"), weekly, weekly.by_type),
    ]
    journeys = funnel.funnel_figures(board.period)
    context = {
        "form": form,
        "board": board,
        "funnel": journeys,
        # Built from escaped parts, as above.
        "funnel_svg": mark_safe(figure_charts.funnel_chart(journeys.overall)),
        "funnel_groups": [(_("By channel"), journeys.by_channel), (_("By language"), journeys.by_language)],
        "backlog_svg": mark_safe(figure_charts.backlog_chart(board.backlog)),
        "median_groups": [
            (_("Per queue"), board.medians.by_queue),
            (_("Per report type"), board.medians.by_type),
        ],
        "weekly_sections": weekly_sections,
        "space": health.evidence_space(),
        "fast_minutes": settings.TRAFFIC_FAST_CLOSURE_MINUTES,
        "follow_up": follow_ups.answers(board.period.start, board.period.end),
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
