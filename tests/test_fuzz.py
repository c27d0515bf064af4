"""Property-based fuzzing of every door a stranger or a colleague can knock on.

Any text, number, date, list or missing field, posted to a resident's filing step, a staff action, an
Open311 call or the Traffic Control endpoint, gets a 2xx, 3xx or 4xx, never a 500 (the test client
raises on an unhandled exception), and never leaves a half-saved report behind.

The number of examples comes from the Hypothesis profile (tests/conftest.py): HYPOTHESIS_PROFILE=ci
keeps CI inside its budget; HYPOTHESIS_PROFILE=night runs a hundred times more (docs/testing.md).
"""

from __future__ import annotations

import io
import json
import secrets
from datetime import UTC, datetime

import pytest
from django.test import Client
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st
from standardwebhooks.webhooks import Webhook

from open311.models import ApiClient
from reports.models import OutboxMessage, Report, ReportEvent
from reports.statuses import Status
from traffic.models import InboundUpdate, TrafficEndpoint

from .conftest import sign_in
from .factories import file_parking, make_report, status_link
from .flows import SAFE_ANSWERS, details_for, pass_screen
from .test_open311_support import parking_params, theft_params

pytestmark = [pytest.mark.django_db, pytest.mark.fuzz]

SUBTYPES = ["theft-bicycle", "theft-from-vehicle", "damage-graffiti", "parking-fire-hydrant"]

# --- What a stranger might type ---------------------------------------------------------------------

# Values that broke something once, or sit on a boundary, are drawn often; the rest is generated.
EDGES = [
    "0001-01-01T00:00:00+14:00",
    "0001-01-01",
    "9999-12-31",
    "9999-12-31T23:59",
    "2026-02-30T10:00",
    "1899-12-31T23:59",
    "1e309",
    "-0",
    "NaN",
    "Infinity",
    "99999999999999999999",
    "x",
    "",
    " ",
    "\x00",
    "<script>alert(1)</script>",
]
moments = st.one_of(
    st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31)).map(  # noqa: DTZ001 (typed, as a form gets it)
        lambda d: d.strftime("%Y-%m-%dT%H:%M")
    ),
    st.datetimes(timezones=st.timezones()).map(lambda d: d.isoformat()),
    st.dates().map(lambda d: d.isoformat()),
)
numbers = st.one_of(
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
)
texts = st.text(max_size=300)
scalar = st.one_of(
    st.sampled_from(EDGES), texts, numbers, moments, st.sampled_from(["yes", "no", "not_sure", "on"])
)
value = st.one_of(scalar, st.lists(scalar, max_size=4))


DATE_EDGES = [edge for edge in EDGES if edge[:4].isdigit()]
when = st.one_of(st.sampled_from(DATE_EDGES), moments, value)


def strategy_for(name: str) -> st.SearchStrategy:
    # A field that holds a moment gets moments at the edge of time more often than any text would.
    return when if any(part in name for part in ("date", "occurred", "created_")) else value


def fields(names: list[str]) -> st.SearchStrategy[dict]:
    """Any subset of the form's own fields, each with any value, plus a few names it never had."""
    known = st.fixed_dictionaries({}, optional={name: strategy_for(name) for name in names})
    unknown = st.dictionaries(st.text(min_size=1, max_size=20), value, max_size=3)
    return st.builds(lambda a, b: {**b, **a}, known, unknown)


def few_fields(names: list[str], at_most: int = 2) -> st.SearchStrategy[dict]:
    """One or two fields changed in an otherwise valid request, so the change reaches the deep checks."""
    chosen = st.lists(st.sampled_from(names), min_size=1, max_size=at_most, unique=True)
    return chosen.flatmap(lambda picked: st.fixed_dictionaries({name: strategy_for(name) for name in picked}))


def as_post(data: dict) -> dict:
    return {key: v if isinstance(v, list) else [v] for key, v in data.items()}


def assert_nothing_half_saved() -> None:
    """Every report in the table is whole: filed with its first event, in a queue, with its items."""
    for report in Report.objects.prefetch_related("events", "items"):
        assert report.events.filter(kind=ReportEvent.Kind.FILED).count() == 1, report
        if report.report_type.form == "theft" and report.channel == "web":
            assert report.items.exists(), report


def answered(status: int) -> None:
    assert status < 500, status


# --- The resident's steps ---------------------------------------------------------------------------------

ELIGIBILITY = [*SAFE_ANSWERS, "channel"]
DETAIL_FIELDS = [
    "occurred_from",
    "occurred_to",
    "address",
    "location_detail",
    "latitude",
    "longitude",
    "description",
    "contact_name",
    "contact_email",
    "contact_phone",
    "damaged_property",
    "estimated_cost",
    "vehicle_plate",
    "vehicle_state",
    "vehicle_make",
    "vehicle_colour",
    "add_item",
    "items-TOTAL_FORMS",
    "items-INITIAL_FORMS",
    "items-0-description",
    "items-0-value",
    "items-1-value",
    "q_vehicle-there-now",
    "q_bike-locked",
    "q_property-owner",
]


@given(subtype=st.sampled_from([*SUBTYPES, "no-such-subtype", "ünïcode"]), data=fields(ELIGIBILITY))
def test_the_eligibility_screen_answers_anything(catalog, subtype, data):
    answered(Client().post(f"/report/new/{subtype}/", as_post(data)).status_code)
    assert not Report.objects.exists()


@given(subtype=st.sampled_from(SUBTYPES), data=st.one_of(fields(DETAIL_FIELDS), few_fields(DETAIL_FIELDS)))
def test_the_details_and_review_steps_answer_anything(catalog, subtype, data):
    browser = Client()
    pass_screen(browser, subtype)
    base = details_for(subtype)
    answered(browser.post(reverse("report-details"), as_post({**base, **data})).status_code)
    answered(browser.get(reverse("report-review")).status_code)
    answered(browser.post(reverse("report-review"), {"confirm": "on", "send": "1"}).status_code)
    assert_nothing_half_saved()


@given(
    confirm=st.one_of(st.none(), texts),
    blobs=st.lists(st.binary(max_size=2000), max_size=3),
    names=st.lists(st.text(max_size=80), min_size=3, max_size=3),
)
def test_the_review_step_answers_any_files(catalog, confirm, blobs, names):
    browser = Client()
    pass_screen(browser, "damage-graffiti")
    browser.post(reverse("report-details"), details_for("damage-graffiti"))
    data = {"files": [named_file(name, blob) for name, blob in zip(names, blobs, strict=False)]}
    if confirm is not None:
        data["confirm"] = confirm
    answered(browser.post(reverse("report-review"), data).status_code)
    assert_nothing_half_saved()


def named_file(name: str, content: bytes) -> io.BytesIO:
    """A file as a browser sends it, with whatever name (Django's own upload class would refuse some)."""
    handle = io.BytesIO(content)
    handle.name = name
    return handle


@given(text=st.one_of(st.none(), texts), blobs=st.lists(st.binary(max_size=1000), max_size=2))
def test_the_status_reply_answers_anything(catalog, report_taker, text, blobs):
    from reports import workflow

    report = make_report("theft-other", contact_email="a@example.org")
    report.events.create(kind=ReportEvent.Kind.FILED, is_public=True)
    workflow.request_info(report, by=report_taker, message="Which door?")
    token = status_link(report)
    data = {"files": [named_file("f", blob) for blob in blobs]}
    if text is not None:
        data["text"] = text
    answered(Client().post(reverse("report-status-reply", args=[token]), data).status_code)


# --- Staff ----------------------------------------------------------------------------------------------

STAFF_ACTIONS = [
    "assign-me",
    "assign",
    "approve",
    "request-info",
    "reject",
    "refer",
    "duplicate",
    "move",
    "close",
    "note",
    "no-such-action",
]
ACTION_FIELDS = ["note", "reason", "original", "queue", "assignee"]


@pytest.fixture
def supervisor_browser(supervisor):
    browser = Client()
    sign_in(browser, supervisor)
    return browser


@given(action=st.sampled_from(STAFF_ACTIONS), data=fields(ACTION_FIELDS))
def test_every_staff_action_answers_anything(catalog, supervisor_browser, action, data):
    report = make_report("theft-other", contact_email="a@example.org")
    report.events.create(kind=ReportEvent.Kind.FILED, is_public=True)
    url = reverse("staff-report-action", args=[report.tracking_number, action])
    before = report.events.count()
    answered(supervisor_browser.post(url, as_post(data)).status_code)
    report.refresh_from_db()
    # A move in the table leaves one event per change; nothing moved without its event.
    assert report.events.count() >= before
    if report.status != Status.SUBMITTED:
        assert report.events.filter(to_status=report.status).exists()


QUEUE_FILTERS = ["search", "report_type", "subtype", "status", "assigned", "created_from", "created_to"]
QUEUE_FILTERS += ["sort", "per_page", "cursor"]


@given(data=fields(QUEUE_FILTERS))
def test_the_queue_page_and_its_export_answer_any_filters(catalog, supervisor_browser, data):
    params = as_post(data)
    answered(supervisor_browser.get(reverse("staff-queue", args=["theft-damage"]), params).status_code)
    export = supervisor_browser.get(reverse("staff-queue-export", args=["theft-damage"]), params)
    answered(export.status_code)
    b"".join(export.streaming_content)


@given(
    action=st.sampled_from(["dispatch", "on-scene", "resolve", "x"]), data=fields(["unit", "outcome", "note"])
)
def test_the_traffic_board_answers_anything(catalog, supervisor_browser, action, data):
    report = file_parking().report
    url = reverse("traffic-ticket-action", args=[report.tracking_number, action])
    answered(supervisor_browser.post(url, as_post(data)).status_code)
    answered(
        supervisor_browser.get(
            reverse("traffic-board"), as_post(data | {"near": data.get("unit", "")})
        ).status_code
    )


# --- Open311 ------------------------------------------------------------------------------------------------

OPEN311_PARAMS = [
    "service_code",
    "service_request_id",
    "status",
    "start_date",
    "end_date",
    "lat",
    "long",
    "address_string",
    "address_id",
    "email",
    "first_name",
    "last_name",
    "phone",
    "description",
    "media_url",
    "page",
    "page_size",
    "attribute[in_danger]",
    "attribute[inside_city]",
    "attribute[occurred_from]",
    "attribute[occurred_to]",
    "attribute[vehicle_plate]",
    "attribute[stolen_item]",
    "attribute[stolen_item_value]",
    "attribute[vehicle-there-now]",
]


@pytest.fixture
def api_key(catalog) -> str:
    client = ApiClient(name="Fuzzer", contact_email="fuzz@example.org")
    key = client.issue_key()
    client.save()
    return key


@given(
    path=st.sampled_from(
        ["discovery", "v2/services", "v2/requests", "v2/servicerequestupdates", "v2/services/theft-bicycle"]
        + ["v2/requests/ABCD-EFGH", "v2/tokens/xyz", "v2/nothing"]
    ),
    fmt=st.sampled_from(["json", "xml", "html", ""]),
    data=fields(OPEN311_PARAMS),
    method=st.sampled_from(["get", "post"]),
    keyed=st.booleans(),
)
def test_every_open311_call_answers_anything(api_key, path, fmt, data, method, keyed):
    params = as_post(data | ({"api_key": api_key} if keyed else {}))
    response = getattr(Client(), method)(f"/open311/{path}.{fmt}", params)
    answered(response.status_code)
    if response.status_code >= 400 and fmt in ("json", "xml"):
        assert response.content  # an error list, not an empty page
    assert_nothing_half_saved()


@given(data=few_fields(OPEN311_PARAMS), fmt=st.sampled_from(["json", "xml"]), parking=st.booleans())
def test_an_open311_filing_answers_anything_in_any_field(api_key, data, fmt, parking):
    """A valid filing with some of its fields replaced: the errors that hide behind the first checks."""
    base = (parking_params if parking else theft_params)(api_key)
    response = Client().post(f"/open311/v2/requests.{fmt}", as_post({**base, **data, "api_key": api_key}))
    answered(response.status_code)
    assert_nothing_half_saved()


# --- The Traffic Control endpoint ---------------------------------------------------------------------------

SECRET = "whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), texts),
    lambda children: st.one_of(st.lists(children, max_size=3), st.dictionaries(texts, children, max_size=3)),
    max_leaves=10,
)
updates = st.fixed_dictionaries(
    {},
    optional={
        "type": st.one_of(texts, st.just("ticket.updated")),
        "data": st.one_of(
            json_values,
            st.fixed_dictionaries(
                {},
                optional={
                    "ticket_id": st.one_of(texts, st.just("TICKET")),
                    "status": st.one_of(texts, st.sampled_from(["dispatched", "on_scene", "resolved"])),
                    "unit": json_values,
                    "outcome": st.one_of(texts, st.sampled_from(["citation_issued", "warning"])),
                    "note": json_values,
                },
            ),
        ),
    },
)


@pytest.fixture
def endpoint(catalog, settings) -> TrafficEndpoint:
    settings.TRAFFIC_HANDOFF = "webhook"
    return TrafficEndpoint.objects.create(name="CAD", url="https://cad.example.org/hook", secrets=SECRET)


@given(payload=updates, signed=st.booleans(), raw=st.one_of(st.none(), st.binary(max_size=200)))
def test_the_traffic_endpoint_answers_any_update(endpoint, payload, signed, raw):
    ticket = file_parking().report
    text = json.dumps(payload).replace('"TICKET"', json.dumps(ticket.tracking_number))
    body = raw if raw is not None else text.encode()
    webhook_id = f"fuzz_{secrets.token_hex(6)}"
    headers = {"webhook-id": webhook_id, "webhook-timestamp": str(int(datetime.now(tz=UTC).timestamp()))}
    if signed and raw is None:
        headers["webhook-signature"] = Webhook(SECRET).sign(webhook_id, datetime.now(tz=UTC), text)
    updates_before = InboundUpdate.objects.count()
    response = Client().post(
        "/traffic/api/updates/", data=body, content_type="application/json", headers=headers
    )
    answered(response.status_code)
    if response.status_code != 200:
        # Refused: nothing recorded, and the ticket where it was.
        assert InboundUpdate.objects.count() == updates_before
        assert Report.objects.get(pk=ticket.pk).status == ticket.status
    assert not OutboxMessage.objects.filter(state="dead").exists()
