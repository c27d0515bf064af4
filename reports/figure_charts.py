"""The figures drawn as charts (reports/charts.py draws, reports/figures.py counts): the same for the
supervisors' figures page and the public one. Each chart's table of numbers sits beside it on the page."""

from __future__ import annotations

from datetime import date

from django.utils import formats
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from . import charts, figures, follow_ups, funnel


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


def outcomes_chart(outcomes: list[figures.OutcomeCount]) -> str:
    return charts.horizontal_bar_chart(
        chart_id="chart-outcomes",
        title=_("What parking enforcement found"),
        description=_("Parking reports resolved in this period, by what Traffic Control found."),
        categories=[row.label for row in outcomes],
        series=[charts.ChartSeries(_("Reports"), [row.count for row in outcomes], charts.BLUE)],
    )


def follow_up_chart(answers: follow_ups.Answers) -> str:
    total = answers.total
    return charts.horizontal_bar_chart(
        chart_id="chart-follow-up",
        title=_("What residents said afterwards"),
        description=_("Answers to the two questions residents are asked after their report closes."),
        categories=[_("Easy to report"), _("Satisfied with what happened")],
        series=[
            charts.ChartSeries(_("Yes"), [total.easy_yes, total.satisfied_yes], charts.BLUE),
            charts.ChartSeries(
                _("No"),
                [total.easy_answers - total.easy_yes, total.satisfied_answers - total.satisfied_yes],
                charts.VERMILLION,
            ),
        ],
    )


def weekly_section(
    section_id: str, title: str, weekly: figures.WeeklyFigures, series: list[figures.Series], **more: object
) -> dict:
    """One "reports per week" section of a figures page (templates/reports/_figures_weekly.html)."""
    chart = weekly_chart(f"chart-{section_id}", title, weekly, series)
    return {
        "id": section_id,
        "title": title,
        "series": series,
        "rows": weekly.rows(series),
        # Safe to mark: charts.py escapes every label and attribute value it puts in the SVG.
        "svg": mark_safe(chart),
        **more,
    }
