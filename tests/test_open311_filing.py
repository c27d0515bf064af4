"""POST requests: filing through the API meets the web's own rules and follows the web's own path."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from open311.models import ApiFiling
from reports.models import Draft, OutboxMessage, Question, QuestionChoice, Report, ReportEvent, ReportType

from . import test_open311_support as support
from .test_open311_support import FORMATS, OUTSIDE, errors, parking_params, post, theft_params

pytestmark = pytest.mark.django_db
api_key = support.api_key


@pytest.mark.parametrize("fmt", FORMATS)
def test_it_files_a_parking_report_like_the_web_does(client, api_key, fmt):
    params = parking_params(
        api_key, account_id="acct-9", device_id="device-42", media_url="https://photos.example.org/p/1.jpg"
    )

    status, body = post(client, fmt, params)

    assert status == 200
    (row,) = body
    report = Report.objects.get()
    assert row["service_request_id"] == report.tracking_number
    assert row["account_id"] == "acct-9"
    assert "Traffic Control" in row["service_notice"]
    assert report.channel == "api" and report.status == "submitted"
    assert report.queue.code == "traffic-control" and report.subtype.code == "parking-blocked-driveway"
    assert report.vehicle_plate == "API777" and report.vehicle_state == "MN"
    assert (report.latitude, report.longitude) == (44.977812, -93.265011)
    assert report.address == "44.977812, -93.265011"
    assert report.contact_name == "Pat Apiuser" and report.contact_email == "pat.apiuser@example.org"
    assert report.contact_phone == "+16125550142"  # normalised, as the web form stores it
    assert report.eligibility == {"in_danger": "no", "inside_city": "yes"}
    assert report.answers["vehicle-there-now"] == "yes" and report.answers["driveway-yours"] == "yes"
    filed, handed_off = report.events.order_by("id")
    assert filed.kind == ReportEvent.Kind.FILED and filed.data["channel"] == "api"
    assert handed_off.kind == ReportEvent.Kind.HANDED_OFF  # the same path as a web report
    assert OutboxMessage.objects.get().dedupe_key == f"email:report-filed:{report.pk}:"
    filing = ApiFiling.objects.get(report=report)
    assert filing.client.name == "Test app" and filing.device_id == "device-42"
    assert filing.media_url == "https://photos.example.org/p/1.jpg" and filing.account_id == "acct-9"


def test_it_files_a_theft_report_with_an_address_and_one_item(client, api_key):
    status, body = post(
        client, "xml", theft_params(api_key, **{"attribute[stolen_item_serial_number]": "WTU123"})
    )

    assert status == 200, body
    report = Report.objects.get()
    assert body[0]["service_request_id"] == report.tracking_number
    assert report.queue.code == "theft-damage" and report.channel == "api"
    assert report.address == "3512 Bryant Ave S" and report.latitude is None
    (item,) = report.items.all()
    assert (item.description, item.serial_number, item.value) == ("Blue Trek bike", "WTU123", Decimal("650"))
    assert report.eligibility["over_value_cap"] == "no" and report.eligibility["excluded_items"] == "no"
    assert OutboxMessage.objects.filter(report=report, kind="email").exists()


def test_it_files_damage_at_an_address_id(client, api_key):
    params = theft_params(
        api_key,
        service_code="damage-graffiti",
        address_string=None,
        address_id="MPLS-PARCEL-0042",
        **{
            "attribute[excluded_items]": None,
            "attribute[stolen_item]": None,
            "attribute[stolen_item_value]": None,
            "attribute[damaged_property]": "Garage door",
            "attribute[estimated_cost]": "300",
            "attribute[property-owner]": "me",
            "attribute[graffiti-hateful]": "no",
        },
    )

    status, body = post(client, "json", params)

    assert status == 200, body
    report = Report.objects.get()
    assert report.address == "MPLS-PARCEL-0042" and report.damaged_property == "Garage door"
    assert ApiFiling.objects.get().address_id == "MPLS-PARCEL-0042"
    assert report.answers["property-owner"] == "me"


def test_it_takes_several_values_for_a_multivaluelist(client, api_key):
    question = Question.objects.create(
        report_type=ReportType.objects.get(code="parking"),
        code="blocked-what",
        label="What is blocked?",
        datatype="multivaluelist",
        required=True,
    )
    for key in ("car", "garage", "bins"):
        QuestionChoice.objects.create(question=question, key=key, name=key)
    params = parking_params(api_key, **{"attribute[blocked-what][]": ["car", "bins"]})

    status, body = post(client, "json", params)

    assert status == 200, body
    assert Report.objects.get().answers["blocked-what"] == ["car", "bins"]


def test_it_reads_times_with_their_zone(client, api_key):
    params = parking_params(api_key, **{"attribute[occurred_from]": "2025-06-01T15:30:00+00:00"})

    assert post(client, "json", params)[0] == 200
    assert Report.objects.get().occurred_from == datetime.fromisoformat("2025-06-01T15:30:00+00:00")


def test_it_files_in_the_language_the_client_asks_for(client, api_key):
    response = client.post("/open311/v2/requests.json", parking_params(api_key), HTTP_ACCEPT_LANGUAGE="es")

    assert response.status_code == 200
    assert Report.objects.get().language == "es"


def test_it_needs_no_csrf_token(api_key):
    strict = Client(enforce_csrf_checks=True)

    assert post(strict, "json", parking_params(api_key))[0] == 200


# --- The eligibility screen -------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(
    ("answer", "number", "words"),
    [
        ({"in_danger": "yes"}, "911", "Call 911 now"),
        ({"happening_now": "yes"}, "911", "happening now"),
        ({"suspect_known": "yes"}, "612-673-5335", "know who did it"),
        ({"inside_city": "no"}, "311", "inside the city limits"),
        ({"excluded_items": "yes"}, "612-673-5335", "firearms"),
        ({"over_value_cap": "yes"}, "612-673-5335", "Losses of this size"),
    ],
)
def test_it_stops_at_every_eligibility_stop_and_saves_nothing(client, api_key, fmt, answer, number, words):
    params = theft_params(api_key, **{f"attribute[{name}]": value for name, value in answer.items()})

    status, body = post(client, fmt, params)

    assert status == 400
    ((code, description),) = errors(body)
    assert code == "400" and words in description and description.endswith(f": {number}.")
    assert not Report.objects.exists() and not Draft.objects.exists()


def test_it_stops_for_danger_even_when_everything_else_is_missing(client, api_key):
    status, body = post(
        client, "json", {"api_key": api_key, "service_code": "theft-other", "attribute[in_danger]": "yes"}
    )

    assert status == 400
    ((_, description),) = errors(body)
    assert description.startswith("Call 911 now.") and description.endswith("Call 911: 911.")


# --- The same validation as the web form ----------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_it_lists_every_problem_in_one_response(client, api_key, fmt):
    params = theft_params(
        api_key,
        description=None,
        email="not-an-email",
        media_url="ftp://example.org/a.jpg",
        **{
            "attribute[in_danger]": None,
            "attribute[stolen_item]": None,
            "attribute[occurred_to]": "last tuesday",
        },
    )

    status, body = post(client, fmt, params)

    assert status == 400
    found = errors(body)
    assert {code for code, _ in found} == {"400"}
    named = {description.split(":")[0] for _, description in found}
    assert named == {
        "media_url",
        "attribute[in_danger]",
        "attribute[occurred_to]",
        "description",
        "email",
        "attribute[stolen_item]",
    }
    assert not Report.objects.exists()


def test_it_requires_the_catalog_questions_and_the_contact_the_web_requires(client, api_key):
    params = theft_params(
        api_key,
        service_code="theft-from-vehicle",
        email=None,
        first_name=None,
        last_name=None,
    )

    status, body = post(client, "json", params)

    assert status == 400
    assert {description for _, description in errors(body)} == {
        "attribute[vehicle-locked]: This field is required.",
        "attribute[vehicle-entry]: This field is required.",
        "first_name, last_name: This field is required.",
        "email: This field is required.",
    }


def test_it_refuses_a_choice_that_is_not_offered(client, api_key):
    params = parking_params(
        api_key, **{"attribute[vehicle-there-now]": "maybe", "attribute[inside_city]": "Y"}
    )

    status, body = post(client, "json", params)

    assert status == 400
    assert [description.split(":")[0] for _, description in errors(body)] == [
        "attribute[inside_city]",
        "attribute[vehicle-there-now]",
    ]


@pytest.mark.parametrize(
    ("location", "problem"),
    [
        (OUTSIDE, "outside Minneapolis city limits"),
        ({"lat": "44.977812"}, "pin was incomplete"),
        ({"lat": "north", "long": "-93.26"}, "lat: Enter a number."),
        ({"lat": "nan", "long": "inf"}, "lat: Enter a number."),
        ({"lat": "144.1", "long": "-93.26"}, "lat: Ensure this value is less than or equal to 90."),
    ],
)
def test_it_checks_the_pin_against_the_city_boundary(client, api_key, location, problem):
    params = {**parking_params(api_key, lat=None, long=None, address_string="somewhere"), **location}

    status, body = post(client, "json", params)

    assert status == 400
    assert any(problem in description for _, description in errors(body)), body
    assert not Report.objects.exists()


def test_it_needs_a_location(client, api_key):
    status, body = post(client, "json", parking_params(api_key, lat=None, long=None))

    assert status == 400
    assert errors(body) == [("400", "location: Give lat and long, address_string or address_id.")]


def test_it_applies_the_value_cap_to_the_item(client, api_key):
    status, body = post(client, "json", theft_params(api_key, **{"attribute[stolen_item_value]": "20000"}))

    assert status == 400
    ((_, description),) = errors(body)
    assert description.startswith("attribute[stolen_item_value]:") and "$10,000" in description


def test_it_refuses_times_in_the_future_and_backwards_windows(client, api_key):
    later = (timezone.now() + timezone.timedelta(days=1)).isoformat()
    params = theft_params(api_key, **{"attribute[occurred_from]": later})

    status, body = post(client, "json", params)

    assert status == 400
    future = [
        d for _, d in errors(body) if d.startswith("attribute[occurred_from]: This time is in the future")
    ]
    assert future and "now in Minneapolis" in future[0]  # says what time it is in the city


@pytest.mark.parametrize(
    "overrides",
    [
        {"device_id": "x" * 101},
        {"account_id": "a\x00b"},
        {"address_id": "id\x00"},
        {"description": "nul\x00byte"},
        {"first_name": "A" * 200},
        {"media_url": "javascript:alert(1)"},
    ],
)
def test_it_refuses_bad_values_with_400_and_never_500(client, api_key, overrides):
    status, body = post(client, "json", parking_params(api_key, **overrides))

    assert status == 400 and errors(body)


@pytest.mark.parametrize("fmt", FORMATS)
def test_it_needs_a_service_code_that_exists(client, api_key, fmt):
    status, body = post(client, fmt, parking_params(api_key, service_code=None))
    assert status == 400 and errors(body) == [("400", "service_code: This parameter is required.")]

    status, body = post(client, fmt, parking_params(api_key, service_code="parking-spaceship"))
    assert status == 404 and errors(body)[0][0] == "404"


def test_it_records_a_media_url_without_fetching_it(client, api_key):
    import http.server
    import threading

    hits = []

    class Recorder(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            hits.append(self.path)
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        media = f"http://127.0.0.1:{server.server_port}/photo.jpg"
        assert post(client, "json", parking_params(api_key, media_url=media))[0] == 200
    finally:
        server.shutdown()
        server.server_close()

    assert ApiFiling.objects.get().media_url == media
    assert hits == []
