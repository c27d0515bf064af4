"""GET requests (filters, the 90-day window, the 1,000 cap, pages), one request, tokens, and the
servicerequestupdates extension."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from reports import workflow
from reports.models import Report
from reports.statuses import Status

from .flows import file_report
from .test_open311_support import FORMATS, errors, get, make_report, make_reports, plain

pytestmark = pytest.mark.django_db


def ids(body) -> list[str]:
    return [row["service_request_id"] for row in body]


def when(**ago) -> str:
    return (timezone.now() - timedelta(**ago)).isoformat()


@pytest.fixture
def parking_and_theft(catalog):
    parking = make_report("parking-fire-hydrant", latitude=44.977812, longitude=-93.265011)
    theft = make_report("theft-bicycle")
    return parking, theft


@pytest.mark.parametrize("fmt", FORMATS)
def test_it_lists_public_requests_with_the_specified_fields(client, parking_and_theft, fmt):
    parking, theft = parking_and_theft

    status, body = get(client, "open311-requests", fmt)

    assert status == 200 and ids(body) == [parking.tracking_number]
    (row,) = body
    assert set(row) == {
        "service_request_id", "status", "status_notes", "service_name", "service_code", "agency_responsible",
        "requested_datetime", "updated_datetime", "address", "lat", "long", "media_url",
    }  # fmt: skip
    assert row["status"] == "open" and row["status_notes"] == "Received"
    assert row["service_code"] == "parking-fire-hydrant"
    assert row["agency_responsible"] == "Traffic Control — parking"
    assert plain(row["lat"]) == "44.978" and plain(row["long"]) == "-93.265"
    assert row["address"] == "300 block of S 5th St"
    requested = datetime.fromisoformat(row["requested_datetime"])
    assert requested.tzinfo is not None and abs(requested - parking.created_at) < timedelta(seconds=1)
    assert datetime.fromisoformat(row["updated_datetime"]).tzinfo is not None


@pytest.mark.parametrize("fmt", FORMATS)
def test_it_looks_back_90_days_by_default(client, catalog, fmt):
    recent = make_report(created_at=timezone.now() - timedelta(days=89))
    make_report(created_at=timezone.now() - timedelta(days=91))

    assert ids(get(client, "open311-requests", fmt)[1]) == [recent.tracking_number]


@pytest.mark.parametrize("fmt", FORMATS)
def test_it_filters_by_start_and_end_date(client, catalog, fmt):
    old = make_report(created_at=timezone.now() - timedelta(days=200))
    middle = make_report(created_at=timezone.now() - timedelta(days=100))
    new = make_report(created_at=timezone.now() - timedelta(days=2))

    def found(**params):
        return set(ids(get(client, "open311-requests", fmt, **params)[1]))

    assert found(start_date=when(days=210), end_date=when(days=150)) == {old.tracking_number}
    assert found(start_date=when(days=120)) == {middle.tracking_number}  # 90 days from the start
    assert found(end_date=when(days=95)) == {middle.tracking_number}  # 90 days up to the end
    assert found(start_date=when(days=10), end_date=when(days=0)) == {new.tracking_number}
    # Dates without a time or a zone are read in the city's time zone.
    assert found(start_date=(timezone.localdate() - timedelta(days=3)).isoformat()) == {new.tracking_number}


@pytest.mark.parametrize("fmt", FORMATS)
def test_it_filters_by_status(client, catalog, fmt):
    open_one = make_report(status=Status.DISPATCHED)
    closed_one = make_report(status=Status.RESOLVED)

    def found(status):
        return set(ids(get(client, "open311-requests", fmt, status=status)[1]))

    assert found("open") == {open_one.tracking_number}
    assert found("closed") == {closed_one.tracking_number}
    assert found("open,closed") == {open_one.tracking_number, closed_one.tracking_number}
    rows = get(client, "open311-requests", fmt)[1]
    assert {row["service_request_id"]: row["status"] for row in rows} == {
        open_one.tracking_number: "open",
        closed_one.tracking_number: "closed",
    }


@pytest.mark.parametrize("fmt", FORMATS)
def test_it_filters_by_a_comma_list_of_service_codes(client, catalog, fmt):
    hydrant = make_report("parking-fire-hydrant")
    driveway = make_report("parking-blocked-driveway")
    make_report("parking-double-parked")

    _, body = get(
        client, "open311-requests", fmt, service_code="parking-fire-hydrant, parking-blocked-driveway"
    )

    assert set(ids(body)) == {hydrant.tracking_number, driveway.tracking_number}


@pytest.mark.parametrize("fmt", FORMATS)
def test_it_answers_a_private_service_code_with_nothing_and_an_unknown_one_with_404(client, catalog, fmt):
    make_report("theft-bicycle")

    status, body = get(client, "open311-requests", fmt, service_code="theft-bicycle")
    assert status == 200 and body == []

    status, body = get(client, "open311-requests", fmt, service_code="parking-fire-hydrant,nope")
    assert status == 404 and "nope" in errors(body)[0][1]


@pytest.mark.parametrize("fmt", FORMATS)
def test_it_lets_a_list_of_ids_override_every_other_filter(client, catalog, fmt):
    old_closed = make_report(created_at=timezone.now() - timedelta(days=300), status=Status.RESOLVED)
    recent = make_report()
    theft = make_report("theft-package")
    typed = old_closed.tracking_number.replace("-", "").lower()  # as someone reads it off a letter

    _, body = get(
        client,
        "open311-requests",
        fmt,
        service_request_id=f"{typed},{recent.tracking_number},{theft.tracking_number},ZZZZ-ZZZZ",
        status="open",
        service_code="parking-double-parked",
    )

    assert set(ids(body)) == {old_closed.tracking_number, recent.tracking_number}


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("listed", ["\x00", "ABCD\x00EFGH", "%00,", "x" * 300, "ÄBCD-EFGH"])
def test_it_finds_nothing_for_ids_that_cannot_be_tracking_numbers(client, catalog, fmt, listed):
    make_report()

    status, body = get(client, "open311-requests", fmt, service_request_id=listed)

    assert status == 200 and body == []


@pytest.mark.parametrize("fmt", FORMATS)
def test_it_returns_at_most_1000_records_and_pages_through_the_rest(client, catalog, fmt):
    make_reports(1005, start=timezone.now() - timedelta(days=1))

    first = get(client, "open311-requests", fmt)[1]
    second = get(client, "open311-requests", fmt, page=2)[1]
    small = get(client, "open311-requests", fmt, page=3, page_size=10)[1]

    assert len(first) == 1000 and len(second) == 5
    assert not set(ids(first)) & set(ids(second))
    assert ids(first)[:2] == ["1004-BULK", "1003-BULK"]  # newest first
    assert ids(small) == [f"{n:04d}-BULK" for n in range(984, 974, -1)]


@pytest.mark.parametrize("fmt", FORMATS)
def test_it_lists_every_problem_with_a_query_at_once(client, catalog, fmt):
    status, body = get(
        client,
        "open311-requests",
        fmt,
        start_date="yesterday",
        end_date="2025-13-40",
        status="pending",
        page="0",
        page_size="1001",
    )

    assert status == 400
    found = errors(body)
    assert {code for code, _ in found} == {"400"}
    named = [description.split(":")[0] for _, description in found]
    assert named == ["start_date", "end_date", "page", "page_size", "status"]


@pytest.mark.parametrize(
    "params",
    [
        {"start_date": when(days=200), "end_date": when(days=1)},
        {"start_date": when(days=1), "end_date": when(days=2)},
        {"start_date": "9999-12-31T00:00:00+00:00"},
        {"end_date": "0001-01-01T00:00:00"},
        {"page": "99999999999999999999999"},
        {"page_size": "１０"},  # full-width digits
        {"service_request_id": ",".join(["ABCD-EFGH"] * 1001)},
    ],
)
def test_it_refuses_queries_out_of_range_with_400(client, catalog, params):
    status, body = get(client, "open311-requests", "json", **params)

    assert status == 400 and errors(body)


@pytest.mark.parametrize("fmt", FORMATS)
def test_it_shows_one_public_request(client, parking_and_theft, fmt):
    parking, theft = parking_and_theft

    status, body = get(client, "open311-request", fmt, parking.tracking_number)
    assert status == 200 and ids(body) == [parking.tracking_number]

    assert get(client, "open311-request", fmt, parking.tracking_number.lower())[0] == 200
    for unknown in (theft.tracking_number, "ZZZZ-ZZZZ", "bad\x00id", "x" * 500):
        status, body = get(client, "open311-request", fmt, unknown)
        assert status == 404 and errors(body)[0][0] == "404"


@pytest.mark.parametrize("fmt", FORMATS)
def test_it_resolves_a_token_to_its_request(client, parking_and_theft, fmt):
    parking, theft = parking_and_theft

    status, body = get(client, "open311-token", fmt, parking.tracking_number)

    assert status == 200
    assert body == [{"service_request_id": parking.tracking_number, "token": parking.tracking_number}]
    assert get(client, "open311-token", fmt, theft.tracking_number)[0] == 404
    assert get(client, "open311-token", fmt, "NOPE-NOPE")[0] == 404


def test_it_reads_a_page_in_a_fixed_number_of_queries(client, catalog, django_assert_max_num_queries):
    for _ in range(30):
        make_report()

    with django_assert_max_num_queries(6):
        status, body = get(client, "open311-requests", "json")
    assert status == 200 and len(body) == 30


# --- servicerequestupdates -------------------------------------------------------------------------------


@pytest.fixture
def followed(client, traffic_agent, report_taker):
    file_report(client, "parking-blocked-driveway")
    file_report(client, "theft-bicycle")
    parking = Report.objects.get(report_type__code="parking")
    theft = Report.objects.get(report_type__code="theft")
    workflow.move(parking, Status.DISPATCHED, by=traffic_agent, note="Officer Kim is on the way to Alex")
    workflow.move(parking, Status.ON_SCENE, by=traffic_agent)
    workflow.move(parking, Status.RESOLVED, by=traffic_agent, note="Towed, plate ABC123")
    workflow.add_note(parking, by=traffic_agent, text="internal: the owner is a neighbour")
    workflow.move(theft, Status.IN_REVIEW, by=report_taker)
    return parking, theft


@pytest.mark.parametrize("fmt", FORMATS)
def test_it_reports_status_updates_for_fixmystreet(client, followed, fmt):
    parking, theft = followed

    status, body = get(client, "open311-updates", fmt, start_date=when(hours=1), end_date=when(seconds=-5))

    assert status == 200
    assert {row["service_request_id"] for row in body} == {parking.tracking_number}
    assert [row["status"] for row in body] == ["open", "action_scheduled", "in_progress", "fixed"]
    assert [row["external_status_code"] for row in body] == [
        "submitted",
        "dispatched",
        "on_scene",
        "resolved",
    ]
    assert [row["description"] for row in body] == [
        "Received", "Enforcement dispatched", "Enforcement on scene", "Resolved"
    ]  # fmt: skip
    for row in body:
        assert set(row) == {
            "update_id", "service_request_id", "status", "external_status_code", "updated_datetime",
            "description", "media_url",
        }  # fmt: skip
        assert datetime.fromisoformat(row["updated_datetime"]).tzinfo is not None
    assert len({row["update_id"] for row in body}) == 4


@pytest.mark.parametrize("fmt", FORMATS)
def test_it_keeps_updates_to_their_window_and_pages(client, followed, fmt):
    assert get(client, "open311-updates", fmt, end_date=when(hours=2))[1] == []
    assert len(get(client, "open311-updates", fmt)[1]) == 4  # the last 90 days by default
    assert len(get(client, "open311-updates", fmt, page_size=3)[1]) == 3
    assert len(get(client, "open311-updates", fmt, page_size=3, page=2)[1]) == 1

    status, body = get(client, "open311-updates", fmt, start_date="soon", page="-1")
    assert status == 400 and len(errors(body)) == 2


def test_it_shows_a_closed_status_in_the_request_and_its_time_as_updated(client, followed):
    parking, _theft = followed

    (row,) = get(client, "open311-request", "json", parking.tracking_number)[1]

    assert row["status"] == "closed" and row["status_notes"] == "Resolved"
    last = parking.events.exclude(to_status="").latest("created_at", "id")
    assert datetime.fromisoformat(row["updated_datetime"]) == last.created_at.replace(microsecond=0)
