"""POST servicerequestupdates (mySociety's extension): a comment from the client that filed a request
becomes the resident's reply on the report, once per update_id, and never shows in a public response."""

from __future__ import annotations

from datetime import datetime

import pytest
from django.test import Client

from open311.models import ApiClient, ApiUpdate
from reports import workflow
from reports.models import Report, ReportEvent
from reports.statuses import Status

from . import test_open311_support as support
from .flows import file_report
from .test_open311_support import (
    FORMATS,
    errors,
    file_by_api,
    new_key,
    parking_params,
    post_update,
    theft_params,
)

pytestmark = pytest.mark.django_db
api_key = support.api_key
COMMENT = "CANARY-COMMENT the car is still there, owner is my neighbour Quentin"


def comment(key: str, request_id: str, **overrides) -> dict:
    """A comment as FixMyStreet posts it (perllib/Open311.pm, _populate_service_request_update_params)."""
    params = {
        "api_key": key,
        "jurisdiction_id": "minneapolis",
        "service_request_id": request_id,
        "update_id": "7731",
        "updated_datetime": "2026-11-21T16:04:12Z",
        "status": "OPEN",
        "description": COMMENT,
        "first_name": "Pat",
        "last_name": "Apiuser",
        "email": "pat.apiuser@example.org",
        "media_url": ["https://fms.example.org/photo/7731.0.full.jpeg"],
    }
    params.update(overrides)
    return {name: value for name, value in params.items() if value is not None}


@pytest.fixture
def filed(client, api_key) -> Report:
    return file_by_api(client, parking_params(api_key))


@pytest.mark.parametrize("fmt", FORMATS)
def test_it_takes_a_comment_from_the_filing_client_as_a_resident_reply(client, api_key, filed, fmt):
    status, body = post_update(client, fmt, comment(api_key, filed.tracking_number))

    assert status == 200, body
    event = filed.events.get(kind=ReportEvent.Kind.RESIDENT_REPLY)
    assert body == [{"update_id": str(event.pk)}]
    assert event.note == COMMENT and event.actor is None and event.to_status == ""
    filed.refresh_from_db()
    assert filed.status == Status.SUBMITTED  # a comment does not move the report
    assert filed.updated_by_resident and filed.resident_updated_at is not None
    update = ApiUpdate.objects.get()
    assert update.client == ApiClient.objects.get(name="Test app") and update.update_id == "7731"
    assert update.event == event and update.status == "OPEN"
    assert (update.first_name, update.last_name, update.email) == (
        "Pat",
        "Apiuser",
        "pat.apiuser@example.org",
    )
    assert update.updated_at_client == datetime.fromisoformat("2026-11-21T16:04:12+00:00")
    assert update.media_urls == ["https://fms.example.org/photo/7731.0.full.jpeg"]


def test_it_sends_a_report_waiting_for_information_back_to_the_queue(client, api_key, filed, traffic_agent):
    workflow.request_info(filed, by=traffic_agent, message="Which side of the street?")

    status, body = post_update(client, "xml", comment(api_key, filed.tracking_number, description="North"))

    assert status == 200, body
    filed.refresh_from_db()
    assert filed.status == Status.IN_REVIEW and filed.info_due_at is None and filed.updated_by_resident
    reply = filed.events.get(kind=ReportEvent.Kind.RESIDENT_REPLY)
    assert (reply.from_status, reply.to_status, reply.note) == (Status.NEEDS_INFO, Status.IN_REVIEW, "North")
    assert body == [{"update_id": str(reply.pk)}]


@pytest.mark.parametrize("fmt", FORMATS)
def test_it_answers_a_comment_sent_again_with_the_first_answer_and_changes_nothing(
    client, api_key, filed, fmt
):
    first = post_update(client, fmt, comment(api_key, filed.tracking_number))
    again = post_update(client, fmt, comment(api_key, filed.tracking_number, description="edited"))

    assert first == again and first[0] == 200
    assert filed.events.filter(kind=ReportEvent.Kind.RESIDENT_REPLY).count() == 1
    assert ApiUpdate.objects.count() == 1
    # Another client may use the same number for its own comment.
    other_key = new_key("Other app")
    other = file_by_api(client, parking_params(other_key))
    assert post_update(client, fmt, comment(other_key, other.tracking_number))[0] == 200
    assert ApiUpdate.objects.count() == 2


def test_it_refuses_an_update_id_already_used_for_another_request(client, api_key, filed):
    second = file_by_api(client, parking_params(api_key, service_code="parking-double-parked"))
    assert post_update(client, "json", comment(api_key, filed.tracking_number))[0] == 200

    status, body = post_update(client, "json", comment(api_key, second.tracking_number))

    assert status == 400 and errors(body)[0][1].startswith("update_id:")
    assert not second.events.filter(kind=ReportEvent.Kind.RESIDENT_REPLY).exists()


@pytest.mark.parametrize("fmt", FORMATS)
def test_it_takes_comments_only_from_the_client_that_filed_the_request(client, api_key, filed, fmt):
    theft = file_by_api(client, theft_params(api_key))
    file_report(Client(), "parking-fire-hydrant")
    on_the_web = Report.objects.get(channel="web")
    stranger = new_key("Stranger app")

    def refused(key, report_id):
        status, body = post_update(client, fmt, comment(key, report_id))
        return status, errors(body)[0][1].split(":")[0]

    assert refused(stranger, filed.tracking_number) == (403, "service_request_id")  # public anyway
    assert refused(stranger, on_the_web.tracking_number) == (403, "service_request_id")
    assert refused(stranger, theft.tracking_number) == (404, "service_request_id")  # does not exist for it
    assert refused(api_key, "ZZZZ-ZZZZ") == (404, "service_request_id")
    assert refused(None, filed.tracking_number) == (403, "api_key")
    assert refused("o311_wrong", filed.tracking_number) == (403, "api_key")
    assert not ReportEvent.objects.filter(kind=ReportEvent.Kind.RESIDENT_REPLY).exists()
    # Its own private filing takes comments like any other.
    assert (
        post_update(client, fmt, comment(api_key, theft.tracking_number.lower().replace("-", "")))[0] == 200
    )
    assert theft.events.filter(kind=ReportEvent.Kind.RESIDENT_REPLY).count() == 1


@pytest.mark.parametrize("fmt", FORMATS)
def test_it_lists_every_problem_with_a_comment(client, api_key, filed, fmt):
    params = comment(
        api_key,
        filed.tracking_number,
        update_id=None,
        status="REOPENED-ISH",
        email="not-an-email",
        updated_datetime="yesterday",
        first_name="x" * 101,
        media_url=["ftp://example.org/a.jpg"],
    )

    status, body = post_update(client, fmt, params)

    assert status == 400
    named = {description.split(":")[0] for _, description in errors(body)}
    assert named == {"update_id", "status", "email", "updated_datetime", "first_name", "media_url"}
    assert not ApiUpdate.objects.exists()


def test_it_needs_a_text_or_a_photo(client, api_key, filed):
    status, body = post_update(client, "json", comment(api_key, filed.tracking_number, description="  "))
    assert status == 200  # FixMyStreet's comment with a photo only

    bare = comment(api_key, filed.tracking_number, update_id="2", description="", media_url=None)
    status, body = post_update(client, "json", bare)
    assert status == 400 and errors(body)[0][1].startswith("description:")


@pytest.mark.parametrize("nul", ["description", "update_id", "first_name", "email"])
def test_it_refuses_nul_bytes_with_400_and_never_500(client, api_key, filed, nul):
    status, body = post_update(client, "json", comment(api_key, filed.tracking_number, **{nul: "a\x00b"}))

    assert status == 400 and errors(body)


def test_it_keeps_comments_out_of_every_public_response(client, api_key, filed, traffic_agent, settings):
    settings.OPEN311_RATE = "1000/m"
    workflow.request_info(filed, by=traffic_agent, message="Which side?")
    assert post_update(client, "json", comment(api_key, filed.tracking_number))[0] == 200
    assert post_update(client, "json", comment(api_key, filed.tracking_number, update_id="2"))[0] == 200

    for fmt in FORMATS:
        for key in (None, api_key):
            keyed = {"api_key": key} if key else {}
            for name, args, params in (
                ("open311-requests", (), {}),
                ("open311-request", (filed.tracking_number,), {}),
                ("open311-updates", (), {}),
            ):
                response = client.get(support.url(name, fmt, *args), {**params, **keyed})
                assert response.status_code == 200
                body = response.content.decode()
                assert filed.tracking_number in body
                for secret in ("CANARY", "Quentin", "pat.apiuser", "Apiuser", "7731", "fms.example.org"):
                    assert secret not in body, (secret, name, fmt, key)
