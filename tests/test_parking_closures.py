"""Parking closures with proof (issue 15): every closure carries one of the city's closing codes, and a
closure that looks too fast (resolved within TRAFFIC_FAST_CLOSURE_MINUTES of the dispatch, or never on
scene) is flagged for supervisors, on a list of its own and on the figures page by unit."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from reports import workflow
from reports.models import Report

from .conftest import sign_in
from .factories import file_parking

pytestmark = pytest.mark.django_db

CLOSURES = "/staff/figures/closures/"
FIGURES = "/staff/figures/"


def ticket(plate: str) -> Report:
    return file_parking(vehicle_plate=plate).report


def later(monkeypatch, minutes: float) -> None:
    """Every timezone.now() from here on reads `minutes` later than the clock (the dispatch was earlier)."""
    clock, ahead = timezone.now, timedelta(minutes=minutes)
    monkeypatch.setattr(timezone, "now", lambda: clock() + ahead)


def signed_in(user) -> Client:
    client = Client()
    sign_in(client, user)
    return client


def test_a_closure_thirty_seconds_after_the_dispatch_is_flagged(catalog, traffic_agent, monkeypatch):
    report = ticket("FAST001")
    workflow.dispatch(report, by=traffic_agent, unit="PE-14")
    workflow.arrive(report, by=traffic_agent)
    later(monkeypatch, 0.5)
    workflow.resolve(report, by=traffic_agent, outcome="gone_on_arrival")

    report.refresh_from_db()
    assert (report.closed_too_fast, report.closed_unseen) == (True, False)


def test_a_closure_without_ever_being_on_scene_is_flagged_however_late(catalog, traffic_agent, monkeypatch):
    report = ticket("UNSEEN1")
    workflow.dispatch(report, by=traffic_agent, unit="PE-14")
    later(monkeypatch, 45)
    workflow.resolve(report, by=traffic_agent, outcome="citation_issued")

    report.refresh_from_db()
    assert (report.closed_too_fast, report.closed_unseen) == (False, True)


def test_a_closure_never_dispatched_is_flagged_unseen_only(catalog, traffic_agent):
    report = ticket("NODISP1")
    workflow.resolve(report, by=traffic_agent, outcome="duplicate")

    report.refresh_from_db()
    assert (report.closed_too_fast, report.closed_unseen) == (False, True)


def test_a_closure_on_scene_after_the_threshold_is_not_flagged(catalog, traffic_agent, monkeypatch, settings):
    settings.TRAFFIC_FAST_CLOSURE_MINUTES = 10
    report = ticket("GOOD001")
    workflow.dispatch(report, by=traffic_agent, unit="PE-14")
    workflow.arrive(report, by=traffic_agent)
    later(monkeypatch, 11)
    workflow.resolve(report, by=traffic_agent, outcome="citation_issued")

    report.refresh_from_db()
    assert (report.closed_too_fast, report.closed_unseen) == (False, False)


def test_the_threshold_is_the_setting_and_counts_from_the_last_dispatch(
    catalog, traffic_agent, monkeypatch, settings
):
    settings.TRAFFIC_FAST_CLOSURE_MINUTES = 30
    report = ticket("SLOW001")
    workflow.dispatch(report, by=traffic_agent, unit="PE-14")
    workflow.arrive(report, by=traffic_agent)
    later(monkeypatch, 20)
    workflow.resolve(report, by=traffic_agent, outcome="warning")

    report.refresh_from_db()
    assert report.closed_too_fast  # 20 minutes is fast against 30


def test_supervisors_see_the_flagged_closures_and_the_figures_by_unit(
    catalog, traffic_agent, supervisor, monkeypatch
):
    fast = ticket("FAST002")
    workflow.dispatch(fast, by=traffic_agent, unit="PE-14")
    workflow.arrive(fast, by=traffic_agent)
    workflow.resolve(fast, by=traffic_agent, outcome="gone_on_arrival")
    good = ticket("GOOD002")
    workflow.dispatch(good, by=traffic_agent, unit="PE-14")
    workflow.arrive(good, by=traffic_agent)
    unseen = ticket("UNSEEN2")
    workflow.dispatch(unseen, by=traffic_agent, unit="PE-22")
    later(monkeypatch, 30)
    workflow.resolve(good, by=traffic_agent, outcome="citation_issued")
    workflow.resolve(unseen, by=traffic_agent, outcome="vehicle_towed")
    # (The pages are read with the clock still half an hour on, so the period takes in all three.)

    client = signed_in(supervisor)
    listed = client.get(CLOSURES).content.decode()
    assert fast.tracking_number in listed and unseen.tracking_number in listed
    assert good.tracking_number not in listed
    assert "The vehicle was gone when enforcement arrived" in listed and "under 1 min" in listed
    assert "30 min" in listed  # the unseen one, resolved half an hour after its dispatch

    page = client.get(FIGURES).content.decode()
    table = page[page.index('id="table-closures"') :]
    table = table[: table.index("</table>")]
    rows = [row for row in table.split("<tr>")[2:]]
    assert "PE-14" in rows[0] and cells(rows[0]) == ["2", "1", "1", "0"]  # resolved, enforced, fast, unseen
    assert "PE-22" in rows[1] and cells(rows[1]) == ["1", "1", "0", "1"]


def cells(row: str) -> list[str]:
    return [part.split("<", 1)[0] for part in row.split('<td class="text-end">')[1:]]


def test_only_supervisors_see_the_flagged_closures(catalog, report_taker, traffic_agent):
    assert signed_in(report_taker).get(CLOSURES).status_code == 403
    assert signed_in(traffic_agent).get(CLOSURES).status_code == 403
    assert Client().get(CLOSURES).status_code == 302  # to sign in
