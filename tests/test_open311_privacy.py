"""Privacy: no theft or damage report and no personal field in any public response, for any filter;
places rounded to the block; photos only as public, location-stripped copies."""

from __future__ import annotations

import io
import itertools
import re

import pytest
from django.test import Client
from PIL import Image

from open311.privacy import NotPublic, public_request
from reports import evidence as evidence_files
from reports import submission, workflow
from reports.models import Evidence, Report, ReportSubtype
from reports.places import block_of
from reports.statuses import Status

from . import samples
from . import test_open311_support as support
from .flows import copies_made, file_report
from .test_open311_support import FORMATS, parking_params, post

pytestmark = pytest.mark.django_db
api_key = support.api_key

# Everything a resident or staff typed that must never come out of the public API.
SECRETS = {
    "contact_name": "Quentin Canaryname",
    "contact_email": "quentin.canary@example.org",
    "contact_phone": "612-555-0199",
    "description": "CANARY-DESCRIPTION of what happened",
    "location_detail": "CANARY-DETAIL behind the blue garage",
}
THEFT_SECRETS = {"items-0-description": "CANARY-ITEM gold watch", "items-0-serial_number": "CANARY-SERIAL-77"}
DAMAGE_SECRETS = {"damaged_property": "CANARY-DAMAGED-PROPERTY"}
PLATE = "CNRY123"
EXACT = {"latitude": "44.9491234", "longitude": "-93.2881234"}
STAFF_NOTE = "CANARY-STAFF-NOTE about Quentin"
REPLY = "CANARY-REPLY from the resident"
FORBIDDEN = [
    *SECRETS.values(),
    *THEFT_SECRETS.values(),
    *DAMAGE_SECRETS.values(),
    "Quentin",
    "Canaryname",
    "quentin.canary",
    "555-0199",
    "CANARY",
    PLATE,
    "CNRY 124",
    "CNRY124",
    "3512 Bryant",
    "44.9491",
    "-93.2881",
    "Pat Apiuser",
    "pat.apiuser",
    "612-555-0142",
    "API777",
    "44.9778",
]


@pytest.fixture
def everything(client, api_key, traffic_agent, report_taker):
    """A theft, a damage and two parking reports from the web, one from the API, with staff at work."""
    photo = samples.upload("scene.jpg", samples.jpeg_bytes(gps=True), "image/jpeg")
    receipt = samples.upload("receipt.pdf", samples.pdf_bytes(), "application/pdf")
    common = {**SECRETS, **EXACT, "address": "3512 Bryant Ave S, Apt 2"}
    file_report(
        Client(),
        "theft-bicycle",
        files=[samples.upload("bike.jpg", samples.jpeg_bytes())],
        **common,
        **THEFT_SECRETS,
    )
    file_report(Client(), "damage-graffiti", **common, **DAMAGE_SECRETS)
    file_report(
        Client(), "parking-blocked-driveway", files=[photo, receipt], **common, vehicle_plate="CNRY 124"
    )
    file_report(Client(), "parking-fire-hydrant", **common, vehicle_plate=PLATE)
    assert post(client, "json", parking_params(api_key, service_code="parking-double-parked"))[0] == 200
    copies_made()
    reports = {report.subtype.code: report for report in Report.objects.select_related("subtype")}
    staff_at_work(reports, traffic_agent, report_taker)
    return reports


def staff_at_work(reports, traffic_agent, report_taker) -> None:
    driveway, hydrant = reports["parking-blocked-driveway"], reports["parking-fire-hydrant"]
    workflow.move(driveway, Status.DISPATCHED, by=traffic_agent, note=STAFF_NOTE)
    workflow.move(driveway, Status.RESOLVED, by=traffic_agent, note=STAFF_NOTE)
    workflow.request_info(hydrant, by=traffic_agent, message=STAFF_NOTE)
    reply_photo = evidence_files.store_upload(samples.upload("reply.jpg", samples.jpeg_bytes()))
    submission.reply(hydrant, text=REPLY, uploads=[reply_photo])
    theft = reports["theft-bicycle"]
    workflow.request_info(theft, by=report_taker, message=STAFF_NOTE)
    workflow.add_note(reports["damage-graffiti"], by=report_taker, text=STAFF_NOTE)


def public_calls(reports: dict[str, Report]) -> list[tuple[str, dict]]:
    numbers = [report.tracking_number for report in reports.values()]
    codes = list(ReportSubtype.objects.values_list("code", flat=True))
    filters = [
        {},
        {"status": "open"},
        {"status": "closed"},
        {"status": "open,closed"},
        {"service_request_id": ",".join(numbers)},
        {"service_request_id": ",".join(numbers), "status": "closed"},
        {"service_code": ",".join(codes)},
        {"start_date": "2020-01-01T00:00:00Z", "end_date": "2020-03-01T00:00:00Z"},
        {"page_size": "1", "page": "1"},
        {"page_size": "1", "page": "2"},
        *({"service_code": code} for code in codes),
        *({"service_code": code, "status": status} for code in codes for status in ("open", "closed")),
    ]
    calls = [("open311-discovery", {}), ("open311-services", {})]
    calls += [("open311-requests", params) for params in filters]
    calls += [("open311-request", {"id": number}) for number in numbers]
    calls += [("open311-token", {"id": number}) for number in numbers]
    calls += [("open311-updates", params) for params in ({}, {"page_size": "2"})]
    calls += [("open311-service", {"id": code}) for code in codes]
    return calls


def fetch(client: Client, name: str, params: dict, fmt: str) -> str:
    params = dict(params)
    args = (params.pop("id"),) if "id" in params else ()
    response = client.get(support.url(name, fmt, *args), params)
    assert response.status_code in (200, 404), (name, params, response.content[:500])
    return response.content.decode()


def test_it_never_shows_private_reports_or_personal_data_for_any_filter(client, everything, settings):
    settings.OPEN311_RATE = "10000/m"  # the sweep makes a few hundred calls
    private = [everything["theft-bicycle"].tracking_number, everything["damage-graffiti"].tracking_number]
    public = [report.tracking_number for report in everything.values() if report.report_type.is_public]
    seen = ""
    for (name, params), fmt in itertools.product(public_calls(everything), FORMATS):
        body = fetch(client, name, params, fmt)
        for text in [*FORBIDDEN, *private, STAFF_NOTE, REPLY]:
            assert text.lower() not in body.lower(), (text, name, params, fmt)
        assert not re.search(r"-?\d+\.\d{4,}", body), (name, params, fmt)  # no coordinate finer than 3 places
        seen += body
    assert all(number in seen for number in public)  # the sweep did read the public reports


@pytest.mark.parametrize("fmt", FORMATS)
def test_it_rounds_the_place_to_the_block(client, everything, fmt):
    report = everything["parking-blocked-driveway"]

    _, body = support.get(client, "open311-request", fmt, report.tracking_number)

    (row,) = body
    assert row["address"] == "3500 block of Bryant Ave S"
    assert support.plain(row["lat"]) == "44.949" and support.plain(row["long"]) == "-93.288"


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("3512 Bryant Ave S", "3500 block of Bryant Ave S"),
        ("3512 Bryant Ave S, Apt 4", "3500 block of Bryant Ave S"),
        ("3512 Bryant Ave S #4", "3500 block of Bryant Ave S"),
        ("3512 Bryant Ave S Unit 5B", "3500 block of Bryant Ave S"),
        ("350 S 5th St", "300 block of S 5th St"),
        ("3512-3514 Bryant Ave S", "3500 block of Bryant Ave S"),
        ("5 Nicollet Mall", "0 block of Nicollet Mall"),
        ("Lake St & Hennepin Ave", "Lake St & Hennepin Ave"),
        ("Lake St and Hennepin Ave S", "Lake St & Hennepin Ave S"),
        ("44.977812, -93.265011", ""),
        ("MPLS-PARCEL-0042", ""),
        ("12 Elm", ""),
        ("John Smith's house", ""),
        ("in front of 3512 Bryant Ave S", ""),
        ("3512 Quentin Canaryname lives here on Bryant Ave", ""),
        ("", ""),
    ],
)
def test_it_keeps_only_the_block_of_an_address(address, public):
    assert block_of(address) == public


def test_it_refuses_to_give_a_private_report_a_public_face(catalog):
    theft = support.make_report("theft-package")

    with pytest.raises(NotPublic):
        public_request(theft)


# --- Photos ----------------------------------------------------------------------------------------


def media_of(client: Client, report: Report) -> str | None:
    (row,) = support.get(client, "open311-request", "json", report.tracking_number)[1]
    return row["media_url"]


def test_it_publishes_no_photo_unless_the_city_opts_in(client, everything):
    report = everything["parking-blocked-driveway"]
    photo = report.evidence.get(content_type="image/jpeg")
    assert media_of(client, report) is None
    assert client.get(f"/open311/media/{photo.public_id}.jpg").status_code == 404


def test_it_links_the_public_location_stripped_copy_of_the_filing_photo(client, everything, settings):
    settings.OPEN311_PUBLISH_PHOTOS = True
    report = everything["parking-blocked-driveway"]
    photo = report.evidence.get(content_type="image/jpeg")

    link = media_of(client, report)

    assert link == f"http://127.0.0.1:8000/open311/media/{photo.public_id}.jpg"
    response = client.get(link.removeprefix("http://127.0.0.1:8000"))
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    data = b"".join(response.streaming_content)
    with evidence_files.open_stored(photo.derived.name) as derived:
        assert data == derived.read()
    image = Image.open(io.BytesIO(data))
    assert not image.getexif() and b"Testcam" not in data and b"Elm Street" not in data


def test_it_serves_no_photo_of_a_private_report_or_a_later_one(client, everything, settings):
    settings.OPEN311_PUBLISH_PHOTOS = True
    theft_photo = everything["theft-bicycle"].evidence.get()
    reply_photo = everything["parking-fire-hydrant"].evidence.get()
    receipt = everything["parking-blocked-driveway"].evidence.get(content_type="application/pdf")

    assert media_of(client, everything["parking-fire-hydrant"]) is None  # only a reply photo
    for evidence in (theft_photo, reply_photo, receipt):
        assert client.get(f"/open311/media/{evidence.public_id}.jpg").status_code == 404
    assert client.get("/open311/media/00000000-0000-0000-0000-000000000000.jpg").status_code == 404
    assert Evidence.objects.filter(source="reply").count() == 1


def test_it_stops_serving_a_photo_when_its_type_stops_being_public(client, everything, settings):
    settings.OPEN311_PUBLISH_PHOTOS = True
    report = everything["parking-blocked-driveway"]
    photo = report.evidence.get(content_type="image/jpeg")
    report.report_type.is_public = False
    report.report_type.save()

    assert client.get(f"/open311/media/{photo.public_id}.jpg").status_code == 404
    assert support.get(client, "open311-requests", "json")[1] == []
