"""Parking hand-offs to Traffic Control: the signed webhook, its retries, duplicates, and updates back.

Traffic Control is outside our system, so it is faked at the network: the example receiver from
docs/examples/traffic_receiver.py, served on loopback, with failure modes added in a subclass. Each
delivery is processed eagerly through the outbox (outbox.claim_and_run), exactly as a worker would; the flows
through a real worker are in test_delivery_guarantees.py.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import importlib.util
import io
import json
import os
import secrets
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import jsonschema
import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from PIL import Image
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from reports import catalog, outbox, routing, submission, tasks, workflow
from reports.models import OutboxMessage, Queue, Report, ReportEvent
from traffic import client as traffic_client
from traffic.models import DeliveryAttempt, InboundUpdate, TrafficEndpoint

from . import samples
from .conftest import wait_for
from .factories import file_parking, status_link
from .flows import file_report

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE_RECEIVER = ROOT / "docs" / "examples" / "traffic_receiver.py"
SCHEMA = ROOT / "docs" / "traffic-handoff.schema.json"
DOWNTOWN = (44.97730, -93.26540)  # 350 S 5th St
UPDATES_URL = "/traffic/api/updates/"
GPS_IFD = 0x8825


def load_example_receiver():
    spec = importlib.util.spec_from_file_location("traffic_receiver_example", EXAMPLE_RECEIVER)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


example = load_example_receiver()


def new_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# --- The receiver: the example, plus failure modes ---------------------------------------------------


@dataclass(frozen=True)
class Seen:
    """One request as the receiver saw it, and what it answered."""

    webhook_id: str
    headers: dict
    body: bytes
    status: int
    at: float  # wall clock when it answered


class ScriptedReceiver(example.Receiver):
    """The example receiver, told by its LoopbackReceiver what to answer next."""

    loopback: LoopbackReceiver

    def do_POST(self):
        self.body = self.rfile.read(int(self.headers.get("content-length", 0)))
        # The example reads the body again; the connection's own stream comes back afterwards, for the
        # next request on this kept-alive connection.
        connection, self.rfile = self.rfile, io.BytesIO(self.body)
        try:
            self.act()
        finally:
            self.rfile = connection

    def act(self):
        if self.loopback.on_arrival:
            self.loopback.on_arrival()
        step = self.loopback.next_step()
        if isinstance(step, int):
            return self.refuse(step)
        if isinstance(step, float):
            time.sleep(step)  # longer than the client waits: a timeout, although we go on to act on it
        with self.loopback.lock:  # the example's dedupe is check-then-set: keep it to one thread at a time
            super().do_POST()

    def refuse(self, code: int) -> None:
        self.loopback.record(self, code)
        body = f"refused with {code}".encode()
        self.send_response(code)
        self.send_header("content-type", "text/plain")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def answer(self, code):
        if code == 200 and self.loopback.before_ok:
            self.loopback.before_ok()
        self.loopback.record(self, code)
        try:
            super().answer(code)
        except OSError:  # the client gave up (timeout) or died (SIGKILL) before we answered
            pass

    def dispatch(self, ticket):
        self.loopback.dispatched.append(ticket)

    def log_message(self, format, *args):
        pass


class LoopbackReceiver:
    """A Traffic Control receiver on 127.0.0.1. `script` lists the next answers: a status code to refuse
    with, or a float to sleep that long before acting; once it is empty, the example answers."""

    def __init__(self, secret: str, port: int = 0):
        self.script: list[int | float] = []
        self.requests: list[Seen] = []
        self.dispatched: list[dict] = []
        self.before_ok = None  # called before each 200 is sent: lets a test hold an answer back
        self.on_arrival = None  # called as each request arrives, several at once: lets a test count them
        self.lock = threading.Lock()
        attributes = {"secret": secret, "seen": {}, "loopback": self}
        handler = type("Handler", (ScriptedReceiver,), attributes)
        self.server = ThreadingHTTPServer(("127.0.0.1", port), handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/hooks/311"

    def __enter__(self) -> LoopbackReceiver:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

    def next_step(self) -> int | float | None:
        with self.lock:
            return self.script.pop(0) if self.script else None

    def record(self, handler: ScriptedReceiver, code: int) -> None:
        headers = {key.lower(): value for key, value in handler.headers.items()}
        self.requests.append(Seen(headers.get("webhook-id", ""), headers, handler.body, code, time.time()))

    def delivered_ids(self) -> list[str]:
        return [seen.webhook_id for seen in self.requests if seen.status == 200]


# --- Fixtures and helpers ---------------------------------------------------------------------------------

OLD_SECRET, NEW_SECRET = new_secret(), new_secret()


@pytest.fixture(autouse=True)
def loopback_endpoints_allowed(settings):
    # The fake receiver listens on 127.0.0.1, which a real endpoint may not (TRAFFIC_ALLOW_PRIVATE_URLS).
    settings.TRAFFIC_ALLOW_PRIVATE_URLS = True


@pytest.fixture
def receiver():
    with LoopbackReceiver(NEW_SECRET) as running:
        yield running


@pytest.fixture
def endpoint(catalog, settings, receiver) -> TrafficEndpoint:
    """Webhook mode with one endpoint in the middle of a key rotation: both secrets sign."""
    settings.TRAFFIC_HANDOFF = "webhook"
    return TrafficEndpoint.objects.create(
        name="Traffic Control CAD", url=receiver.url, secrets=f"{OLD_SECRET}\n{NEW_SECRET}\n"
    )


def handoffs(report: Report | None = None):
    rows = OutboxMessage.objects.filter(kind=OutboxMessage.Kind.TRAFFIC_HANDOFF)
    return rows.filter(report=report) if report else rows


def process_when_due(message: OutboxMessage) -> str:
    """Run the message as a worker would once its backoff has passed."""
    OutboxMessage.objects.filter(pk=message.pk).update(available_at=timezone.now())
    return outbox.claim_and_run(message.pk, tasks.HANDLERS)


def handed_off(report: Report):
    return report.events.filter(kind=ReportEvent.Kind.HANDED_OFF)


def wait_seconds(message: OutboxMessage) -> float:
    message.refresh_from_db()
    return (message.available_at - timezone.now()).total_seconds()


# --- Delivery: what is sent, and how it is signed ---------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("receiver_knows", ["old", "new"])
def test_it_delivers_a_signed_handoff_either_secret_verifies(catalog, settings, receiver_knows):
    settings.TRAFFIC_HANDOFF = "webhook"
    secret = OLD_SECRET if receiver_knows == "old" else NEW_SECRET
    with LoopbackReceiver(secret) as receiver:
        TrafficEndpoint.objects.create(name="CAD", url=receiver.url, secrets=f"{OLD_SECRET}\n{NEW_SECRET}")
        report = file_parking().report
        message = handoffs(report).get()

        assert outbox.claim_and_run(message.pk, tasks.HANDLERS) == "done"

    assert receiver.delivered_ids() == [f"handoff_{message.pk}"]
    assert [ticket["ticket_id"] for ticket in receiver.dispatched] == [report.tracking_number]
    message.refresh_from_db()
    assert message.state == "done"
    event = handed_off(report).get()
    assert event.is_public and event.data == {"via": "CAD", "webhook_id": f"handoff_{message.pk}"}


@pytest.mark.django_db
def test_it_signs_the_standard_webhooks_way_with_every_secret(endpoint, receiver):
    file_parking()
    outbox.claim_and_run(handoffs().get().pk, tasks.HANDLERS)

    seen = receiver.requests[0]
    webhook_id, timestamp = seen.headers["webhook-id"], seen.headers["webhook-timestamp"]
    assert seen.headers["content-type"] == "application/json"
    assert abs(int(timestamp) - time.time()) < 60
    signatures = seen.headers["webhook-signature"].split(" ")
    # HMAC-SHA256 over "id.timestamp.body" with the base64 key after whsec_, sent as "v1,<base64>".
    for secret in (OLD_SECRET, NEW_SECRET):
        key = base64.b64decode(secret.removeprefix("whsec_"))
        digest = hmac.new(key, f"{webhook_id}.{timestamp}.".encode() + seen.body, hashlib.sha256).digest()
        assert f"v1,{base64.b64encode(digest).decode()}" in signatures
        assert Webhook(secret).verify(seen.body, seen.headers)["data"]["ticket_id"]
    assert len(signatures) == 2
    with pytest.raises(WebhookVerificationError):
        Webhook(new_secret()).verify(seen.body, seen.headers)


@pytest.mark.django_db
def test_it_sends_what_dispatch_needs_and_nothing_personal(endpoint, receiver, client):
    photo = samples.upload("car.jpg", samples.jpeg_bytes(gps=True), "image/jpeg")
    file_report(
        client,
        "parking-blocked-driveway",
        files=[photo],
        contact_name="Alex Resident",
        contact_email="alex.private@example.org",
        contact_phone="612-555-0142",
        latitude=str(DOWNTOWN[0]),
        longitude=str(DOWNTOWN[1]),
        location_detail="In the alley behind",
    )
    report = Report.objects.get()
    outbox.claim_and_run(handoffs().get().pk, tasks.HANDLERS)

    body = receiver.requests[0].body.decode()
    for personal in ("Alex", "Resident", "alex.private", "example.org", "555-0142", "contact"):
        assert personal not in body
    payload = json.loads(body)
    jsonschema.validate(payload, json.loads(SCHEMA.read_text()))
    assert payload["type"] == "parking_report.created" and payload["schema_version"] == "2026-11-01"
    data = payload["data"]
    assert data["ticket_id"] == report.tracking_number
    assert data["problem"] == {"code": "parking-blocked-driveway", "name": "Blocked driveway"}
    assert data["location"] == {
        "address": "350 S 5th St",
        "detail": "In the alley behind",
        "latitude": DOWNTOWN[0],
        "longitude": DOWNTOWN[1],
    }
    assert data["vehicle"] == {"plate": "ABC123", "state": "MN", "make": "Honda", "color": "Blue"}
    assert data["answers"]["vehicle-there-now"] == "yes"
    assert len(data["photos"]) == 1


@pytest.mark.django_db
def test_it_matches_the_published_schema_without_a_pin_or_photo(endpoint, receiver):
    file_parking(vehicle_plate="", vehicle_make="Ford", vehicle_colour="Red", description="")
    outbox.claim_and_run(handoffs().get().pk, tasks.HANDLERS)

    payload = json.loads(receiver.requests[0].body)
    jsonschema.validate(payload, json.loads(SCHEMA.read_text()))
    assert payload["data"]["location"]["latitude"] is None and payload["data"]["photos"] == []


@pytest.mark.django_db
def test_it_refuses_a_payload_the_schema_does_not_publish(endpoint, receiver):
    file_parking()
    outbox.claim_and_run(handoffs().get().pk, tasks.HANDLERS)
    payload = json.loads(receiver.requests[0].body)
    payload["data"]["contact_email"] = "alex@example.org"  # what a careless change would add

    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(payload, json.loads(SCHEMA.read_text()))


@pytest.mark.django_db
def test_it_links_a_photo_dispatch_can_open_and_nobody_can_forge(endpoint, receiver, client):
    photo = samples.upload("car.jpg", samples.jpeg_bytes(gps=True), "image/jpeg")
    file_report(client, "parking-fire-hydrant", files=[photo])
    outbox.claim_and_run(handoffs().get().pk, tasks.HANDLERS)
    link = urlsplit(json.loads(receiver.requests[0].body)["data"]["photos"][0]).path

    response = client.get(link)

    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    image = b"".join(response.streaming_content)
    assert Image.open(io.BytesIO(image)).format == "JPEG"
    assert GPS_IFD not in Image.open(io.BytesIO(image)).getexif()  # the location-stripped copy
    token = link.rsplit("/", 1)[1].removesuffix(".jpg")
    altered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    assert client.get(link.replace(token, altered)).status_code == 404


# --- Retries, dead letters, and what is recorded -----------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("status", [500, 502, 503, 408, 429])
def test_it_retries_a_server_error_with_the_same_webhook_id(endpoint, receiver, status):
    report = file_parking().report
    message = handoffs(report).get()
    receiver.script = [status]

    assert outbox.claim_and_run(message.pk, tasks.HANDLERS) == "retry"
    assert not handed_off(report).exists()  # a failed delivery is never recorded as sent
    assert wait_seconds(message) > 0
    assert outbox.claim_and_run(message.pk, tasks.HANDLERS) == "skipped"  # not due yet

    assert process_when_due(message) == "done"
    first, second = receiver.requests
    assert first.status == status and second.status == 200
    assert first.webhook_id == second.webhook_id == f"handoff_{message.pk}"
    failed, delivered = DeliveryAttempt.objects.filter(message=message)
    # The receiver's answer is kept as its status and length, never its text.
    assert (failed.status_code, failed.error) == (status, f"{len(f'refused with {status}')}-byte body")
    assert (delivered.status_code, delivered.error) == (200, "")
    assert failed.endpoint == endpoint and failed.webhook_id == f"handoff_{message.pk}"
    assert failed.started_at <= delivered.started_at and failed.latency_ms >= 0
    assert handed_off(report).count() == 1


@pytest.mark.django_db
def test_it_waits_longer_after_each_failure(endpoint, receiver):
    report = file_parking().report
    message = handoffs(report).get()
    receiver.script = [503, 408, 429, 500, 502]

    waits = []
    for _ in range(5):
        assert process_when_due(message) == "retry"
        waits.append(wait_seconds(message))
    assert process_when_due(message) == "done"

    # Jitter draws each wait from [base * 2^(n-1) / 2, base * 2^(n-1)]: the ranges touch but never overlap.
    assert waits == sorted(waits) and waits[-1] > 4 * waits[0]
    assert len({seen.webhook_id for seen in receiver.requests}) == 1
    assert [a.status_code for a in message.attempts_made.all()] == [503, 408, 429, 500, 502, 200]
    assert handed_off(report).count() == 1 and len(receiver.dispatched) == 1


@pytest.mark.django_db
def test_it_retries_a_timeout_and_the_receiver_acts_once(endpoint, receiver, monkeypatch):
    assert traffic_client.CONNECT_TIMEOUT <= 5 and traffic_client.READ_TIMEOUT <= 30  # the limits
    monkeypatch.setattr(traffic_client, "READ_TIMEOUT", 0.5)  # so the test waits half a second, not thirty
    report = file_parking().report
    message = handoffs(report).get()
    receiver.script = [2.0]  # answers after two seconds: we have given up by then

    assert outbox.claim_and_run(message.pk, tasks.HANDLERS) == "retry"
    attempt = message.attempts_made.get()
    assert attempt.status_code is None and "ReadTimeout" in attempt.error
    assert not handed_off(report).exists()

    assert process_when_due(message) == "done"
    assert wait_for(lambda: len(receiver.requests) == 2)  # the slow one was acted on too, late
    assert {seen.webhook_id for seen in receiver.requests} == {f"handoff_{message.pk}"}
    assert len(receiver.dispatched) == 1  # same webhook-id: the receiver dispatched once


@pytest.mark.django_db
def test_it_retries_when_nobody_listens(endpoint, receiver):
    TrafficEndpoint.objects.filter(pk=endpoint.pk).update(url=f"http://127.0.0.1:{free_port()}/")
    report = file_parking().report
    message = handoffs(report).get()

    assert outbox.claim_and_run(message.pk, tasks.HANDLERS) == "retry"

    attempt = message.attempts_made.get()
    assert attempt.status_code is None and "ConnectionError" in attempt.error
    message.refresh_from_db()
    assert message.state == "pending" and "no answer" in message.last_error
    assert not handed_off(report).exists()


@pytest.mark.django_db
@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
def test_it_refuses_at_delivery_an_endpoint_that_has_become_private(endpoint, receiver, settings, host):
    # Saved when its name pointed elsewhere; the DNS answer changed since. Nothing is sent.
    settings.TRAFFIC_ALLOW_PRIVATE_URLS = False
    TrafficEndpoint.objects.filter(pk=endpoint.pk).update(url=f"http://{host}:{receiver.port}/hooks/311")
    report = file_parking().report
    message = handoffs(report).get()

    assert outbox.claim_and_run(message.pk, tasks.HANDLERS) == "dead"

    assert receiver.requests == []
    attempt = message.attempts_made.get()
    assert attempt.status_code is None and host in attempt.error and "private" in attempt.error
    message.refresh_from_db()
    assert "private" in message.last_error and not handed_off(report).exists()


@pytest.mark.django_db
@pytest.mark.parametrize("status", [400, 401, 404, 422])
def test_it_dead_letters_other_client_errors_at_once(endpoint, receiver, status):
    report = file_parking().report
    message = handoffs(report).get()
    receiver.script = [status]

    assert outbox.claim_and_run(message.pk, tasks.HANDLERS) == "dead"

    message.refresh_from_db()
    assert message.attempts == 1 and message.last_error.startswith(str(status))
    assert outbox.stuck_message_ids() == []
    assert message.attempts_made.get().status_code == status
    assert not handed_off(report).exists()
    endpoint.refresh_from_db()
    assert endpoint.active


@pytest.mark.django_db
def test_it_disables_an_endpoint_that_answers_410(endpoint, receiver):
    first, second = file_parking().report, file_parking().report
    receiver.script = [410]

    assert outbox.claim_and_run(handoffs(first).get().pk, tasks.HANDLERS) == "dead"

    endpoint.refresh_from_db()
    assert not endpoint.active and endpoint.disabled_reason == "410 Gone"
    # What was already queued for it is dead-lettered without another request...
    assert outbox.claim_and_run(handoffs(second).get().pk, tasks.HANDLERS) == "dead"
    assert len(receiver.requests) == 1
    # ...and nothing new is queued for it.
    third = file_parking().report
    assert not handoffs(third).exists()
    assert not handed_off(first).exists() and not handed_off(second).exists()


@pytest.mark.django_db
def test_it_keeps_trying_for_a_day_and_then_dead_letters(endpoint, receiver, settings):
    """Every attempt fails; the clock is moved by each backoff (created_at goes back instead)."""
    assert settings.TRAFFIC_RETRY_HOURS >= 24
    settings.OUTBOX_RETRY_BASE_SECONDS = 30
    report = file_parking().report
    message = handoffs(report).get()
    receiver.script = [503] * 100

    waits, elapsed = [], timedelta(0)
    while (result := process_when_due(message)) == "retry":
        wait = timedelta(seconds=wait_seconds(message))
        waits.append(wait)
        elapsed += wait
        OutboxMessage.objects.filter(pk=message.pk).update(created_at=timezone.now() - elapsed)

    assert result == "dead"
    assert elapsed >= timedelta(hours=24)
    assert elapsed <= timedelta(hours=settings.TRAFFIC_RETRY_HOURS)
    # 30 s doubling to 2 h 8 min (jittered ranges touch but never overlap), then 2 to 4 h apart.
    assert waits[:9] == sorted(waits[:9])
    assert all(timedelta(hours=2) <= wait <= timedelta(hours=4) for wait in waits[9:])
    message.refresh_from_db()
    assert message.attempts == len(waits) + 1 == message.attempts_made.count() == len(receiver.requests)
    assert not handed_off(report).exists()


@pytest.mark.django_db
def test_it_is_still_retrying_after_23_hours_of_failures(endpoint, receiver):
    report = file_parking().report
    message = handoffs(report).get()
    # Thirteen failed attempts spread over 23 hours: the next waits are the full four hours.
    OutboxMessage.objects.filter(pk=message.pk).update(
        created_at=timezone.now() - timedelta(hours=23), attempts=13
    )
    receiver.script = [503]

    assert outbox.claim_and_run(message.pk, tasks.HANDLERS) == "retry"
    message.refresh_from_db()
    assert message.state == "pending"
    assert timedelta(hours=2, minutes=-1) <= message.available_at - timezone.now() <= timedelta(hours=4)


@pytest.mark.django_db
def test_it_dead_letters_once_the_window_has_passed(endpoint, receiver, settings):
    report = file_parking().report
    message = handoffs(report).get()
    created = timezone.now() - timedelta(hours=settings.TRAFFIC_RETRY_HOURS)
    OutboxMessage.objects.filter(pk=message.pk).update(created_at=created)
    receiver.script = [503]

    assert outbox.claim_and_run(message.pk, tasks.HANDLERS) == "dead"
    assert not handed_off(report).exists()

    # A supervisor's "retry now" gets one more try, and it goes through.
    outbox.retry_now(message)
    assert outbox.claim_and_run(message.pk, tasks.HANDLERS) == "done"
    assert handed_off(report).count() == 1


@pytest.mark.django_db
def test_it_delivers_a_redelivered_message_once(endpoint, receiver):
    """A worker killed after the POST but before it marked the row done: the row runs again."""
    report = file_parking().report
    message = handoffs(report).get()
    assert outbox.claim_and_run(message.pk, tasks.HANDLERS) == "done"
    OutboxMessage.objects.filter(pk=message.pk).update(state="pending", available_at=timezone.now())

    assert outbox.claim_and_run(message.pk, tasks.HANDLERS) == "done"

    assert receiver.delivered_ids() == [f"handoff_{message.pk}"] * 2
    assert len(receiver.dispatched) == 1
    assert handed_off(report).count() == 1


@pytest.mark.django_db
def test_a_delivery_reads_its_photos_once_and_its_problem_from_the_catalog(endpoint, receiver, client):
    photo = samples.upload("car.jpg", samples.jpeg_bytes(), "image/jpeg")
    file_report(client, "parking-fire-hydrant", files=[photo])
    catalog.kinds()  # read once per process (and catalog version), not once per delivery
    message = handoffs().get()

    with CaptureQueriesContext(connection) as ran:
        assert outbox.claim_and_run(message.pk, tasks.HANDLERS) == "done"

    statements = [query["sql"] for query in ran]
    assert sum('FROM "reports_evidence"' in sql for sql in statements) == 1, statements
    assert not any("reports_reportsubtype" in sql for sql in statements), statements
    # The claim and the row, the endpoint, the photos, their copies (made here: the hand-off overtook
    # their job), the attempt, the event (looked for, then written), done.
    assert len(statements) == 9, statements
    sent = json.loads(receiver.requests[0].body)["data"]
    assert sent["problem"]["code"] == "parking-fire-hydrant" and len(sent["photos"]) == 1


# --- Board mode, and reports moved into the queue --------------------------------------------------------


@pytest.mark.django_db
def test_it_hands_off_on_the_board_when_filed(catalog, settings, receiver):
    settings.TRAFFIC_HANDOFF = "board"
    TrafficEndpoint.objects.create(name="CAD", url=receiver.url, secrets=NEW_SECRET)

    report = file_parking().report

    assert handed_off(report).get().data == {"via": "board"}
    assert not handoffs().exists()


@pytest.mark.django_db
@pytest.mark.parametrize("mode", ["board", "webhook"])
def test_it_hands_off_a_parking_report_moved_into_the_traffic_queue(
    endpoint, receiver, supervisor, settings, mode
):
    settings.TRAFFIC_HANDOFF = mode
    report = file_parking().report  # filed, then sent to the report takers by mistake
    routing.move_report(report, by=supervisor, queue=Queue.objects.get(code="theft-damage"))
    before = handed_off(report).count()

    event = routing.move_report(report, by=supervisor, queue=Queue.objects.get(code="traffic-control"))

    if mode == "board":
        assert handed_off(report).count() == before + 1
        assert handed_off(report).last().data == {"via": "board"}
        return
    message = handoffs(report).get(dedupe_key__contains=":moved-")
    assert message.dedupe_key == f"handoff:{report.pk}:moved-{event.pk}:{endpoint.pk}"
    assert outbox.claim_and_run(message.pk, tasks.HANDLERS) == "done"
    assert receiver.dispatched[-1]["ticket_id"] == report.tracking_number
    assert handed_off(report).count() == before + 1


@pytest.mark.django_db
def test_it_refuses_to_move_a_report_that_is_not_parking_into_the_traffic_queue(
    endpoint, supervisor, client, settings
):
    file_report(client, "damage-graffiti")
    report = Report.objects.get()

    with pytest.raises(workflow.NotAllowed, match="Only parking reports"):
        routing.move_report(report, by=supervisor, queue=Queue.objects.get(code="traffic-control"))

    report.refresh_from_db()
    assert report.queue.code == "theft-damage"
    assert not handoffs().exists() and not handed_off(report).exists()
    assert not report.events.filter(kind=ReportEvent.Kind.MOVED).exists()


# --- Duplicates -------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_it_links_the_same_plate_and_tells_the_resident(endpoint, client, another_resident):
    file_report(client, "parking-fire-hydrant", vehicle_plate="ABC 123")
    original = Report.objects.get()

    response = file_report(another_resident, "parking-blocked-driveway", vehicle_plate="abc123")

    second = Report.objects.exclude(pk=original.pk).get()
    assert second.status == "duplicate" and second.duplicate_of == original
    assert handoffs(original).count() == 1 and not handoffs(second).exists()
    event = second.events.get(to_status="duplicate")
    assert event.is_public and event.data == {
        "original": original.tracking_number,
        "reason": "already-handled",
    }
    page = another_resident.get(response.url).content.decode()
    assert f"already reported (report {original.tracking_number})" in page
    assert "will not be sent again" in page


@pytest.mark.django_db
def test_it_links_the_same_problem_within_30_metres(endpoint):
    original = file_parking("parking-fire-hydrant", latitude=DOWNTOWN[0], longitude=DOWNTOWN[1]).report

    # About 20 m north, another car plate (or none read): the same hydrant.
    second = file_parking(
        "parking-fire-hydrant", latitude=DOWNTOWN[0] + 0.00018, longitude=DOWNTOWN[1], vehicle_plate=""
    ).report

    second.refresh_from_db()
    assert second.status == "duplicate" and second.duplicate_of == original
    assert not handoffs(second).exists()


@pytest.mark.django_db
@pytest.mark.parametrize("why", ["40 m away", "a day later", "original resolved", "another problem"])
def test_it_does_not_link_what_is_not_the_same(endpoint, why):
    original = file_parking("parking-fire-hydrant", latitude=DOWNTOWN[0], longitude=DOWNTOWN[1]).report
    latitude, subtype = DOWNTOWN[0] + 0.00005, "parking-fire-hydrant"  # about 5 m
    if why == "40 m away":
        latitude = DOWNTOWN[0] + 0.00036
    elif why == "a day later":
        Report.objects.filter(pk=original.pk).update(created_at=timezone.now() - timedelta(hours=25))
    elif why == "original resolved":
        workflow.resolve(original, by=None, outcome="citation_issued")
    else:
        subtype = "parking-double-parked"

    second = file_parking(subtype, latitude=latitude, longitude=DOWNTOWN[1]).report

    second.refresh_from_db()
    assert second.status == "submitted" and second.duplicate_of is None
    assert handoffs(second).count() == 1


# --- Status updates from Traffic Control ------------------------------------------------------------------


def signed(secret: str, webhook_id: str, body: bytes, at: datetime | None = None) -> dict:
    """Sign as Traffic Control would, with the standardwebhooks package rather than our own code."""
    at = at or datetime.now(tz=UTC)
    return {
        "webhook-id": webhook_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": Webhook(secret).sign(webhook_id, at, body.decode()),
    }


def post_update(client, data: dict | bytes, *, secret: str = NEW_SECRET, webhook_id: str = "", at=None):
    body = data if isinstance(data, bytes) else json.dumps(data).encode()
    webhook_id = webhook_id or f"upd_{secrets.token_hex(8)}"
    headers = signed(secret, webhook_id, body, at)
    return client.post(UPDATES_URL, data=body, content_type="application/json", headers=headers)


def update(ticket: str, status: str, **more) -> dict:
    return {"type": "ticket.updated", "data": {"ticket_id": ticket, "status": status, **more}}


@pytest.fixture
def ticket(endpoint) -> submission.Filed:
    return file_parking(contact_email="alex@example.org")


@pytest.mark.django_db
def test_it_moves_the_ticket_through_dispatch_to_resolved(client, ticket, endpoint):
    number = ticket.report.tracking_number
    status_page = reverse("report-status", args=[status_link(ticket.report)])

    response = post_update(client, update(number, "dispatched", unit="PE-14"))
    assert response.status_code == 200 and response.json() == {"result": "applied"}
    report = Report.objects.get(pk=ticket.report.pk)
    assert report.status == "dispatched"
    event = report.events.get(to_status="dispatched")
    assert event.is_public and event.data["unit"] == "PE-14" and event.data["source"] == endpoint.name
    assert "Enforcement dispatched" in client.get(status_page).content.decode()

    assert post_update(client, update(number, "on_scene"), secret=OLD_SECRET).status_code == 200
    assert Report.objects.get(pk=report.pk).status == "on_scene"

    response = post_update(client, update(number, "resolved", outcome="citation_issued", note="Cited."))
    assert response.status_code == 200
    report = Report.objects.get(pk=report.pk)
    assert report.status == "resolved" and report.closed_at is not None
    assert InboundUpdate.objects.filter(report=report).count() == 3
    email = OutboxMessage.objects.get(dedupe_key__startswith="email:parking-resolved:")
    assert outbox.claim_and_run(email.pk, tasks.HANDLERS) == "done"
    resolved_mail = mail.outbox[-1]
    assert resolved_mail.to == ["alex@example.org"] and number in resolved_mail.subject
    assert "A citation was issued" in resolved_mail.body and "Cited." in resolved_mail.body
    assert "A citation was issued" in client.get(status_page).content.decode()


def unchanged(ticket) -> bool:
    """The refused update left the ticket and the table of applied updates as they were."""
    report = Report.objects.get(pk=ticket.report.pk)
    events = report.events.exclude(kind=ReportEvent.Kind.FILED).exclude(kind=ReportEvent.Kind.HANDED_OFF)
    return report.status == "submitted" and not events.exists() and not InboundUpdate.objects.exists()


@pytest.mark.django_db
def test_it_refuses_a_bad_signature(client, ticket):
    response = post_update(client, update(ticket.report.tracking_number, "dispatched"), secret=new_secret())

    assert response.status_code == 401
    assert unchanged(ticket)


@pytest.mark.django_db
def test_it_refuses_a_body_changed_after_signing(client, ticket):
    body = json.dumps(update(ticket.report.tracking_number, "dispatched")).encode()
    headers = signed(NEW_SECRET, "upd_1", body)
    tampered = body.replace(b"dispatched", b"resolved")

    response = client.post(UPDATES_URL, data=tampered, content_type="application/json", headers=headers)

    assert response.status_code == 401
    assert unchanged(ticket)


@pytest.mark.django_db
@pytest.mark.parametrize("minutes", [-6, 6])
def test_it_refuses_a_timestamp_more_than_five_minutes_off(client, ticket, minutes):
    at = datetime.now(tz=UTC) + timedelta(minutes=minutes)

    response = post_update(client, update(ticket.report.tracking_number, "dispatched"), at=at)

    assert response.status_code == 401
    assert unchanged(ticket)


@pytest.mark.django_db
def test_it_refuses_updates_signed_for_a_disabled_endpoint(client, ticket, endpoint):
    TrafficEndpoint.objects.filter(pk=endpoint.pk).update(active=False)

    response = post_update(client, update(ticket.report.tracking_number, "dispatched"))

    assert response.status_code == 401
    assert unchanged(ticket)


@pytest.mark.django_db
def test_it_answers_404_for_an_unknown_ticket(client, ticket):
    response = post_update(client, update("ZZZZ-ZZZZ", "dispatched"))

    assert response.status_code == 404
    assert not InboundUpdate.objects.exists()


@pytest.mark.django_db
def test_it_answers_404_for_a_report_that_is_not_parking(client, ticket):
    file_report(client, "damage-other")
    damage = Report.objects.get(report_type__form="damage")

    assert post_update(client, update(damage.tracking_number, "dispatched")).status_code == 404
    assert Report.objects.get(pk=damage.pk).status == "submitted" and not InboundUpdate.objects.exists()


@pytest.mark.django_db
def test_it_changes_nothing_when_an_update_is_replayed(client, ticket):
    number = ticket.report.tracking_number
    assert (
        post_update(client, update(number, "dispatched"), webhook_id="upd_once").json()["result"] == "applied"
    )
    events = ticket.report.events.count()

    again = post_update(client, update(number, "dispatched"), webhook_id="upd_once")
    other_body = post_update(client, update(number, "resolved", outcome="warning"), webhook_id="upd_once")

    assert again.status_code == other_body.status_code == 200
    assert again.json() == other_body.json() == {"result": "duplicate"}
    report = Report.objects.get(pk=ticket.report.pk)
    assert report.status == "dispatched" and report.events.count() == events
    assert InboundUpdate.objects.count() == 1
    assert not OutboxMessage.objects.filter(dedupe_key__startswith="email:parking-resolved:").exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "body",
    [
        b"{not json",
        b'["ticket.updated"]',
        json.dumps({"type": "ticket.updated"}).encode(),
        json.dumps({"type": "ticket.updated", "data": {"status": "dispatched"}}).encode(),
        "TICKET:on_the_way",
        "TICKET:resolved",  # without an outcome
        "TICKET:resolved:outcome=fixed",  # not one of ours
    ],
)
def test_it_answers_400_for_a_malformed_update(client, ticket, body):
    if isinstance(body, str):
        _, status, *outcome = body.split(":")
        extra = dict(item.split("=") for item in outcome)
        body = json.dumps(update(ticket.report.tracking_number, status, **extra)).encode()

    response = post_update(client, body)

    assert response.status_code == 400 and response.json()["error"]
    assert Report.objects.get(pk=ticket.report.pk).status == "submitted"
    assert not InboundUpdate.objects.exists()


@pytest.mark.django_db
def test_it_answers_400_for_a_webhook_id_too_long_to_remember(client, ticket):
    response = post_update(client, update(ticket.report.tracking_number, "dispatched"), webhook_id="u" * 101)

    assert response.status_code == 400
    assert Report.objects.get(pk=ticket.report.pk).status == "submitted"


@pytest.mark.django_db
def test_it_answers_409_for_a_move_the_workflow_forbids(client, ticket):
    number = ticket.report.tracking_number
    assert post_update(client, update(number, "on_scene")).status_code == 200

    response = post_update(client, update(number, "dispatched"))

    assert response.status_code == 409
    assert Report.objects.get(pk=ticket.report.pk).status == "on_scene"
    assert InboundUpdate.objects.count() == 1  # the refused one is not kept: it may be sent again


@pytest.mark.django_db
def test_it_answers_409_for_an_update_to_a_linked_duplicate(client, ticket):
    second = file_parking(vehicle_plate=ticket.report.vehicle_plate).report
    assert Report.objects.get(pk=second.pk).status == "duplicate"

    assert post_update(client, update(second.tracking_number, "dispatched")).status_code == 409


# --- The example receiver, run as its documentation says ------------------------------------------------


@pytest.mark.django_db
def test_it_delivers_to_the_documented_example_receiver(catalog, settings):
    settings.TRAFFIC_HANDOFF = "webhook"
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, str(EXAMPLE_RECEIVER), str(port)],
        env={**os.environ, "TRAFFIC_SECRET": NEW_SECRET},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert wait_for(lambda: listening(port) or process.poll() is not None) and process.poll() is None
        TrafficEndpoint.objects.create(
            name="Example", url=f"http://127.0.0.1:{port}/", secrets=f"{OLD_SECRET}\n{NEW_SECRET}"
        )
        report = file_parking("parking-fire-hydrant", address="1200 Nicollet Mall").report
        message = handoffs(report).get()
        assert outbox.claim_and_run(message.pk, tasks.HANDLERS) == "done"
        # Delivered again (the worker died before it marked the row done): the same webhook-id.
        OutboxMessage.objects.filter(pk=message.pk).update(state="pending", available_at=timezone.now())
        assert outbox.claim_and_run(message.pk, tasks.HANDLERS) == "done"
    finally:
        process.terminate()
        stdout, stderr = process.communicate(timeout=10)

    assert stdout.splitlines() == ["Send enforcement: Parked at a fire hydrant at 1200 Nicollet Mall"]
    assert [a.status_code for a in message.attempts_made.all()] == [200, 200]
    assert stderr.count('"POST /') == 2


def listening(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
        return True
    except OSError:
        return False


# --- Keep-alive ---------------------------------------------------------------------------------------------


class KeepAliveReceiver(BaseHTTPRequestHandler):
    """A receiver that keeps connections open (HTTP/1.1), counting how many it was asked to open."""

    protocol_version = "HTTP/1.1"
    connections: list = []

    def setup(self):
        super().setup()
        self.connections.append(self.client_address)

    def do_POST(self):
        self.rfile.read(int(self.headers.get("content-length", 0)))
        self.send_response(200)
        self.send_header("content-length", "0")
        self.end_headers()

    def log_message(self, format, *args):
        pass


@pytest.fixture
def keep_alive_receiver(settings):
    settings.TRAFFIC_ALLOW_PRIVATE_URLS = True
    handler = type("Handler", (KeepAliveReceiver,), {"connections": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hooks/311", handler.connections
    server.shutdown()
    server.server_close()


def test_a_worker_sends_one_delivery_after_another_over_one_connection(keep_alive_receiver, monkeypatch):
    url, connections = keep_alive_receiver
    secret = [new_secret()]

    results = [traffic_client.post(url, f"msg_{n}", json.dumps({"n": n}), secret) for n in range(3)]

    assert [result.status_code for result in results] == [200, 200, 200]
    assert len(connections) == 1
    monkeypatch.setattr(traffic_client.os, "getpid", lambda: -1)  # a forked worker: its own connections
    assert traffic_client.post(url, "msg_3", "{}", secret).delivered and len(connections) == 2
