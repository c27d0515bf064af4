"""The OpenAPI description (/open311/v2/openapi.json) and the API agree: Schemathesis generates requests
for every operation from it, valid and invalid, and checks each answer against it: no 500, no body that
breaks its schema, no status code or content type it does not list, Retry-After where it says so.

Marked fuzz: HYPOTHESIS_PROFILE sets the examples an operation (40 in CI, 2,500 at night). The calls go
through the WSGI application in this process, on the test database.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.test import Client
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from open311 import openapi
from reports import workflow

from .test_open311_support import file_by_api, new_key, parking_params, theft_params

ROOT = Path(__file__).resolve().parent.parent
SERVER = "http://localhost"  # the WSGI test client's host

DESCRIPTION = openapi.description(SERVER)
schema = schemathesis.openapi.from_dict(DESCRIPTION)
schema.app = get_wsgi_application()


# --- XML, which Schemathesis does not read: each element checked against the same schema -------------------


def resolved(part: dict) -> dict:
    while "$ref" in part:
        part = DESCRIPTION["components"]["schemas"][part["$ref"].rsplit("/", 1)[1]]
    return part


def xml_conforms(element: ET.Element, part: dict, where: str) -> None:
    part = resolved(part)
    kind = part.get("type")
    if kind == "array":
        for child in element:
            item = resolved(part["items"])
            assert child.tag == item.get("xml", {}).get("name", child.tag), f"{where}: <{child.tag}>"
            xml_conforms(child, item, f"{where}/{child.tag}")
    elif kind == "object":
        found = [child.tag for child in element]
        assert len(found) == len(set(found)), f"{where}: a field twice in {found}"
        assert set(found) <= set(part["properties"]), (
            f"{where}: undescribed {set(found) - set(part['properties'])}"
        )
        assert set(part.get("required", [])) <= set(found), (
            f"{where}: missing {set(part['required']) - set(found)}"
        )
        for child in element:
            xml_conforms(child, part["properties"][child.tag], f"{where}/{child.tag}")
    else:
        assert not list(element), f"{where}: a value with elements in it"
        text = element.text or ""
        if kind == "boolean":
            assert text in ("true", "false"), f"{where}: {text!r} is not true or false"
        elif kind == "integer":
            assert text.lstrip("-").isdigit(), f"{where}: {text!r} is not a whole number"
        elif "enum" in part:
            assert text in part["enum"], f"{where}: {text!r} is not one of {part['enum']}"


@schemathesis.check
def xml_conformance(ctx, response, case):
    """The XML twin of response_schema_conformance: the root, every element and every value."""
    content_type = response.headers.get("content-type") or response.headers.get("Content-Type") or [""]
    if not (content_type[0] if isinstance(content_type, list) else content_type).startswith("text/xml"):
        return None
    operation = DESCRIPTION["paths"][case.operation.path][case.operation.method.lower()]
    described = operation["responses"][str(response.status_code)]["content"]["text/xml"]["schema"]
    document = ET.fromstring(response.content)
    root = resolved(described).get("xml", {}).get("name")
    assert document.tag == root, f"the root is <{document.tag}>, not <{root}>"
    xml_conforms(document, described, root)
    return True


CHECKS = [
    xml_conformance,
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]


@pytest.fixture
def world(catalog, settings, traffic_agent):
    """Reports of every kind, one followed by its client, and a key the generated requests use."""
    settings.OPEN311_RATE = "1000000/m"
    settings.ALLOWED_HOSTS = ["localhost", "testserver"]
    key = new_key("Schemathesis")
    parking = file_by_api(Client(), parking_params(key))
    workflow.dispatch(parking, by=traffic_agent, unit="PE-14")
    file_by_api(Client(), theft_params(key))
    # As Django's test client does: the handler must not close the test's connection after each request.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield key
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def with_the_key(case, key: str) -> None:
    """A generated key is almost never a real one: most requests use the real key, so they get past it."""
    if isinstance(case.query, dict) and "api_key" in case.query:
        case.query["api_key"] = key
    if isinstance(case.body, dict) and "api_key" in case.body:
        case.body["api_key"] = key


@pytest.mark.fuzz
@schema.parametrize()
@settings(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
def test_the_api_answers_as_its_description_says(case, world):
    with_the_key(case, world)
    case.call_and_validate(checks=CHECKS)


# --- The description itself -----------------------------------------------------------------------------


def test_it_serves_its_description_built_from_the_request(client, catalog, settings):
    settings.SITE_URL_IS_SET = False
    settings.ALLOWED_HOSTS = ["311.example.gov"]

    response = client.get("/open311/v2/openapi.json", HTTP_HOST="311.example.gov")

    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    described = response.json()
    assert described["openapi"] == "3.1.0" and described["servers"] == [{"url": "http://311.example.gov"}]
    paths = set(described["paths"])
    for fmt in ("xml", "json"):
        assert f"/open311/v2/servicerequestupdates.{fmt}" in paths
        assert {"get", "post"} <= set(described["paths"][f"/open311/v2/requests.{fmt}"])
    assert "serviceRequestUpdated" in described["webhooks"]
    assert client.get("/open311/v2/openapi.xml", HTTP_HOST="311.example.gov").status_code == 404


def test_it_is_a_valid_openapi_31_document():
    from jsonschema.validators import Draft202012Validator

    document = openapi.description(SERVER)
    for component in document["components"]["schemas"].values():
        Draft202012Validator.check_schema(component)
    schemathesis.openapi.from_dict(document).validate()


def test_the_copy_in_the_docs_is_the_served_one(catalog, settings):
    settings.CITY_NAME = "Minneapolis"
    copy = ROOT / "docs" / "open311-openapi.json"

    served = json.dumps(openapi.description("https://311.example.gov"), indent=2, ensure_ascii=False) + "\n"

    assert copy.read_text() == served, "regenerate docs/open311-openapi.json (see docs/open311.md, OpenAPI)"
