"""Edges of the public face of a report (open311/privacy.py), found by mutation testing: the exact times
and names a request and an update show, what a client with a key lists besides its own filings, which
changes its followers hear of, the `private` keyword of a catalog entry that has one already, and the
published photo of a single request as well as of a list.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from open311 import privacy
from reports import workflow
from reports.models import Report, ReportEvent, ReportSubtype
from reports.statuses import Status

from . import samples
from . import test_open311_support as support
from .flows import copies_made, file_report
from .test_open311_support import file_by_api, get, parking_params, theft_params

pytestmark = pytest.mark.django_db
api_key = support.api_key

SITE = "http://127.0.0.1:8000"


def dated(report: Report, when) -> Report:
    Report.objects.filter(pk=report.pk).update(created_at=when)
    report.refresh_from_db()
    return report


# --- Times and names -----------------------------------------------------------------------------------


@pytest.fixture
def event_clock(monkeypatch):
    """Status changes happen at the times a test sets (the audit trail cannot be edited afterwards)."""
    clock = {"now": timezone.now()}
    # Django reads a field's default through a cached property: the instance attribute takes its place.
    monkeypatch.setattr(ReportEvent._meta.get_field("created_at"), "_get_default", lambda: clock["now"])
    return clock


@pytest.mark.parametrize("fmt", support.FORMATS)
def test_a_request_shows_when_it_was_filed_and_when_its_status_last_changed(
    client, catalog, traffic_agent, event_clock, fmt
):
    filed = timezone.now().replace(microsecond=654321) - timedelta(hours=3)
    report = dated(support.make_report("parking-fire-hydrant"), filed)
    event_clock["now"] = filed + timedelta(hours=1)
    workflow.dispatch(report, by=traffic_agent, unit="PE-14")
    event_clock["now"] = filed + timedelta(hours=2)
    workflow.move(report, Status.RESOLVED, by=traffic_agent)
    event_clock["now"] = filed + timedelta(hours=2, minutes=30)
    workflow.add_note(report, by=traffic_agent, text="Ticket written")  # not a status change

    (row,) = get(client, "open311-request", fmt, report.tracking_number)[1]

    local = timezone.localtime(filed).replace(microsecond=0)
    assert row["requested_datetime"] == local.isoformat()
    assert row["updated_datetime"] == (local + timedelta(hours=2)).isoformat()
    assert row["requested_datetime"].endswith(("-05:00", "-06:00"))  # the city's time, with its offset
    assert (
        row["service_name"] == "Parked at a fire hydrant"
        and row["agency_responsible"] == "Traffic Control — parking"
    )


def test_a_request_never_changed_was_last_updated_when_it_was_filed(catalog):
    filed = timezone.now().replace(microsecond=0) - timedelta(days=2)
    report = dated(support.make_report("parking-fire-hydrant"), filed)

    row = privacy.public_request(report)  # straight from the row, nothing prefetched

    assert row["requested_datetime"] == row["updated_datetime"] == timezone.localtime(filed).isoformat()


def test_the_times_read_without_prefetching_are_the_same_as_in_a_list(
    client, catalog, traffic_agent, event_clock
):
    report = support.make_report("parking-fire-hydrant")
    start = timezone.now() - timedelta(hours=1)
    for minutes, status in ((10, Status.DISPATCHED), (20, Status.ON_SCENE)):
        event_clock["now"] = start + timedelta(minutes=minutes)
        workflow.move(report, status, by=traffic_agent)
    event_clock["now"] = start + timedelta(minutes=40)
    workflow.move(report, Status.RESOLVED, by=traffic_agent, is_public=False)  # not for the public

    alone = privacy.public_request(Report.objects.get(pk=report.pk))
    (listed,) = get(client, "open311-requests", "json")[1]

    assert (
        alone["updated_datetime"] == listed["updated_datetime"] == privacy.iso(start + timedelta(minutes=20))
    )
    assert alone == {key: listed[key] for key in alone}


def test_an_update_shows_when_the_status_changed(client, catalog, traffic_agent, event_clock):
    report = support.make_report("parking-fire-hydrant")
    when = timezone.now().replace(microsecond=250000) - timedelta(minutes=42)
    event_clock["now"] = when
    event = workflow.dispatch(report, by=traffic_agent, unit="PE-14")

    (update,) = get(client, "open311-updates", "json")[1]

    assert update["update_id"] == str(event.pk)
    assert update["updated_datetime"] == timezone.localtime(when).replace(microsecond=0).isoformat()


def test_iso_gives_the_local_time_to_the_second():
    moment = datetime(2026, 7, 4, 17, 30, 15, 999999, tzinfo=UTC)

    assert privacy.iso(moment) == "2026-07-04T12:30:15-05:00"


# --- Who sees what ---------------------------------------------------------------------------------------


def test_a_client_with_a_key_lists_the_public_reports_besides_its_own_private_filing(client, api_key):
    theft = file_by_api(client, theft_params(api_key))
    neighbour = support.make_report("parking-fire-hydrant")
    someone_elses_theft = support.make_report("theft-bicycle")

    listed = get(client, "open311-requests", "json", api_key=api_key)[1]
    anonymous = get(client, "open311-requests", "json")[1]

    numbers = {row["service_request_id"] for row in listed}
    assert numbers == {theft.tracking_number, neighbour.tracking_number}
    assert someone_elses_theft.tracking_number not in numbers
    assert [row["service_request_id"] for row in anonymous] == [neighbour.tracking_number]


@pytest.mark.parametrize(
    ("is_public", "to_status", "followed"),
    [
        (True, Status.DISPATCHED, True),
        (False, Status.DISPATCHED, False),
        (True, "", False),
        (False, "", False),
    ],
)
def test_a_client_hears_of_public_status_changes_only(is_public, to_status, followed):
    assert privacy.is_followed_change(ReportEvent(is_public=is_public, to_status=to_status)) is followed


def test_a_status_change_kept_from_the_public_is_not_shown_to_its_client(client, api_key, traffic_agent):
    report = file_by_api(client, parking_params(api_key))
    hidden = workflow.move(report, Status.DISPATCHED, by=traffic_agent, is_public=False)

    assert not privacy.is_followed_change(hidden)
    updates = get(client, "open311-updates", "json", api_key=api_key)[1]
    assert [update["external_status_code"] for update in updates] == [Status.SUBMITTED]


def test_a_private_service_says_private_once_even_when_its_keywords_already_do(client, catalog):
    bicycle = ReportSubtype.objects.get(code="theft-bicycle")
    bicycle.keywords = "bike, Private, bicycle, PRIVATE"
    bicycle.save()

    services = {row["service_code"]: row for row in get(client, "open311-services", "json")[1]}

    assert services["theft-bicycle"]["keywords"] == "private,bike,bicycle"


# --- The published photo ---------------------------------------------------------------------------------


@pytest.fixture
def with_photo(catalog, settings):
    settings.OPEN311_PUBLISH_PHOTOS = True
    photo = samples.upload("scene.jpg", samples.jpeg_bytes(), "image/jpeg")
    file_report(Client(), "parking-blocked-driveway", files=[photo])
    copies_made()
    return Report.objects.get()


def test_a_single_request_read_straight_from_its_row_links_its_photo(with_photo):
    photo = with_photo.evidence.get()

    row = privacy.public_request(Report.objects.get(pk=with_photo.pk))

    assert row["media_url"] == f"{SITE}/open311/media/{photo.public_id}.jpg"


def test_a_request_links_the_first_photo_filed_with_it(catalog, settings):
    settings.OPEN311_PUBLISH_PHOTOS = True
    photos = [samples.upload(f"{n}.jpg", samples.jpeg_bytes(), "image/jpeg") for n in ("first", "second")]
    file_report(Client(), "parking-blocked-driveway", files=photos)
    copies_made()
    report = Report.objects.get()
    first = report.evidence.order_by("created_at", "id").first()

    assert privacy.public_request(Report.objects.get(pk=report.pk))["media_url"].endswith(
        f"/{first.public_id}.jpg"
    )


def test_a_list_of_requests_with_photos_reads_them_in_a_fixed_number_of_queries(client, with_photo):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            rows = get(client, "open311-requests", "json")[1]
        assert all(row["media_url"].startswith(f"{SITE}/open311/media/") for row in rows)
        return len(captured)

    one = queries()
    for _ in range(3):
        file_report(
            Client(),
            "parking-blocked-driveway",
            files=[samples.upload("more.jpg", samples.jpeg_bytes(), "image/jpeg")],
        )
    copies_made()

    assert queries() == one
