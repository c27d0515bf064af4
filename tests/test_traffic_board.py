from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from reports import outbox, tasks, workflow
from reports.models import Disposition, OutboxMessage, Report, ReportEvent
from reports.statuses import Status

from . import samples
from .conftest import sign_in
from .flows import copies_made, file_report, status_token

pytestmark = pytest.mark.django_db

BOARD = "/traffic/"


def signed_in(user) -> Client:
    client = Client()
    sign_in(client, user)
    return client


def make_ticket(
    plate: str,
    *,
    hours_old: float = 1,
    lat: float | None = None,
    lng: float | None = None,
    subtype: str = "parking-fire-hydrant",
    **overrides,
) -> Report:
    """A parking report filed through the views; each its own plate, so none is linked as a duplicate."""
    file_report(Client(), subtype, vehicle_plate=plate, **overrides)
    report = Report.objects.get(vehicle_plate=plate)
    Report.objects.filter(pk=report.pk).update(
        created_at=timezone.now() - timedelta(hours=hours_old), latitude=lat, longitude=lng
    )
    report.refresh_from_db()
    return report


def act(client: Client, report: Report, action: str, **data):
    return client.post(reverse("traffic-ticket-action", args=[report.tracking_number, action]), data)


def order_on(html: str, *reports: Report) -> list[str]:
    found = [(html.index(f'id="t-{r.tracking_number}"'), r.tracking_number) for r in reports]
    return [number for _, number in sorted(found)]


def test_it_lives_at_traffic():
    assert reverse("traffic-board") == BOARD


def test_it_lists_only_open_parking_tickets_newest_first(client, catalog, traffic_agent, supervisor):
    old = make_ticket("OLD111", hours_old=5)
    new = make_ticket("NEW222", hours_old=1)
    dispatched = make_ticket("DSP333", hours_old=3)
    workflow.dispatch(dispatched, by=traffic_agent, unit="PE-14")
    closed = make_ticket("CLS444", hours_old=2)
    workflow.close(closed, by=supervisor)
    file_report(Client(), "parking-fire-hydrant", vehicle_plate="NEW222")  # same plate: a linked duplicate
    duplicate = Report.objects.get(vehicle_plate="NEW222", status=Status.DUPLICATE)
    file_report(Client(), "theft-other")
    theft = Report.objects.get(report_type__form="theft")

    page = signed_in(traffic_agent).get(BOARD)
    html = page.content.decode()

    assert page.status_code == 200
    assert order_on(html, old, new, dispatched) == [
        new.tracking_number,
        dispatched.tracking_number,
        old.tracking_number,
    ]
    for hidden in (closed, duplicate, theft):
        assert hidden.tracking_number not in html, hidden.get_status_display()
    assert "PE-14" in html and "Enforcement dispatched" in html
    assert "5\xa0hours ago" in html
    assert "NEW222" in html and "MN" in html and "Honda" in html and "Blue" in html
    assert reverse("staff-report-detail", args=[new.tracking_number]) in html


def test_it_shows_the_first_photo_as_a_link_to_the_evidence_view(client, catalog, traffic_agent):
    photo = samples.upload("car.jpg", samples.jpeg_bytes(), "image/jpeg")
    file_report(client, "parking-fire-hydrant", files=[photo], vehicle_plate="PIC555")
    report = Report.objects.get()
    evidence = report.evidence.get()
    assert reverse("staff-evidence", args=[report.tracking_number, evidence.public_id, "thumb"]) not in (
        signed_in(traffic_agent).get(BOARD).content.decode()
    )  # not before the worker has made its copies
    copies_made()
    html = signed_in(traffic_agent).get(BOARD).content.decode()
    assert reverse("staff-evidence", args=[report.tracking_number, evidence.public_id, "thumb"]) in html
    assert reverse("staff-evidence", args=[report.tracking_number, evidence.public_id, "view"]) in html


def test_it_sorts_nearest_first_with_near(catalog, traffic_agent):
    here = (44.9778, -93.2650)
    far = make_ticket("FAR111", hours_old=1, lat=44.9900, lng=-93.2650)  # about 1.4 km north, newest
    near = make_ticket("NEA222", hours_old=3, lat=44.9808, lng=-93.2650)  # about 330 m north
    unpinned = make_ticket("NOP333", hours_old=0.5)  # no map pin: last, though the newest

    page = signed_in(traffic_agent).get(BOARD, {"near": f"{here[0]},{here[1]}"})
    html = page.content.decode()

    assert order_on(html, far, near, unpinned) == [
        near.tracking_number,
        far.tracking_number,
        unpinned.tracking_number,
    ]
    assert "330 m away" in html and "1.4 km away" in html
    # The actions keep the sort, so the agent comes back to the same list.
    assert f'name="near" value="{here[0]},{here[1]}"' in html


@pytest.mark.parametrize(
    "bad", ["abc", "91,0", "44.9,-181", "nan,nan", "inf,1", "1e3,5", "44.9", "44.9,-93.2,7", "4" * 80 + ",1"]
)
def test_it_ignores_a_malformed_near_with_a_message(catalog, traffic_agent, bad):
    older = make_ticket("OLD111", hours_old=5, lat=44.9778, lng=-93.2650)
    newer = make_ticket("NEW222", hours_old=1)
    page = signed_in(traffic_agent).get(BOARD, {"near": bad})
    html = page.content.decode()
    assert page.status_code == 200
    assert "could not be read" in html
    assert order_on(html, older, newer) == [newer.tracking_number, older.tracking_number]
    assert "away" not in html and 'name="near"' not in html


def test_it_dispatches_with_a_unit_and_writes_the_event(catalog, traffic_agent):
    ticket = make_ticket("DSP111")
    response = act(signed_in(traffic_agent), ticket, "dispatch", unit="PE-14")
    assert response.status_code == 302
    assert response["Location"] == f"{BOARD}#t-{ticket.tracking_number}"
    ticket.refresh_from_db()
    assert ticket.status == Status.DISPATCHED and ticket.enforcement_unit == "PE-14"
    event = ticket.events.get(kind=ReportEvent.Kind.STATUS_CHANGED)
    assert (event.actor, event.from_status, event.to_status, event.data["unit"]) == (
        traffic_agent,
        Status.SUBMITTED,
        Status.DISPATCHED,
        "PE-14",
    )
    assert event.is_public


def test_it_needs_a_unit_to_dispatch(catalog, traffic_agent):
    ticket = make_ticket("DSP111")
    page = signed_in(traffic_agent).post(
        reverse("traffic-ticket-action", args=[ticket.tracking_number, "dispatch"]),
        {"unit": " "},
        follow=True,
    )
    assert "Unit or officer" in page.content.decode()
    ticket.refresh_from_db()
    assert ticket.status == Status.SUBMITTED
    assert not ticket.events.filter(kind=ReportEvent.Kind.STATUS_CHANGED).exists()


def test_it_moves_a_ticket_on_scene_then_resolves_it_and_queues_the_email(catalog, traffic_agent):
    ticket = make_ticket("RES111")
    agent = signed_in(traffic_agent)
    act(agent, ticket, "dispatch", unit="PE-14")
    assert act(agent, ticket, "on-scene").status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == Status.ON_SCENE
    assert ticket.events.filter(to_status=Status.ON_SCENE, actor=traffic_agent).exists()

    response = act(agent, ticket, "resolve", outcome="citation_issued", note="Ticket left on the car.")
    assert response["Location"] == BOARD  # a resolved ticket leaves the board: no anchor to land on
    ticket.refresh_from_db()
    assert ticket.status == Status.RESOLVED and ticket.outcome == "citation_issued"
    event = ticket.events.get(to_status=Status.RESOLVED)
    assert event.data["outcome"] == "citation_issued" and event.note == "Ticket left on the car."
    email = OutboxMessage.objects.get(report=ticket, payload__template="parking-resolved")
    assert email.kind == OutboxMessage.Kind.EMAIL and email.payload["event"] == event.pk
    assert f'id="t-{ticket.tracking_number}"' not in agent.get(BOARD).content.decode()


def test_it_refuses_an_unknown_outcome(catalog, traffic_agent):
    ticket = make_ticket("RES111")
    act(signed_in(traffic_agent), ticket, "resolve", outcome="shrugged")
    ticket.refresh_from_db()
    assert ticket.status == Status.SUBMITTED
    assert not OutboxMessage.objects.filter(payload__template="parking-resolved").exists()


def test_it_refuses_a_resolve_without_an_outcome_or_with_a_retired_one(catalog, traffic_agent):
    ticket = make_ticket("RES222")
    agent = signed_in(traffic_agent)
    page = agent.post(
        reverse("traffic-ticket-action", args=[ticket.tracking_number, "resolve"]),
        {"note": "Done."},
        follow=True,
    )
    assert "Choose the outcome." in page.content.decode()
    Disposition.objects.filter(code="warning").update(active=False)
    act(agent, ticket, "resolve", outcome="warning")
    ticket.refresh_from_db()
    assert ticket.status == Status.SUBMITTED and not ticket.outcome
    assert 'value="warning"' not in agent.get(BOARD).content.decode()


def test_it_tells_the_resident_a_could_not_locate_in_their_language(catalog, traffic_agent):
    ticket = make_ticket("LOC111", contact_email="loc@example.org")
    Report.objects.filter(pk=ticket.pk).update(language="es")
    act(signed_in(traffic_agent), ticket, "resolve", outcome="could_not_locate")
    ticket.refresh_from_db()
    assert ticket.status == Status.RESOLVED and ticket.outcome == "could_not_locate"
    email = OutboxMessage.objects.get(report=ticket, payload__template="parking-resolved")
    assert outbox.claim_and_run(email.pk, tasks.HANDLERS) == "done"
    (sent,) = [message for message in mail.outbox if message.to == ["loc@example.org"]]
    assert "no pudo encontrar el lugar ni el vehículo" in sent.body


def test_it_turns_an_illegal_move_into_a_message_and_changes_nothing(catalog, traffic_agent):
    ticket = make_ticket("ILL111")
    agent = signed_in(traffic_agent)
    act(agent, ticket, "resolve", outcome="gone_on_arrival")
    events = ticket.events.count()

    page = agent.post(
        reverse("traffic-ticket-action", args=[ticket.tracking_number, "on-scene"]), follow=True
    )

    assert page.status_code == 200
    assert "cannot become" in page.content.decode()
    ticket.refresh_from_db()
    assert ticket.status == Status.RESOLVED and ticket.events.count() == events


def test_it_keeps_near_when_it_redirects_back(catalog, traffic_agent):
    ticket = make_ticket("NEA111")
    response = act(signed_in(traffic_agent), ticket, "on-scene", near="44.9778,-93.265")
    assert response["Location"] == f"{BOARD}?near=44.9778%2C-93.265#t-{ticket.tracking_number}"
    response = act(signed_in(traffic_agent), ticket, "resolve", outcome="warning", near="javascript:1")
    assert response["Location"] == BOARD


def test_it_acts_only_on_parking_tickets_in_a_traffic_queue(client, catalog, traffic_agent, supervisor):
    file_report(client, "theft-other")
    theft = Report.objects.get()
    agent = signed_in(traffic_agent)
    assert act(agent, theft, "on-scene").status_code == 404
    assert (
        signed_in(supervisor)
        .post(reverse("traffic-ticket-action", args=[theft.tracking_number, "on-scene"]))
        .status_code
        == 404
    )
    ticket = make_ticket("ACT111")
    assert act(agent, ticket, "tow-it-myself").status_code == 404
    assert (
        agent.get(reverse("traffic-ticket-action", args=[ticket.tracking_number, "on-scene"])).status_code
        == 405
    )
    theft.refresh_from_db()
    assert theft.status == Status.SUBMITTED


@pytest.mark.parametrize(
    ("persona", "expected"),
    [("traffic_agent", 200), ("supervisor", 200), ("report_taker", 403), ("agent_311", 403)],
)
def test_it_lets_in_only_traffic_control_and_supervisors(request, catalog, persona, expected):
    assert signed_in(request.getfixturevalue(persona)).get(BOARD).status_code == expected


def test_it_sends_anonymous_visitors_to_sign_in(catalog):
    response = Client().get(BOARD)
    assert response.status_code == 302 and response["Location"].startswith(reverse("staff-login"))


def test_a_report_taker_cannot_act_on_tickets(catalog, report_taker):
    ticket = make_ticket("TAK111")
    assert act(signed_in(report_taker), ticket, "dispatch", unit="PE-1").status_code == 403
    ticket.refresh_from_db()
    assert ticket.status == Status.SUBMITTED


def test_it_shows_each_move_on_the_residents_status_page(client, catalog, traffic_agent):
    file_report(client, "parking-blocked-driveway", vehicle_plate="RSD111")
    ticket = Report.objects.get()
    status_url = reverse("report-status", args=[status_token(client)])
    agent = signed_in(traffic_agent)

    act(agent, ticket, "dispatch", unit="PE-14")
    assert "Enforcement dispatched" in client.get(status_url).content.decode()

    act(agent, ticket, "on-scene")
    act(agent, ticket, "resolve", outcome="vehicle_towed", note="Towed to the impound lot.")
    html = client.get(status_url).content.decode()
    assert "Resolved" in html and "The vehicle was towed" in html and "Towed to the impound lot." in html


def test_it_shows_the_board_link_only_to_those_who_may_use_it(catalog, traffic_agent, report_taker):
    assert BOARD in signed_in(traffic_agent).get(reverse("staff-home")).content.decode()
    assert BOARD not in signed_in(report_taker).get(reverse("staff-home")).content.decode()


def test_it_shows_how_many_people_reported_a_ticket(catalog, traffic_agent):
    seen_twice, seen_once = make_ticket("SEEN2"), make_ticket("SEEN1")
    for _ in range(2):
        workflow.add_me_too(seen_twice, channel="web", language="en")

    board = signed_in(traffic_agent).get(BOARD).content.decode()
    assert board.count("data-also-seen") == 1 and "Reported by 3 people" in board

    agent = signed_in(traffic_agent)
    page = agent.get(reverse("staff-report-detail", args=[seen_twice.tracking_number]))
    assert "Reported by 3 people" in page.content.decode()
    page = agent.get(reverse("staff-report-detail", args=[seen_once.tracking_number]))
    assert "data-also-seen" not in page.content.decode()
