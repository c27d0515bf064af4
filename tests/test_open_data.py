"""Open data (issue 15): the public figures as CSV and JSON, and a record per public (parking) report with
time to the hour and place to about 100 m. Every key and column of every output is checked against the
allowed fields; nothing personal ever appears, and theft and damage appear only as counts."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.utils import timezone

from reports import workflow
from reports.models import Channel, Report

from .factories import file_parking, make_report

pytestmark = pytest.mark.django_db

# Written out here, not imported: a field added to reports/open_data.py must be added here on purpose.
ALLOWED = {
    "parking-reports": [
        "reported_hour",
        "problem_code",
        "problem",
        "status",
        "outcome_code",
        "latitude",
        "longitude",
    ],
    "weekly-reports": ["week_start", "type_code", "channel", "reports"],
}
ABOUT = {"publisher", "licence", "documentation", "generated_at", "fields", "records"}
PERSONAL = (
    "Pat Private",
    "pat@example.org",
    "612-555-0142",
    "SECRET7",
    "blue hatchback by the alley",
    "PE-14",
)


@pytest.fixture
def filed(catalog, traffic_agent):
    make_report(
        "theft-bicycle",
        channel=Channel.WEB,
        contact_name="Pat Private",
        contact_email="pat@example.org",
        contact_phone="612-555-0142",
        description="blue hatchback by the alley",
    )
    parking = file_parking(
        vehicle_plate="SECRET7",
        latitude=44.97787,
        longitude=-93.26519,
        description="blue hatchback by the alley",
        contact_name="Pat Private",
    ).report
    moment = datetime(2026, 11, 20, 14, 47, 31, tzinfo=ZoneInfo("America/Chicago"))
    Report.objects.filter(pk=parking.pk).update(created_at=moment)
    workflow.dispatch(parking, by=traffic_agent, unit="PE-14")
    workflow.resolve(parking, by=traffic_agent, outcome="citation_issued", note="Plate SECRET7 cited")
    return parking


def fetch(name: str, extension: str):
    response = Client().get(f"/figures/open-data/{name}.{extension}")
    assert response.status_code == 200
    return response


@pytest.mark.parametrize("name", sorted(ALLOWED))
def test_every_key_and_column_is_an_allowed_field(filed, name):
    as_json = json.loads(fetch(name, "json").content)
    assert set(as_json) == ABOUT
    assert as_json["fields"] == ALLOWED[name]
    assert as_json["records"], name
    for record in as_json["records"]:
        assert list(record) == ALLOWED[name]

    table = list(csv.reader(io.StringIO(fetch(name, "csv").content.decode())))
    assert table[0] == ALLOWED[name]
    assert all(len(row) == len(ALLOWED[name]) for row in table[1:])

    for body in (fetch(name, "json").content.decode(), fetch(name, "csv").content.decode()):
        for private in PERSONAL:
            assert private not in body


def test_a_parking_record_is_rounded_to_the_hour_and_the_block(filed):
    (record,) = json.loads(fetch("parking-reports", "json").content)["records"]
    assert record == {
        "reported_hour": "2026-11-20T14:00:00-06:00",
        "problem_code": "parking-fire-hydrant",
        "problem": "Parked at a fire hydrant",
        "status": "resolved",
        "outcome_code": "citation_issued",
        "latitude": 44.978,
        "longitude": -93.265,
    }


def test_theft_and_damage_appear_only_as_counts(filed):
    records = json.loads(fetch("parking-reports", "json").content)["records"]
    assert {record["problem_code"] for record in records} == {"parking-fire-hydrant"}
    weekly = json.loads(fetch("weekly-reports", "json").content)["records"]
    theft = [row for row in weekly if row["type_code"] == "theft"]
    assert theft == [
        {"week_start": theft[0]["week_start"], "type_code": "theft", "channel": "web", "reports": 1}
    ]


def test_it_says_where_it_comes_from_and_under_which_licence(filed, settings):
    settings.OPEN_DATA_LICENCE = "https://example.org/city-open-data-licence"
    about = json.loads(fetch("weekly-reports", "json").content)
    assert about["licence"] == "https://example.org/city-open-data-licence"
    assert about["publisher"] == "Minneapolis 311"
    assert abs(datetime.fromisoformat(about["generated_at"]) - timezone.now()) < timedelta(minutes=1)
    page = Client().get("/figures/open-data/").content.decode()
    assert "https://example.org/city-open-data-licence" in page and "parking-reports.csv" in page


@pytest.mark.parametrize("path", ["reports.csv", "parking-reports.xml", "parking-reports.csv.json"])
def test_anything_else_is_not_found(catalog, path):
    assert Client().get(f"/figures/open-data/{path}").status_code == 404
