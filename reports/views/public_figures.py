"""/figures/: what the program diverted, for the council and the public, in every language, with no
sign-in. Aggregates only (reports/figures.py); nothing about any one report or person."""

from __future__ import annotations

import csv

from django.conf import settings
from django.core.cache import cache
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import path
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from reports import figure_charts, figures, follow_ups, funnel, open_data

PERIOD_DAYS = 90
CACHE_SECONDS = 300


@require_GET
def public_figures(request):
    # Anyone may ask, as often as they like: the counting is done once every few minutes per language.
    context = cache.get_or_set(f"public-figures:{get_language()}", figures_context, timeout=CACHE_SECONDS)
    return render(request, "reports/resident/figures.html", context)


def figures_context() -> dict:
    period = figures.period_ending(PERIOD_DAYS)
    weekly = figures.weekly_reports(now=period.end)
    weekly_sections = [
        figure_charts.weekly_section(
            "by-type", _("Reports filed each week, by type"), weekly, weekly.by_type
        ),
        figure_charts.weekly_section(
            "by-channel", _("Reports filed each week, by how they came in"), weekly, weekly.by_channel
        ),
    ]
    outcomes = figures.parking_outcomes(period)
    journeys = funnel.funnel_figures(period)
    answers = follow_ups.answers(period.start, period.end)
    return {
        "period": period,
        "totals": figures.period_totals(period),
        "medians": figures.median_times(period),
        "outcomes": outcomes,
        "outcomes_total": sum(row.count for row in outcomes),
        "enforced_total": sum(row.count for row in outcomes if row.enforced),
        "reopened": figures.reopened_count(period),
        # Safe to mark: charts.py escapes every label and attribute value it puts in the SVG.
        "outcomes_svg": mark_safe(figure_charts.outcomes_chart(outcomes)) if outcomes else "",
        "funnel": journeys.overall,
        "weekly": weekly,
        "weekly_sections": weekly_sections,
        "follow_up": answers,
        "follow_up_svg": mark_safe(figure_charts.follow_up_chart(answers)) if answers.total.answered else "",
    }


# --- Open data (docs/open-data.md) ---------------------------------------------------------------------

OPEN_DATA = {
    "parking-reports": (open_data.RECORD_FIELDS, open_data.public_records),
    "weekly-reports": (open_data.WEEKLY_FIELDS, open_data.weekly_counts),
}


@require_GET
def open_data_page(request):
    return render(
        request,
        "reports/resident/open_data.html",
        {
            "record_fields": open_data.RECORD_FIELDS,
            "weekly_fields": open_data.WEEKLY_FIELDS,
            "record_days": open_data.RECORD_DAYS,
            "weeks": open_data.WEEKS,
            "licence": settings.OPEN_DATA_LICENCE,
        },
    )


@require_GET
def open_data_file(request, name: str, extension: str):
    if name not in OPEN_DATA or extension not in ("csv", "json"):
        raise Http404
    fields, build = OPEN_DATA[name]
    rows = cache.get_or_set(f"open-data:{name}", build, timeout=CACHE_SECONDS)
    if extension == "json":
        response = JsonResponse({**open_data.about(), "fields": list(fields), "records": rows})
    else:
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        writer = csv.DictWriter(response, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)
    response["Content-Disposition"] = f'inline; filename="{name}.{extension}"'
    response["Access-Control-Allow-Origin"] = "*"  # open data: any page may load it
    return response


urlpatterns = [
    path("figures/", public_figures, name="public-figures"),
    path("figures/open-data/", open_data_page, name="open-data"),
    path("figures/open-data/<slug:name>.<str:extension>", open_data_file, name="open-data-file"),
]
