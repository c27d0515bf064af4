"""Edges of the updates Traffic Control posts back (traffic/updates.py, traffic/api.py), found by
mutation testing: what each refusal tells the sender, what is kept of a unit and a note, how every
applied update names the system and the update that moved the ticket, how strictly a photo's base64 is
read, and the exact size past which an update is too large.
"""

from __future__ import annotations

import base64
import json
import secrets
from datetime import UTC, datetime

import pytest
from django.db.models.signals import pre_save
from django.test import RequestFactory
from standardwebhooks.webhooks import Webhook

from reports.models import Disposition, Report
from traffic import api, updates
from traffic.models import InboundUpdate, TrafficEndpoint

from . import samples
from .factories import file_parking

pytestmark = pytest.mark.django_db

UPDATES_URL = "/traffic/api/updates/"


def new_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


@pytest.fixture
def endpoint(catalog) -> TrafficEndpoint:
    return TrafficEndpoint.objects.create(
        name="County CAD", url="https://cad.example.org/hooks", secrets=new_secret()
    )


@pytest.fixture
def ticket(endpoint) -> Report:
    return file_parking().report


def post_update(client, endpoint: TrafficEndpoint, data: dict, *, webhook_id: str = ""):
    """Signed with the endpoint's secret by the standardwebhooks package, as Traffic Control would."""
    body = json.dumps(data)
    webhook_id = webhook_id or f"upd_{secrets.token_hex(8)}"
    at = datetime.now(tz=UTC)
    headers = {
        "webhook-id": webhook_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": Webhook(endpoint.secret_list()[0]).sign(webhook_id, at, body),
    }
    return client.post(UPDATES_URL, data=body, content_type="application/json", headers=headers)


def update(ticket: str, status: str, **more) -> dict:
    return {"type": "ticket.updated", "data": {"ticket_id": ticket, "status": status, **more}}


def test_it_names_the_missing_ticket_id(client, endpoint, ticket):
    response = post_update(client, endpoint, {"type": "ticket.updated", "data": {"status": "dispatched"}})

    assert response.status_code == 400
    assert response.json() == {"error": "data.ticket_id is missing"}


def test_it_names_the_statuses_it_takes(client, endpoint, ticket):
    response = post_update(client, endpoint, update(ticket.tracking_number, "on_the_way"))

    assert response.status_code == 400
    assert response.json() == {"error": "data.status must be dispatched, on_scene or resolved"}


def test_it_lists_the_outcomes_it_takes(client, endpoint, ticket):
    response = post_update(client, endpoint, update(ticket.tracking_number, "resolved", outcome="fixed"))

    assert response.status_code == 400
    codes = "citation_issued, vehicle_towed, warning, gone_on_arrival, could_not_locate, unfounded, duplicate"
    assert response.json() == {"error": f"data.outcome must be one of {codes}"}


def test_it_takes_the_seeded_codes_and_refuses_one_retired_in_the_admin(client, endpoint, ticket):
    Disposition.objects.filter(code="warning").update(active=False)
    refused = post_update(client, endpoint, update(ticket.tracking_number, "resolved", outcome="warning"))
    assert refused.status_code == 400 and "warning" not in refused.json()["error"]
    ticket.refresh_from_db()
    assert ticket.status == "submitted" and not InboundUpdate.objects.exists()

    located = update(ticket.tracking_number, "resolved", outcome="could_not_locate")
    taken = post_update(client, endpoint, located)
    assert taken.status_code == 200
    ticket.refresh_from_db()
    assert (ticket.status, ticket.outcome) == ("resolved", "could_not_locate")


def test_it_names_the_unknown_ticket(client, endpoint, ticket):
    response = post_update(client, endpoint, update("ZZZZ-ZZZZ", "dispatched"))

    assert response.status_code == 404
    assert response.json() == {"error": "Unknown ticket ZZZZ-ZZZZ."}


def test_it_recognises_a_replay_by_its_webhook_id_before_reading_its_body(client, endpoint, ticket):
    assert (
        post_update(
            client, endpoint, update(ticket.tracking_number, "dispatched"), webhook_id="upd_7"
        ).status_code
        == 200
    )

    # Whatever the body of a replay says, it changes nothing and Traffic Control may stop sending it.
    replay = post_update(client, endpoint, update("ZZZZ-ZZZZ", "on_scene"), webhook_id="upd_7")

    assert replay.status_code == 200 and replay.json() == {"result": "duplicate"}
    assert InboundUpdate.objects.count() == 1


def test_it_leaves_the_unit_blank_when_dispatch_names_none(client, endpoint, ticket):
    assert post_update(client, endpoint, update(ticket.tracking_number, "dispatched")).status_code == 200

    report = Report.objects.get(pk=ticket.pk)
    assert report.enforcement_unit == ""
    assert report.events.get(to_status="dispatched").data["unit"] == ""


def test_it_keeps_sixty_characters_of_a_unit(client, endpoint, ticket):
    unit = "PE-14 " + "x" * 100

    assert (
        post_update(client, endpoint, update(ticket.tracking_number, "dispatched", unit=unit)).status_code
        == 200
    )

    assert Report.objects.get(pk=ticket.pk).enforcement_unit == unit[:60]


def test_it_keeps_two_thousand_characters_of_a_note(client, endpoint, ticket):
    note = "Citation issued. " * 200

    response = post_update(
        client, endpoint, update(ticket.tracking_number, "resolved", outcome="warning", note=note)
    )

    assert response.status_code == 200
    assert Report.objects.get(pk=ticket.pk).events.get(to_status="resolved").note == note[:2000]


def test_it_shows_no_note_when_the_resolution_has_none(client, endpoint, ticket):
    assert (
        post_update(
            client, endpoint, update(ticket.tracking_number, "resolved", outcome="warning")
        ).status_code
        == 200
    )

    assert Report.objects.get(pk=ticket.pk).events.get(to_status="resolved").note == ""


@pytest.mark.parametrize(
    ("status", "more"),
    [("dispatched", {"unit": "PE-14"}), ("on_scene", {}), ("resolved", {"outcome": "vehicle_towed"})],
)
def test_it_records_which_system_and_which_update_moved_the_ticket(client, endpoint, ticket, status, more):
    response = post_update(
        client, endpoint, update(ticket.tracking_number, status, **more), webhook_id="upd_42"
    )

    assert response.status_code == 200

    event = Report.objects.get(pk=ticket.pk).events.get(to_status=status)
    assert event.data["source"] == "County CAD" and event.data["webhook_id"] == "upd_42"


def test_it_takes_an_update_signed_by_any_active_endpoint(client, endpoint, ticket):
    second = TrafficEndpoint.objects.create(
        name="City CAD", url="https://cad.example.org/city", secrets=new_secret()
    )

    assert post_update(client, second, update(ticket.tracking_number, "on_scene")).status_code == 200

    assert InboundUpdate.objects.get().endpoint == second
    assert Report.objects.get(pk=ticket.pk).events.get(to_status="on_scene").data["source"] == "City CAD"


def test_it_answers_duplicate_to_the_loser_of_two_simultaneous_deliveries(client, endpoint, ticket):
    def the_other_delivery_wins(sender, instance, **kwargs):
        # The same update delivered twice at once: the other request stores it between our check for a
        # replay and our insert (PostgreSQL lets both check at the same time; SQLite queues them).
        InboundUpdate.objects.bulk_create([InboundUpdate(webhook_id=instance.webhook_id, payload={})])

    pre_save.connect(the_other_delivery_wins, sender=InboundUpdate)
    try:
        response = post_update(client, endpoint, update(ticket.tracking_number, "dispatched"))
    finally:
        pre_save.disconnect(the_other_delivery_wins, sender=InboundUpdate)

    assert response.status_code == 200 and response.json() == {"result": "duplicate"}
    assert Report.objects.get(pk=ticket.pk).status == "submitted"


def test_it_applies_an_update_that_no_endpoint_signed_with_an_empty_source(ticket):
    # apply_update takes endpoint=None (the API always passes the endpoint that signed the request).
    payload = update(ticket.tracking_number, "on_scene")

    assert updates.apply_update("upd_by_hand", payload, None) == "applied"

    event = Report.objects.get(pk=ticket.pk).events.get(to_status="on_scene")
    assert event.data == {"source": "", "webhook_id": "upd_by_hand"}
    assert InboundUpdate.objects.get().endpoint is None


def test_it_refuses_a_photo_whose_base64_is_broken_into_lines(client, endpoint, ticket):
    # MIME's 76-character lines (base64.encodebytes): the documented format has no line breaks, and a
    # lenient decoder would quietly drop them, and whatever else is not base64.
    wrapped = base64.encodebytes(samples.jpeg_bytes()).decode()
    assert "\n" in wrapped

    response = post_update(
        client, endpoint, update(ticket.tracking_number, "resolved", outcome="warning", photo=wrapped)
    )

    assert response.status_code == 400
    assert response.json() == {"error": "data.photo is not valid base64"}
    ticket.refresh_from_db()
    assert ticket.status == "submitted" and not InboundUpdate.objects.exists()


def padded_to(size: int, body: dict) -> dict:
    """The update grown to `size` bytes of JSON by a field we do not read."""
    return {**body, "padding": "x" * (size - len(json.dumps({**body, "padding": ""})))}


def test_it_takes_an_update_as_large_as_room_for_the_largest_photo_and_not_a_byte_more(
    client, endpoint, ticket, settings
):
    settings.EVIDENCE_MAX_BYTES = 30_000
    # 64 KiB for the update, 40,000 for the base64 of a 30,000-byte photo, and a sixteenth of that for a
    # JSON encoder that escapes its slashes.
    room = 64 * 1024 + 40_000 + 2_500

    over = post_update(client, endpoint, padded_to(room + 1, update(ticket.tracking_number, "on_scene")))
    assert over.status_code == 413 and over.json() == {"error": "The update is too large."}
    assert not InboundUpdate.objects.exists()

    at = post_update(client, endpoint, padded_to(room, update(ticket.tracking_number, "on_scene")))
    assert at.status_code == 200 and at.json() == {"result": "applied"}
    assert len(InboundUpdate.objects.get().payload["padding"]) > 100_000
    assert Report.objects.get(pk=ticket.pk).status == "on_scene"


def test_it_reads_a_body_up_to_the_limit_and_refuses_a_longer_one():
    # The view holds Content-Length to the limit first, and Django's WSGI stream ends there; read_body
    # still refuses on its own a stream that runs on (a server that does not end it at Content-Length).
    def request(body: bytes):
        return RequestFactory().post(UPDATES_URL, data=body, content_type="application/json")

    assert api.read_body(request(b"x" * 10), 10) == b"x" * 10
    assert api.read_body(request(b"x" * 11), 10) is None
