"""FixMyStreet as the front end: its calls replayed over HTTP against the live server, with the parameters
its perllib/Open311.pm sends and read the way it reads them (XML::Simple with the group tags forced to
lists, empty elements as undef).

- PopulateServiceList: services.xml, services/{code}.xml; `private` marks the non-public categories.
- send-reports: POST requests.xml with attribute[…] for every extra field (attribute[fixmystreet_id]
  among them), several media_url when multi_photos is on; then tokens/{token}.xml as its fallback.
- fetch-comments (GetServiceRequestUpdates): GET servicerequestupdates.xml with api_key and a two-hour
  window in UTC.
- send-comments (PostServiceRequestUpdates): POST servicerequestupdates.xml.
- open311-update-reports (GetUpdates, bodies with send_comments=0): requests.xml with every open id.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta

import pytest
import requests
from django.test import Client

from open311.models import ApiUpdate
from reports import workflow
from reports.models import Report, ReportEvent
from reports.statuses import Status

from .flows import file_report
from .test_open311_support import SAFE, moment, new_key

GROUP_TAGS = {
    "service",
    "attribute",
    "value",
    "request",
    "error",
    "request_update",
}  # Open311.pm's ForceArray


def xml_simple(text: bytes) -> dict:
    """The root's children as XML::Simple gives them to FixMyStreet."""
    return read_element(ET.fromstring(text))


def read_element(element: ET.Element):
    children = list(element)
    if not children:
        return element.text  # SuppressEmpty => undef: None for an empty element
    read: dict = {}
    for child in children:
        value = read_element(child)
        if child.tag in GROUP_TAGS:
            read.setdefault(child.tag, []).append(value)
        else:
            read[child.tag] = value
    return read


def w3c(moment: datetime) -> str:
    # DateTime::Format::W3CDTF->format_datetime of a UTC DateTime.
    return f"{moment.astimezone(UTC):%Y-%m-%dT%H:%M:%SZ}"


class FixMyStreet:
    """One body's Open311 settings in FixMyStreet, making the calls its scripts make."""

    def __init__(self, endpoint: str, api_key: str):
        self.endpoint, self.api_key, self.jurisdiction = endpoint, api_key, "minneapolis"

    def get(self, path: str, params: dict | None = None) -> requests.Response:
        return requests.get(
            self.endpoint + path, {**(params or {}), "jurisdiction_id": self.jurisdiction}, timeout=60
        )

    def post(self, path: str, params: dict) -> requests.Response:
        body = {"jurisdiction_id": self.jurisdiction, "api_key": self.api_key, **params}
        return requests.post(self.endpoint + path, data=body, timeout=60)

    def send_report(self, problem_id: int, service_code: str, extra: dict, **fields) -> str:
        params = {
            "description": f"Blocked since 7am\n\nA grey van across the whole driveway.\n\n"
            f"https://fms.example.org/report/{problem_id}\n",
            "service_code": service_code,
            "first_name": "Pat",
            "last_name": "Lee",
            "email": "pat.lee@example.org",
            "phone": "612-555-0142",
            "lat": "44.977812",
            "long": "-93.265011",
            "media_url": [f"https://fms.example.org/photo/{problem_id}.{n}.full.jpeg" for n in range(2)],
            "attribute[fixmystreet_id]": str(problem_id),
            **{f"attribute[{name}]": value for name, value in extra.items()},
            **fields,
        }
        response = self.post("requests.xml", params)
        assert response.status_code == 200, response.text
        request = xml_simple(response.content)["request"][0]
        if request.get("service_request_id"):
            return request["service_request_id"]
        return self.request_id_from_token(request["token"])

    def request_id_from_token(self, token: str) -> str:
        return xml_simple(self.get(f"tokens/{token}.xml").content)["request"][0]["service_request_id"]

    def fetch_comments(self, start: datetime, end: datetime) -> list[dict]:
        response = self.get(
            "servicerequestupdates.xml",
            {"api_key": self.api_key, "start_date": w3c(start), "end_date": w3c(end)},
        )
        assert response.status_code == 200, response.text
        return xml_simple(response.content).get("request_update", []) if response.content.strip() else []

    def send_comment(self, comment_id: int, request_id: str, text: str, **fields) -> str | None:
        params = {
            "updated_datetime": w3c(datetime.now(UTC)),
            "service_request_id": request_id,
            "status": "OPEN",
            "description": text,
            "last_name": "Lee",
            "first_name": "Pat",
            "email": "pat.lee@example.org",
            "update_id": str(comment_id),
            **fields,
        }
        response = self.post("servicerequestupdates.xml", params)
        if response.status_code != 200:
            return None  # FixMyStreet counts a failure and tries again later
        update_id = xml_simple(response.content)["request_update"][0]["update_id"]
        return update_id if isinstance(update_id, str) else None

    def update_reports(self, external_ids: list[str]) -> requests.Response:
        # URI->query_form escapes the commas: ABCD-EFGH%2CIJKL-MNOP…
        return self.get("requests.xml", {"service_request_id": ",".join(external_ids)})


@pytest.fixture
def fms(live_server, catalog) -> FixMyStreet:
    return FixMyStreet(f"{live_server.url}/open311/v2/", new_key("FixMyStreet"))


PARKING = {
    **{name: SAFE[name] for name in ("in_danger", "inside_city")},
    "occurred_from": "",  # filled per test: a time with its zone
    "vehicle_plate": "FMS 100",
    "vehicle_state": "MN",
    "vehicle-there-now": "yes",
    "driveway-yours": "yes",
}


def test_fixmystreet_loads_the_categories_and_sees_which_are_private(fms):
    services = xml_simple(fms.get("services.xml").content)["service"]

    non_public = {s["service_code"] for s in services if "private" in (s["keywords"] or "").split(",")}
    assert {"theft-bicycle", "theft-other", "damage-graffiti"} <= non_public
    assert not any(code.startswith("parking-") for code in non_public)
    definition = xml_simple(fms.get("services/parking-blocked-driveway.xml").content)
    attributes = definition["attributes"]["attribute"]
    assert sorted(attributes, key=lambda a: int(a["order"]))[0]["code"] == "in_danger"


def test_fixmystreet_files_follows_and_comments_on_a_report(fms, traffic_agent):
    started = datetime.now(UTC)
    extra = {**PARKING, "occurred_from": moment(minutes=30)}

    request_id = fms.send_report(41, "parking-blocked-driveway", extra)

    report = Report.objects.get(tracking_number=request_id)
    assert report.channel == "api" and report.api_filing.media_urls == [
        "https://fms.example.org/photo/41.0.full.jpeg",
        "https://fms.example.org/photo/41.1.full.jpeg",
    ]
    assert fms.request_id_from_token(request_id) == request_id
    workflow.dispatch(report, by=traffic_agent, unit="PE-14")

    updates = fms.fetch_comments(started - timedelta(hours=2), datetime.now(UTC) + timedelta(seconds=5))

    mine = [u for u in updates if u["service_request_id"] == request_id]
    assert [u["status"] for u in mine] == ["open", "action_scheduled"]
    assert all(u["update_id"] and u["updated_datetime"] for u in mine)
    comment_id = fms.send_comment(901, request_id, "Still there at noon.")
    assert comment_id == str(report.events.get(kind=ReportEvent.Kind.RESIDENT_REPLY).pk)
    assert fms.send_comment(901, request_id, "Still there at noon.") == comment_id  # a retry: same answer
    assert ApiUpdate.objects.get().update_id == "901"
    report.refresh_from_db()
    assert report.status == Status.DISPATCHED and report.updated_by_resident


def test_fixmystreet_follows_its_own_private_report(fms, report_taker):
    started = datetime.now(UTC)
    theft = {
        **SAFE,
        "occurred_from": moment(hours=6),
        "occurred_to": moment(hours=1),
        "stolen_item": "Blue Trek bike",
        "stolen_item_value": "650",
    }
    request_id = fms.send_report(42, "theft-bicycle", theft, address_string="3512 Bryant Ave S")
    report = Report.objects.get(tracking_number=request_id)
    workflow.request_info(report, by=report_taker, message="What colour was it?")

    updates = fms.fetch_comments(started - timedelta(hours=2), datetime.now(UTC) + timedelta(seconds=5))

    assert [(u["service_request_id"], u["status"]) for u in updates] == [
        (request_id, "open"),
        (request_id, "investigating"),
    ]
    assert fms.send_comment(902, request_id, "Blue, with a basket.")
    report.refresh_from_db()
    assert report.status == Status.IN_REVIEW  # the answer it was waiting for
    # Nobody else sees it: not without the key, not as a list.
    assert requests.get(f"{fms.endpoint}requests/{request_id}.xml", timeout=60).status_code == 404


def test_fixmystreet_polls_1000_open_reports_in_one_get(fms, traffic_agent):
    file_report(Client(), "parking-fire-hydrant")
    open_one = Report.objects.get()
    workflow.dispatch(open_one, by=traffic_agent, unit="PE-3")
    ids = [f"{n:04d}-ZZZZ" for n in range(999)] + [open_one.tracking_number]

    response = fms.update_reports(ids)

    assert response.status_code == 200 and len(response.request.url) > 12_000
    (request,) = xml_simple(response.content)["request"]
    assert request["service_request_id"] == open_one.tracking_number
    assert request["status_notes"] == "Enforcement dispatched"  # GetUpdates uses it as the comment text


def test_fixmystreet_reads_an_error_list(fms):
    response = fms.post(
        "requests.xml", {"service_code": "parking-blocked-driveway", "attribute[in_danger]": "yes"}
    )

    assert response.status_code == 400
    (error,) = xml_simple(response.content)["error"]
    assert error["code"] == "400" and error["description"].startswith("Call 911 now.")
