"""The supervisors' figures: the numbers, who may see them, the CSV, the SVG, and the query count."""

from __future__ import annotations

import csv
import io
import itertools
import re
import xml.etree.ElementTree as ET
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from reports import charts, figures
from reports.models import Channel, Report
from reports.statuses import Status

from . import factories
from .conftest import sign_in
from .test_pages import audit

pytestmark = pytest.mark.django_db

CITY = ZoneInfo("America/Chicago")
addresses = itertools.count(1)
SVG = "{http://www.w3.org/2000/svg}"


def make_report(subtype: str = "theft-bicycle", **fields) -> Report:
    return factories.make_report(subtype, **fields)


def at(*args) -> datetime:
    return datetime(*args, tzinfo=CITY)


def by_code(rows, attribute: str = "code") -> dict:
    return {getattr(row, attribute): row for row in rows}


# --- The numbers --------------------------------------------------------------------------------------


def test_it_counts_the_backlog_per_queue_and_what_is_past_its_sla(catalog):
    now = timezone.now()
    make_report("theft-bicycle", sla_due_at=now - timedelta(hours=1))
    make_report("damage-graffiti")
    make_report("theft-package", status=Status.APPROVED, closed_at=now, sla_due_at=now - timedelta(days=1))
    make_report("parking-blocked-driveway")

    backlog = by_code(figures.backlog_per_queue(now=now))

    assert (backlog["theft-damage"].open, backlog["theft-damage"].past_due) == (2, 1)
    assert (backlog["traffic-control"].open, backlog["traffic-control"].past_due) == (1, 0)
    assert backlog["theft-damage"].within_sla == 1


def test_it_counts_sla_breaches_open_now_and_closed_late_in_the_period(catalog):
    now = timezone.now()
    make_report(sla_due_at=now - timedelta(minutes=5))  # open, past due
    make_report(sla_due_at=now + timedelta(hours=5))  # open, not yet due
    closed = {"status": Status.CLOSED}
    make_report(**closed, created_at=now - timedelta(days=3), closed_at=now - timedelta(days=2))  # on time
    make_report(**closed, created_at=now - timedelta(days=9), closed_at=now - timedelta(days=2))  # late
    make_report(**closed, created_at=now - timedelta(days=60), closed_at=now - timedelta(days=40))  # before

    breaches = figures.sla_breaches(figures.period_ending(30, now=now))

    assert (breaches.open_past_due, breaches.closed, breaches.closed_late) == (1, 2, 1)
    assert breaches.closed_late_percent == 50
    assert figures.sla_breaches(figures.period_ending(90, now=now)).closed_late == 2


def test_it_takes_median_times_per_queue_and_type_over_the_period(catalog):
    now = timezone.now()
    for hours, subtype in [(1, "theft-bicycle"), (3, "damage-graffiti"), (10, "theft-other")]:
        created = now - timedelta(days=3)
        make_report(
            subtype,
            created_at=created,
            first_action_at=created + timedelta(hours=hours),
            closed_at=created + timedelta(hours=hours * 4),
            status=Status.APPROVED,
        )
    old = now - timedelta(days=50)  # acted on and closed before the period: not counted
    make_report(created_at=old, first_action_at=old + timedelta(days=9), closed_at=old + timedelta(days=9))
    created = now - timedelta(hours=2)
    make_report("parking-fire-hydrant", created_at=created, first_action_at=created + timedelta(minutes=30))

    medians = figures.median_times(figures.period_ending(30, now=now))

    assert medians.overall.to_first_action == timedelta(hours=2)  # of 0.5, 1, 3 and 10 hours
    assert medians.overall.first_actions == 4
    assert (medians.overall.to_close, medians.overall.closes) == (timedelta(hours=12), 3)
    queues = by_code(medians.by_queue, "label")
    assert queues["Theft and property damage"].to_first_action == timedelta(hours=3)
    assert queues["Theft and property damage"].to_close_text == "12 h 0 min"
    assert queues["Traffic Control — parking"].to_first_action_text == "30 min"
    assert queues["Traffic Control — parking"].to_close is None
    assert queues["Traffic Control — parking"].to_close_text == "—"
    types = by_code(medians.by_type, "label")
    assert types["Theft"].to_first_action == timedelta(hours=5, minutes=30)  # of 1 and 10 hours
    assert types["Property damage"].to_close == timedelta(hours=12)


def test_it_writes_durations_the_way_people_read_them():
    assert figures.format_duration(timedelta(hours=4, minutes=12, seconds=40)) == "4 h 12 min"
    assert figures.format_duration(timedelta(days=2, hours=3, minutes=59)) == "2 d 3 h"
    assert figures.format_duration(timedelta(minutes=7)) == "7 min"
    assert figures.format_duration(timedelta(seconds=20)) == "under 1 min"
    assert figures.format_duration(None) == "—"


def test_it_counts_reports_per_week_by_channel_and_type_with_empty_weeks_as_zeros(catalog):
    now = at(2025, 3, 12, 12, 0)  # a Wednesday; the weeks cross the start of daylight saving time
    make_report("theft-bicycle", created_at=at(2025, 3, 10, 9, 0))
    make_report("parking-double-parked", created_at=at(2025, 3, 11, 9, 0), channel=Channel.PHONE)
    make_report("damage-graffiti", created_at=at(2025, 2, 5, 9, 0), channel=Channel.WALK_IN)
    make_report("damage-graffiti", created_at=at(2025, 2, 6, 9, 0), channel=Channel.API)
    make_report("theft-bicycle", created_at=at(2024, 12, 1, 9, 0))  # thirteen weeks ago: not shown
    make_report("theft-bicycle", created_at=at(2025, 3, 17, 9, 0))  # next week (bad clock): not shown

    weekly = figures.weekly_reports(weeks=12, now=now)

    assert weekly.weeks[0] == date(2024, 12, 23) and weekly.weeks[-1] == date(2025, 3, 10)
    assert len(weekly.weeks) == 12 and all(week.weekday() == 0 for week in weekly.weeks)
    channels = {s.code: s.counts for s in weekly.by_channel}
    assert list(channels) == ["web", "phone", "walk_in", "api"]
    assert channels["web"] == [0] * 11 + [1]
    assert channels["phone"] == [0] * 11 + [1]
    feb_3 = weekly.weeks.index(date(2025, 2, 3))
    assert channels["walk_in"][feb_3] == 1 and channels["api"][feb_3] == 1
    types = {s.code: s.counts for s in weekly.by_type}
    assert types["theft"] == [0] * 11 + [1]
    assert types["parking"] == [0] * 11 + [1]
    assert types["damage"] == [0] * feb_3 + [2] + [0] * (11 - feb_3)
    assert weekly.totals == [0] * feb_3 + [2] + [0] * (10 - feb_3) + [2]


def test_it_puts_a_sunday_night_report_in_the_week_it_was_filed_in_the_city(catalog):
    now = at(2025, 6, 11, 12, 0)
    make_report(created_at=at(2025, 6, 8, 23, 30))  # Sunday night in Minneapolis, Monday 04:30 UTC
    make_report(created_at=at(2025, 6, 9, 0, 30))  # Monday just after midnight

    weekly = figures.weekly_reports(weeks=2, now=now)

    assert weekly.weeks == [date(2025, 6, 2), date(2025, 6, 9)]
    assert weekly.totals == [1, 1]


def test_it_limits_the_period_figures_to_the_chosen_days(client, supervisor):
    now = timezone.now()
    make_report(created_at=now - timedelta(days=2))
    make_report(created_at=now - timedelta(days=20), channel=Channel.PHONE)
    make_report(created_at=now - timedelta(days=60), channel=Channel.API)
    sign_in(client, supervisor)

    totals = {
        days: client.get(reverse("staff-dashboard"), {"days": days}).context["board"].totals
        for days in (7, 30, 90)
    }
    default = client.get(reverse("staff-dashboard")).context["board"]
    made_up = client.get(reverse("staff-dashboard"), {"days": "5"}).context["board"]

    assert [totals[days].total for days in (7, 30, 90)] == [1, 2, 3]
    assert (totals[30].online, totals[30].assisted, totals[30].online_percent) == (1, 1, 50)
    assert (totals[90].online, totals[90].assisted) == (2, 1)
    assert default.period.days == 30 and default.totals.total == 2
    assert made_up.period.days == 30


def test_it_shows_the_headline_numbers(client, supervisor):
    now = timezone.now()
    make_report(created_at=now - timedelta(days=1), first_action_at=now - timedelta(hours=19, minutes=48))
    make_report(
        created_at=now - timedelta(days=3), channel=Channel.WALK_IN, sla_due_at=now - timedelta(hours=1)
    )
    sign_in(client, supervisor)

    page = client.get(reverse("staff-dashboard")).content.decode()

    assert re.search(r'id="figure-diverted">2<', page)
    assert re.search(r'id="figure-online">1 <span class="figure-share">\(50%\)', page)
    assert re.search(r'id="figure-backlog">2<', page)
    assert re.search(r'id="figure-breaches">1<', page)
    assert re.search(r'id="figure-first-action">4 h 12 min<', page)
    headings = audit(page).headings
    assert headings[0] == 1 and headings.count(1) == 1
    assert all(later - earlier <= 1 for earlier, later in zip(headings, headings[1:], strict=False))


# --- Who may see them ------------------------------------------------------------------------------------


@pytest.mark.parametrize("url_name", ["staff-dashboard", "staff-dashboard-csv"])
def test_it_shows_the_figures_to_supervisors_only(
    client, supervisor, report_taker, traffic_agent, agent_311, url_name
):
    url = reverse(url_name)
    assert client.get(url).status_code == 302
    assert client.get(url)["Location"].startswith(reverse("staff-login"))
    for person in (report_taker, traffic_agent, agent_311):
        sign_in(client, person)
        assert client.get(url).status_code == 403
    sign_in(client, supervisor)
    assert client.get(url).status_code == 200


# --- The CSV -----------------------------------------------------------------------------------------------


def test_it_downloads_the_weekly_figures_as_csv(client, supervisor):
    make_report("theft-bicycle")
    make_report("parking-double-parked", channel=Channel.PHONE)
    three_weeks_ago = datetime.combine(figures.week_starts(4)[0] + timedelta(days=2), time(12), tzinfo=CITY)
    make_report("damage-graffiti", created_at=three_weeks_ago, channel=Channel.API)
    sign_in(client, supervisor)

    response = client.get(reverse("staff-dashboard-csv"))

    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"].startswith('attachment; filename="reports-per-week-')
    header, *rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert header == [
        "week_start",
        *["channel_web", "channel_phone", "channel_walk_in", "channel_api"],
        *["type_theft", "type_damage", "type_parking"],
        "total",
    ]
    assert len(rows) == 12
    this_week = figures.week_starts(1)[0].isoformat()
    assert rows[-1] == [this_week, "1", "1", "0", "0", "1", "0", "1", "2"]
    assert rows[-4][1:] == ["0", "0", "0", "1", "0", "1", "0", "1"]
    assert sum(int(row[-1]) for row in rows) == 3


# --- The charts --------------------------------------------------------------------------------------------


def svgs(page: str) -> list[str]:
    return re.findall(r"<svg\b.*?</svg>", page, flags=re.S)


def test_it_draws_well_formed_svg_without_inline_styles(client, supervisor):
    make_report("theft-bicycle", channel=Channel.PHONE)
    make_report("parking-double-parked", sla_due_at=timezone.now() - timedelta(hours=1))
    sign_in(client, supervisor)

    page = client.get(reverse("staff-dashboard")).content.decode()

    drawn = svgs(page)
    assert len(drawn) == 4  # backlog, the filing funnel, and the two weekly charts
    for svg in drawn:
        root = ET.fromstring(svg)
        assert root.get("role") == "img"
        titles = [
            root.find(f"{SVG}title"),
            root.find(f"{SVG}desc"),
        ]
        assert all(element is not None and element.text for element in titles)
        assert root.get("aria-labelledby") == f"{titles[0].get('id')} {titles[1].get('id')}"
    assert "style=" not in page
    assert "css/figures." in page


def test_it_escapes_every_label_in_a_chart():
    nasty = '<script>alert("x")</script> & Co'
    drawn = charts.stacked_bar_chart(
        chart_id="c1",
        title=nasty,
        description=nasty,
        categories=[nasty, "Mar 3"],
        series=[charts.ChartSeries(nasty, [1, 0]), charts.ChartSeries("Web", [2, 5])],
    )
    drawn += charts.horizontal_bar_chart(
        chart_id="c2", title="t", description="d", categories=[nasty], series=[charts.ChartSeries(nasty, [3])]
    )

    assert "<script" not in drawn
    for svg in svgs(drawn):
        root = ET.fromstring(svg)
        assert root.find(f"{SVG}title").text in (nasty, "t")


def test_it_draws_an_empty_chart_when_there_is_nothing_to_count():
    drawn = charts.stacked_bar_chart(
        chart_id="empty",
        title="t",
        description="d",
        categories=["a", "b"],
        series=[charts.ChartSeries("x", [0, 0])],
    )
    root = ET.fromstring(drawn)
    assert len(list(root.iter(f"{SVG}rect"))) == 1  # the legend's swatch: no bars
    assert [t.text for t in root.iter(f"{SVG}text")].count("0") == 3  # the axis, and each empty week's total


# --- Queries ---------------------------------------------------------------------------------------------


def fill(count: int) -> None:
    now = timezone.now()
    subtypes = ["theft-bicycle", "damage-graffiti", "parking-double-parked"]
    channels = list(Channel.values)
    for i in range(count):
        created = now - timedelta(days=i * 3, hours=i)
        closed = {"status": Status.APPROVED, "closed_at": created + timedelta(hours=i + 5)} if i % 2 else {}
        make_report(
            subtypes[i % 3],
            created_at=created,
            channel=channels[i % 4],
            first_action_at=created + timedelta(hours=i + 1),
            **closed,
        )


def queries_for(action) -> int:
    with CaptureQueriesContext(connection) as queries:
        action()
    return len(queries)


def test_it_reads_the_figures_in_a_fixed_number_of_queries(client, supervisor):
    sign_in(client, supervisor)
    page = lambda: client.get(reverse("staff-dashboard"), {"days": 90})  # noqa: E731
    download = lambda: client.get(reverse("staff-dashboard-csv"))  # noqa: E731
    board = lambda: figures.dashboard(figures.period_ending(90))  # noqa: E731

    fill(2)
    page()  # warm up what is cached once per process (content types, permissions)
    small = [queries_for(page), queries_for(download), queries_for(board)]
    fill(30)
    larger = [queries_for(page), queries_for(download), queries_for(board)]

    assert Report.objects.count() == 32
    assert small == larger
    assert larger[2] <= 10  # the parking closures by unit and the "still there" count are the last two
