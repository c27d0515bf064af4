"""Parking closures with proof (issue 15): every closure carries one of the city's closing codes, and a
closure that looks too fast (resolved within TRAFFIC_FAST_CLOSURE_MINUTES of the dispatch, or never on
scene) is flagged for supervisors, on a list of its own and on the figures page by unit. A ticket not
dispatched within its subtype's target is escalated once: top of the board, supervisors emailed. For a
day after a closure, the resident can say the vehicle is still there: the ticket reopens, once."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from reports import outbox, tasks, workflow
from reports.models import OutboxMessage, Report, ReportEvent, StatusLink
from traffic import escalation
from traffic.models import TrafficEndpoint

from .conftest import make_staff, sign_in
from .factories import file_parking, make_report
from .test_handoff import NEW_SECRET, LoopbackReceiver

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


# --- Escalation: not dispatched within the subtype's target -------------------------------------------


def test_an_undispatched_ticket_past_its_target_is_escalated_once(
    catalog, supervisor, report_taker, monkeypatch
):
    other_supervisor = make_staff("supervisor2", "Supervisors")
    report = ticket("LATE001")  # parked at a fire hydrant: dispatched within 30 minutes, says the catalog
    assert report.subtype.dispatch_target_minutes == 30

    later(monkeypatch, 29)
    assert escalation.escalate_overdue() == 0
    later(monkeypatch, 31)
    assert tasks.escalate_overdue_tickets() == 1
    assert escalation.escalate_overdue() == 0  # once, however often the beat runs

    report.refresh_from_db()
    assert report.escalated_at is not None
    assert report.events.filter(kind=ReportEvent.Kind.ESCALATED, is_public=False).count() == 1
    emails = OutboxMessage.objects.filter(report=report, payload__template="ticket-escalated")
    assert sorted(m.payload["staff"] for m in emails) == sorted([supervisor.pk, other_supervisor.pk])
    for message in emails:
        assert outbox.claim_and_run(message.pk, tasks.HANDLERS) == "done"
    sent = [m for m in mail.outbox if report.tracking_number in m.subject]
    assert sorted(m.to[0] for m in sent) == ["supervisor2@example.org", "supervisor@example.org"]
    assert "30-minute dispatch target" in sent[0].body and "/traffic/" in sent[0].body


def test_a_ticket_dispatched_in_time_is_never_escalated(catalog, supervisor, traffic_agent, monkeypatch):
    report = ticket("ONTIME1")
    workflow.dispatch(report, by=traffic_agent, unit="PE-14")
    later(monkeypatch, 600)
    assert escalation.escalate_overdue() == 0
    report.refresh_from_db()
    assert report.escalated_at is None


def test_an_escalated_ticket_goes_to_the_top_of_the_board(catalog, supervisor, traffic_agent, monkeypatch):
    waiting = ticket("WAIT001")
    later(monkeypatch, 45)
    newer = ticket("NEWER01")  # filed 45 minutes later, so newest first would put it on top
    Report.objects.filter(pk=newer.pk).update(created_at=timezone.now())
    assert escalation.escalate_overdue() == 1

    agent = signed_in(traffic_agent)
    nearest_first = agent.get("/traffic/", {"near": "44.95,-93.27"}).content.decode()
    assert nearest_first.index(waiting.tracking_number) < nearest_first.index(newer.tracking_number)
    board = agent.get("/traffic/").content.decode()
    assert board.index(waiting.tracking_number) < board.index(newer.tracking_number)
    card = board[board.index(f'id="t-{waiting.tracking_number}"') :]
    assert "Escalated: not dispatched in time" in card[: card.index("</article>")]
    assert "Escalated" not in board[board.index(f'id="t-{newer.tracking_number}"') :].split("</article>")[0]


def test_an_escalated_ticket_takes_its_usual_place_once_dispatched(
    catalog, supervisor, traffic_agent, monkeypatch
):
    waiting = ticket("WAIT002")
    later(monkeypatch, 45)
    newer = ticket("NEWER02")
    Report.objects.filter(pk=newer.pk).update(created_at=timezone.now())
    escalation.escalate_overdue()
    workflow.dispatch(waiting, by=traffic_agent, unit="PE-14")

    agent = signed_in(traffic_agent)
    for board in (agent.get("/traffic/"), agent.get("/traffic/", {"near": "44.95,-93.27"})):
        html = board.content.decode()
        assert html.index(newer.tracking_number) < html.index(waiting.tracking_number)
        assert "Escalated: not dispatched in time" not in html


# --- "Still there": the resident reopens a resolved ticket, once, within a day ---------------------------


def resolved_ticket(traffic_agent, plate: str) -> tuple[Report, str]:
    report = ticket(plate)
    workflow.dispatch(report, by=traffic_agent, unit="PE-14")
    workflow.arrive(report, by=traffic_agent)
    workflow.resolve(report, by=traffic_agent, outcome="gone_on_arrival")
    report.refresh_from_db()
    return report, StatusLink.issue(report)


def test_still_there_reopens_the_ticket_once_and_it_is_on_the_board_again(catalog, traffic_agent, supervisor):
    report, token = resolved_ticket(traffic_agent, "STILL01")
    resident = Client()
    page = resident.get(f"/status/{token}/").content.decode()
    assert "Is the vehicle still there?" in page
    assert "The vehicle was gone when enforcement arrived" in page  # what the closure said

    answered = resident.post(f"/status/{token}/still-there/", follow=True).content.decode()
    assert "Traffic Control has the report again" in answered
    assert "Is the vehicle still there?" not in answered
    assert "The resident says the vehicle is still there" in answered  # in the history
    report.refresh_from_db()
    assert (report.status, report.outcome, report.closed_at) == ("submitted", "", None)
    assert report.reopened_at is not None
    assert report.tracking_number in signed_in(traffic_agent).get("/traffic/").content.decode()

    workflow.resolve(report, by=traffic_agent, outcome="citation_issued")
    report.refresh_from_db()
    assert report.closed_unseen  # the first visit on scene does not count for the second closure
    again = resident.post(f"/status/{token}/still-there/", follow=True).content.decode()
    assert "This report can no longer be reopened." in again
    report.refresh_from_db()
    assert report.status == "resolved"
    assert report.events.filter(kind=ReportEvent.Kind.STILL_THERE).count() == 1
    assert (
        'id="figure-still-there">1 ticket was reopened' in signed_in(supervisor).get(FIGURES).content.decode()
    )
    assert "1 time, a resident said the vehicle was still there" in Client().get("/figures/").content.decode()


def test_still_there_is_refused_a_day_after_the_closure(catalog, traffic_agent):
    report, token = resolved_ticket(traffic_agent, "STILL02")
    Report.objects.filter(pk=report.pk).update(closed_at=timezone.now() - timedelta(hours=25))

    assert "Is the vehicle still there?" not in Client().get(f"/status/{token}/").content.decode()
    Client().post(f"/status/{token}/still-there/")
    report.refresh_from_db()
    assert report.status == "resolved" and report.reopened_at is None


def test_still_there_is_only_for_parking(catalog, report_taker):
    theft = make_report("theft-bicycle")
    token = StatusLink.issue(theft)
    Client().post(f"/status/{token}/still-there/")
    theft.refresh_from_db()
    assert theft.status == "submitted" and theft.reopened_at is None
    assert not theft.events.filter(kind=ReportEvent.Kind.STILL_THERE).exists()


def test_the_reopened_ticket_reaches_the_receiver_as_reopened(catalog, traffic_agent, settings):
    settings.TRAFFIC_HANDOFF = "webhook"
    settings.TRAFFIC_ALLOW_PRIVATE_URLS = True
    with LoopbackReceiver(NEW_SECRET) as receiver:
        TrafficEndpoint.objects.create(name="CAD", url=receiver.url, secrets=NEW_SECRET)
        report, token = resolved_ticket(traffic_agent, "STILL03")
        Client().post(f"/status/{token}/still-there/")
        deliveries = OutboxMessage.objects.filter(kind=OutboxMessage.Kind.TRAFFIC_HANDOFF, report=report)
        for message in deliveries.order_by("pk"):
            assert outbox.claim_and_run(message.pk, tasks.HANDLERS) == "done"

    kinds = [
        (json.loads(seen.body)["type"], json.loads(seen.body)["data"]["ticket_id"])
        for seen in receiver.requests
    ]
    assert kinds == [
        ("parking_report.created", report.tracking_number),
        ("parking_report.reopened", report.tracking_number),
    ]


def test_a_reopened_ticket_waits_for_its_dispatch_from_the_moment_it_was_reopened(
    catalog, traffic_agent, supervisor, monkeypatch
):
    report, token = resolved_ticket(traffic_agent, "STILL04")
    Report.objects.filter(pk=report.pk).update(created_at=timezone.now() - timedelta(hours=3))
    Client().post(f"/status/{token}/still-there/")
    assert escalation.escalate_overdue() == 0  # filed three hours ago, but reopened just now
    later(monkeypatch, 31)
    assert escalation.escalate_overdue() == 1
