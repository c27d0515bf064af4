"""Private services and private filings: theft and damage carry FixMyStreet's `private` keyword, and the
client that filed one may follow it with its own key (status and times, nothing personal); nobody else
sees it."""

from __future__ import annotations

from datetime import datetime

import pytest

from reports import workflow
from reports.models import ReportSubtype
from reports.statuses import Status

from . import test_open311_support as support
from .test_open311_support import FORMATS, file_by_api, get, new_key, plain, theft_params

pytestmark = pytest.mark.django_db
api_key = support.api_key
PERSONAL = ["Robin", "Bikeless", "robin@example.org", "Blue Trek", "Taken from the rack", "3512 Bryant"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_it_marks_services_whose_requests_are_never_public_private(client, catalog, fmt):
    status, body = get(client, "open311-services", fmt)

    assert status == 200
    keywords = {row["service_code"]: row["keywords"] for row in body}
    private = set(ReportSubtype.objects.filter(report_type__is_public=False).values_list("code", flat=True))
    assert private >= {"theft-bicycle", "theft-other", "damage-graffiti"}
    for code, words in keywords.items():
        # FixMyStreet splits on the bare comma: `private` must be a whole item, with no space around it.
        items = words.split(",")
        assert ("private" in items) == (code in private), (code, words)
        assert all(item == item.strip() for item in items)
    assert keywords["theft-bicycle"].startswith("private,bike,bicycle")


@pytest.fixture
def theft(client, api_key, report_taker):
    report = file_by_api(client, theft_params(api_key))
    workflow.move(report, Status.IN_REVIEW, by=report_taker, note="CANARY staff note")
    return report


@pytest.mark.parametrize("fmt", FORMATS)
def test_it_shows_a_client_its_own_private_filing(client, api_key, theft, fmt):
    number = theft.tracking_number

    status, body = get(client, "open311-request", fmt, number, api_key=api_key)

    assert status == 200
    (row,) = body
    assert row["service_request_id"] == number and row["service_code"] == "theft-bicycle"
    assert row["status"] == "open" and row["status_notes"] == "In review"
    assert row["address"] == "3500 block of Bryant Ave S" and plain(row["media_url"]) == ""
    assert datetime.fromisoformat(row["updated_datetime"]).tzinfo is not None
    token = get(client, "open311-token", fmt, number, api_key=api_key)
    assert token == (200, [{"service_request_id": number, "token": number}])
    listed = get(client, "open311-requests", fmt, service_request_id=number, api_key=api_key)[1]
    assert [row["service_request_id"] for row in listed] == [number]
    assert number in [
        row["service_request_id"] for row in get(client, "open311-requests", fmt, api_key=api_key)[1]
    ]
    updates = get(client, "open311-updates", fmt, api_key=api_key)[1]
    assert [(row["service_request_id"], row["status"]) for row in updates] == [
        (number, "open"),
        (number, "investigating"),
    ]


@pytest.mark.parametrize("fmt", FORMATS)
def test_it_shows_nothing_personal_of_an_own_filing(client, api_key, theft, fmt):
    calls = [
        ("open311-request", (theft.tracking_number,), {}),
        ("open311-requests", (), {"service_request_id": theft.tracking_number}),
        ("open311-requests", (), {}),
        ("open311-updates", (), {}),
    ]
    for name, args, params in calls:
        response = client.get(support.url(name, fmt, *args), {**params, "api_key": api_key})
        assert response.status_code == 200 and theft.tracking_number in response.content.decode()
        for text in [*PERSONAL, "CANARY"]:
            assert text not in response.content.decode(), (text, name)


@pytest.mark.parametrize("fmt", FORMATS)
def test_it_shows_a_private_filing_to_nobody_else(client, api_key, theft, fmt):
    number = theft.tracking_number
    stranger = new_key("Stranger app")

    for key in ({}, {"api_key": stranger}):
        assert get(client, "open311-request", fmt, number, **key)[0] == 404
        assert get(client, "open311-token", fmt, number, **key)[0] == 404
        assert get(client, "open311-requests", fmt, service_request_id=number, **key)[1] == []
        assert get(client, "open311-requests", fmt, **key)[1] == []
        assert get(client, "open311-updates", fmt, **key)[1] == []
