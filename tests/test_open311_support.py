"""Helpers for the Open311 tests: calling the API in either format and reading both the same way.

XML is parsed with a real parser (xml.etree) and turned into the same lists and dicts as the JSON, so
each test can run in both formats and compare plain values.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import datetime, timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from open311.models import ApiClient
from reports.models import Report

from . import factories

FORMATS = ["xml", "json"]
INSIDE = {"lat": "44.977812", "long": "-93.265011"}  # downtown Minneapolis
OUTSIDE = {"lat": "45.201000", "long": "-93.601000"}  # well beyond the city limits
LISTS = {"attributes", "values", "endpoints", "formats", "extensions"}
LIST_ROOTS = {"services", "service_requests", "service_request_updates", "errors"}
SAFE = {
    "in_danger": "no",
    "happening_now": "no",
    "suspect_known": "no",
    "inside_city": "yes",
    "excluded_items": "no",
    "over_value_cap": "no",
}


# --- Calling the API -----------------------------------------------------------------------------------


def url(name: str, fmt: str, *args: str) -> str:
    return reverse(name, kwargs={"fmt": fmt, **dict(zip(URL_ARGS.get(name, ()), args, strict=False))})


URL_ARGS = {
    "open311-service": ("service_code",),
    "open311-request": ("service_request_id",),
    "open311-token": ("token",),
}


def get(client: Client, name: str, fmt: str, *args: str, **params) -> tuple[int, object]:
    response = client.get(url(name, fmt, *args), params)
    return response.status_code, read(response, fmt)


def post(client: Client, fmt: str, params: dict) -> tuple[int, object]:
    response = client.post(url("open311-requests", fmt), params)
    return response.status_code, read(response, fmt)


def post_update(client: Client, fmt: str, params: dict) -> tuple[int, object]:
    response = client.post(url("open311-updates", fmt), params)
    return response.status_code, read(response, fmt)


def read(response, fmt: str):
    expected = {"xml": "text/xml; charset=utf-8", "json": "application/json; charset=utf-8"}[fmt]
    assert response["Content-Type"] == expected
    if fmt == "json":
        return response.json()
    return from_xml(ET.fromstring(response.content))


def from_xml(element: ET.Element):
    """An XML document as the JSON one: a root of repeated items is a list, an item with children a dict."""
    children = list(element)
    if not children and element.tag not in LISTS | LIST_ROOTS:
        return element.text or ""
    if element.tag in LISTS or element.tag in LIST_ROOTS:
        return [from_xml(child) for child in children]
    return {child.tag: from_xml(child) for child in children}


def plain(value) -> str:
    """A field as text, whichever format it came in: XML has only text, JSON has types."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def errors(body) -> list[tuple[str, str]]:
    return [(plain(row["code"]), row["description"]) for row in body]


# --- Data ----------------------------------------------------------------------------------------------


@pytest.fixture
def api_key(catalog) -> str:
    return new_key("Test app")


def new_key(name: str, **fields) -> str:
    client = ApiClient(name=name, contact_email="dev@example.org", **fields)
    key = client.issue_key()
    client.save()
    return key


def file_by_api(client: Client, params: dict) -> Report:
    status, body = post(client, "json", params)
    assert status == 200, body
    return Report.objects.get(tracking_number=body[0]["service_request_id"])


def moment(**ago) -> str:
    return (timezone.localtime() - timedelta(**ago)).isoformat(timespec="seconds")


def parking_params(key: str, **overrides) -> dict:
    params = {
        "api_key": key,
        "service_code": "parking-blocked-driveway",
        **INSIDE,
        "attribute[in_danger]": "no",
        "attribute[inside_city]": "yes",
        "attribute[occurred_from]": moment(minutes=20),
        "attribute[vehicle_plate]": "API 777",
        "attribute[vehicle_state]": "MN",
        "attribute[vehicle-there-now]": "yes",
        "attribute[driveway-yours]": "yes",
        "description": "Blocking my driveway since the morning.",
        "first_name": "Pat",
        "last_name": "Apiuser",
        "email": "pat.apiuser@example.org",
        "phone": "612-555-0142",
    }
    params.update(overrides)
    return {key: value for key, value in params.items() if value is not None}


def theft_params(key: str, **overrides) -> dict:
    params = {
        "api_key": key,
        "service_code": "theft-bicycle",
        "address_string": "3512 Bryant Ave S",
        **{f"attribute[{name}]": value for name, value in SAFE.items()},
        "attribute[occurred_from]": moment(hours=6),
        "attribute[occurred_to]": moment(hours=1),
        "attribute[stolen_item]": "Blue Trek bike",
        "attribute[stolen_item_value]": "650",
        "description": "Taken from the rack behind the building.",
        "first_name": "Robin",
        "last_name": "Bikeless",
        "email": "robin@example.org",
    }
    params.update(overrides)
    return {key: value for key, value in params.items() if value is not None}


def make_report(subtype_code: str = "parking-fire-hydrant", **overrides) -> Report:
    """A report row straight into the table, for tests about reading many of them."""
    return factories.make_report(subtype_code, **overrides)


def make_reports(count: int, subtype_code: str = "parking-fire-hydrant", *, start: datetime) -> None:
    subtype = factories.subtype_named(subtype_code)
    Report.objects.bulk_create(
        factories.report_row(
            subtype,
            tracking_number=f"{n:04d}-BULK"[-9:],
            occurred_from=start,
            sla_due_at=start,
            created_at=start + timedelta(seconds=n),
        )
        for n in range(count)
    )
