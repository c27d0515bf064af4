"""Open311 discovery, the service list and service definitions, and what every endpoint shares:
formats, methods, unknown paths, UTF-8."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest
from django.utils import translation

from reports.models import ReportSubtype

from .test_open311_support import FORMATS, errors, get, plain, url

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("fmt", FORMATS)
def test_it_describes_itself_at_discovery(client, catalog, fmt):
    status, body = get(client, "open311-discovery", fmt)

    assert status == 200
    assert body["changeset"] and body["contact"] and body["key_service"]
    (endpoint,) = body["endpoints"]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"] == "http://127.0.0.1:8000/open311/v2"
    assert endpoint["type"] == "production"
    assert endpoint["formats"] == ["text/xml", "application/json"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_it_lists_every_active_service_from_the_catalog(client, catalog, fmt):
    ReportSubtype.objects.filter(code="theft-other").update(active=False)

    status, body = get(client, "open311-services", fmt)

    assert status == 200
    codes = [row["service_code"] for row in body]
    assert "theft-other" not in codes
    assert set(codes) == set(ReportSubtype.objects.filter(active=True).values_list("code", flat=True))
    hydrant = next(row for row in body if row["service_code"] == "parking-fire-hydrant")
    assert set(hydrant) == {
        "service_code",
        "service_name",
        "description",
        "metadata",
        "type",
        "keywords",
        "group",
    }
    assert plain(hydrant["metadata"]) == "true" and hydrant["type"] == "realtime"
    assert hydrant["group"] == "Parking problem"
    assert hydrant["service_name"] == ReportSubtype.objects.get(code="parking-fire-hydrant").name


def test_it_names_services_in_the_language_asked_for(client, catalog):
    response = client.get(url("open311-services", "xml"), HTTP_ACCEPT_LANGUAGE="es")

    names = [service.findtext("service_name") for service in ET.fromstring(response.content)]
    assert "Robo de bicicleta" in names
    assert response.content.startswith(b'<?xml version="1.0" encoding="utf-8"?>')
    translation.activate("en")


def attribute(body, code: str) -> dict:
    return next(row for row in body["attributes"] if row["code"] == code)


@pytest.mark.parametrize("fmt", FORMATS)
def test_it_defines_a_parking_service_from_the_web_forms(client, catalog, fmt):
    status, body = get(client, "open311-service", fmt, "parking-blocked-driveway")

    assert status == 200 and body["service_code"] == "parking-blocked-driveway"
    codes = [row["code"] for row in body["attributes"]]
    # The eligibility screen first, then the details the web asks, then the catalog's questions.
    assert codes[:2] == ["in_danger", "inside_city"]
    assert {"occurred_from", "vehicle_plate", "vehicle_state", "vehicle-there-now", "driveway-yours"} <= set(
        codes
    )
    assert "suspect_known" not in codes  # parking does not ask it, on the web or here
    assert [plain(row["order"]) for row in body["attributes"]] == [str(n) for n in range(1, len(codes) + 1)]
    danger = attribute(body, "in_danger")
    assert danger["datatype"] == "singlevaluelist" and plain(danger["required"]) == "true"
    assert danger["values"] == [{"key": "no", "name": "No"}, {"key": "yes", "name": "Yes"}]
    assert "911" in danger["datatype_description"]
    city = attribute(body, "inside_city")
    assert [value["key"] for value in city["values"]] == ["no", "yes", "not_sure"]
    there = attribute(body, "vehicle-there-now")
    assert there["datatype"] == "singlevaluelist" and plain(there["required"]) == "true"
    assert attribute(body, "occurred_from")["datatype"] == "datetime"
    assert len(attribute(body, "vehicle_state")["values"]) == 51
    for row in body["attributes"]:
        assert set(row) == {"variable", "code", "datatype", "required", "order", "description", "values"} | {
            "datatype_description"
        }
        assert plain(row["variable"]) == "true"
        assert row["datatype"] in {
            "string",
            "number",
            "datetime",
            "text",
            "singlevaluelist",
            "multivaluelist",
        }


@pytest.mark.parametrize("fmt", FORMATS)
def test_it_defines_theft_with_every_eligibility_question_and_one_item(client, catalog, fmt):
    status, body = get(client, "open311-service", fmt, "theft-from-vehicle")

    assert status == 200
    codes = [row["code"] for row in body["attributes"]]
    assert codes[:6] == [
        "in_danger", "happening_now", "suspect_known", "inside_city", "excluded_items", "over_value_cap"
    ]  # fmt: skip
    assert "$10,000" in attribute(body, "over_value_cap")["description"]
    assert plain(attribute(body, "stolen_item")["required"]) == "true"
    assert attribute(body, "stolen_item_value")["datatype"] == "number"
    assert plain(attribute(body, "occurred_to")["required"]) == "true"
    locked = attribute(body, "vehicle-locked")
    assert [value["key"] for value in locked["values"]] == ["yes", "no", "not-sure"]
    assert attribute(body, "other-damage")["datatype"] == "text"
    assert "bike-locked" not in codes  # asked only for bicycles


def test_it_offers_multivaluelist_questions_from_the_catalog(client, catalog):
    from reports.models import Question, QuestionChoice, ReportType

    question = Question.objects.create(
        report_type=ReportType.objects.get(code="parking"),
        code="blocked-what",
        label="What is blocked?",
        datatype="multivaluelist",
    )
    QuestionChoice.objects.create(question=question, key="car", name="My car")
    QuestionChoice.objects.create(question=question, key="garage", name="My garage")

    status, body = get(client, "open311-service", "json", "parking-double-parked")

    row = attribute(body, "blocked-what")
    assert row["datatype"] == "multivaluelist" and row["required"] is False
    assert row["values"] == [{"key": "car", "name": "My car"}, {"key": "garage", "name": "My garage"}]


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("code", ["no-such-service", "théft", "a" * 300, "bad\x00code"])
def test_it_answers_an_unknown_service_with_404(client, catalog, fmt, code):
    status, body = get(client, "open311-service", fmt, code)

    assert status == 404
    ((number, description),) = errors(body)
    assert number == "404" and "service_code" in description


def test_it_hides_inactive_services(client, catalog):
    ReportSubtype.objects.filter(code="parking-fire-hydrant").update(active=False)

    assert get(client, "open311-service", "json", "parking-fire-hydrant")[0] == 404


@pytest.mark.parametrize(
    "path", ["/open311/v2/services.html", "/open311/v2/services.XML", "/open311/discovery.csv"]
)
def test_it_answers_an_unknown_format_with_404_in_xml(client, catalog, path):
    response = client.get(path)

    assert response.status_code == 404
    assert response["Content-Type"] == "text/xml; charset=utf-8"
    assert ET.fromstring(response.content).find("error/code").text == "404"


@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("/open311/v2/services", "text/xml; charset=utf-8"),
        ("/open311/v2/nothing.json", "application/json; charset=utf-8"),
        ("/open311/v3/services.xml", "text/xml; charset=utf-8"),
    ],
)
def test_it_answers_an_unknown_path_with_404_in_the_error_format(client, catalog, path, content_type):
    response = client.get(path)

    assert response.status_code == 404 and response["Content-Type"] == content_type


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(
    ("method", "name", "args"),
    [
        ("post", "open311-services", ()),
        ("put", "open311-requests", ()),
        ("delete", "open311-request", ("ABCD-EFGH",)),
        ("post", "open311-discovery", ()),
        ("patch", "open311-updates", ()),
    ],
)
def test_it_answers_a_wrong_method_with_405_in_the_error_format(client, catalog, fmt, method, name, args):
    response = getattr(client, method)(url(name, fmt, *args))

    assert response.status_code == 405
    assert "GET" in response["Allow"]
    body = response.json() if fmt == "json" else ET.fromstring(response.content)
    code = body[0]["code"] if fmt == "json" else body.find("error/code").text
    assert str(code) == "405"


def test_it_answers_head_like_get(client, catalog):
    assert client.head(url("open311-services", "json")).status_code == 200


def test_it_writes_utf8_in_both_formats(client, catalog):
    ReportSubtype.objects.filter(code="parking-fire-hydrant").update(name="Hidrante — “ñ” 🚒")

    xml_response = client.get(url("open311-services", "xml"))
    json_response = client.get(url("open311-services", "json"))

    names = [service.findtext("service_name") for service in ET.fromstring(xml_response.content)]
    assert "Hidrante — “ñ” 🚒" in names
    assert "Hidrante — “ñ” 🚒".encode() in json_response.content  # raw UTF-8, not \u escapes
    assert "Hidrante — “ñ” 🚒" in [row["service_name"] for row in json.loads(json_response.content)]


def test_it_drops_characters_xml_cannot_carry(client, catalog):
    ReportSubtype.objects.filter(code="parking-fire-hydrant").update(description="bad\x01\x0b text")

    response = client.get(url("open311-services", "xml"))

    services = ET.fromstring(response.content)  # would raise on a control character
    assert "bad text" in [service.findtext("description") for service in services]
