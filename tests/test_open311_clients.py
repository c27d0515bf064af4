"""An independent client from PyPI drives the API over HTTP: `georeport` (0.3), every call it has, in both
formats, against the live server. It parses XML with xmltodict and JSON with requests, as it would a city's
endpoint."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client
from georeport import GeoReport

from reports import workflow

from .test_open311_support import file_by_api, new_key, parking_params, theft_params

FORMATS = ["xml", "json"]


@pytest.fixture
def city(live_server, catalog, traffic_agent):
    key = new_key("georeport")
    parking = file_by_api(Client(), parking_params(key))
    workflow.dispatch(parking, by=traffic_agent, unit="PE-14")
    theft = file_by_api(Client(), theft_params(key))
    return {"root": f"{live_server.url}/open311/v2", "parking": parking, "theft": theft}


def as_list(value) -> list:
    # xmltodict gives a dict for an element that occurs once, a list for one that repeats.
    return value if isinstance(value, list) else [value]


@pytest.mark.parametrize("fmt", FORMATS)
def test_georeport_lists_the_services(city, fmt):
    services = GeoReport(city["root"], jurisdiction="minneapolis", output_format=fmt).get_service_list()

    by_code = {service["service_code"]: service for service in services}
    assert "parking-fire-hydrant" in by_code and "theft-bicycle" in by_code
    assert by_code["theft-bicycle"]["keywords"].split(",")[0] == "private"
    assert str(by_code["parking-fire-hydrant"]["metadata"]).lower() == "true"


@pytest.mark.parametrize("fmt", FORMATS)
def test_georeport_reads_a_service_definition(city, fmt):
    client = GeoReport(city["root"], jurisdiction="minneapolis", output_format=fmt)

    definition = client.get_service_definition("parking-blocked-driveway")

    attributes = definition["attributes"]
    attributes = as_list(attributes["attribute"]) if fmt == "xml" else attributes
    codes = [attribute["code"] for attribute in attributes]
    assert codes[:2] == ["in_danger", "inside_city"] and "vehicle_plate" in codes
    danger = attributes[0]
    values = as_list(danger["values"]["value"]) if fmt == "xml" else danger["values"]
    assert [value["key"] for value in values] == ["no", "yes"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_georeport_queries_requests_with_every_filter_it_has(city, fmt):
    client = GeoReport(city["root"], jurisdiction="minneapolis", output_format=fmt)
    parking, theft = city["parking"], city["theft"]

    listed = as_list(client.get_service_requests())
    by_ids = as_list(
        client.get_service_requests(service_request_id=f"{parking.tracking_number},{theft.tracking_number}")
    )
    by_code = as_list(client.get_service_requests(service_code="parking-blocked-driveway", status="open"))
    # A window around now: georeport cannot read an empty XML list (it indexes into None), from any server.
    now = datetime.now(UTC)
    window = {
        "start_date": f"{now - timedelta(days=1):%Y-%m-%dT%H:%M:%SZ}",
        "end_date": f"{now + timedelta(hours=1):%Y-%m-%dT%H:%M:%SZ}",
    }
    dated = as_list(client.get_service_requests(**window))

    assert [row["service_request_id"] for row in listed] == [parking.tracking_number]  # theft: never public
    assert [row["service_request_id"] for row in by_ids] == [parking.tracking_number]
    assert [row["status_notes"] for row in by_code] == ["Enforcement dispatched"]
    assert [row["service_request_id"] for row in dated] == [parking.tracking_number]


@pytest.mark.parametrize("fmt", FORMATS)
def test_georeport_reads_one_request(city, fmt):
    client = GeoReport(city["root"], jurisdiction="minneapolis", output_format=fmt)

    request = client.get_service_request(city["parking"].tracking_number)

    assert request["service_request_id"] == city["parking"].tracking_number
    assert request["status"] == "open" and request["service_code"] == "parking-blocked-driveway"
