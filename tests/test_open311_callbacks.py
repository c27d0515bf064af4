"""Callbacks instead of polling: each status change of a request a client filed is posted to that client,
signed the Standard Webhooks way, queued in the transaction of the change, retried and dead-lettered
through the outbox like a Traffic Control hand-off, with each attempt recorded.

The client is faked at the network: a receiver on loopback that checks the signature. Deliveries run
eagerly through outbox.claim_and_run, as a worker would; one flow runs through a real worker.
"""

from __future__ import annotations

import base64
import json
import secrets
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from standardwebhooks.webhooks import Webhook

from open311.models import CALLBACK_KIND, ApiClient, CallbackAttempt
from reports import outbox, tasks, workflow
from reports.models import OutboxMessage, Report
from reports.statuses import Status

from . import test_open311_support as support
from .conftest import wait_for
from .flows import file_report
from .test_open311_support import file_by_api, parking_params, theft_params

pytestmark = pytest.mark.django_db
SECRET = "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()
OLD_SECRET = "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


class Receiver(BaseHTTPRequestHandler):
    """A client's callback endpoint: answers what `script` says next (200 once it is empty)."""

    script: list[int]
    seen: list[tuple[dict, bytes]]

    def do_POST(self):  # noqa: N802 (the http.server name)
        body = self.rfile.read(int(self.headers.get("content-length", 0)))
        self.seen.append(({key.lower(): value for key, value in self.headers.items()}, body))
        code = self.script.pop(0) if self.script else 200
        self.send_response(code)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def receiver(settings):
    settings.TRAFFIC_ALLOW_PRIVATE_URLS = True  # the receiver listens on 127.0.0.1
    handler = type("Handler", (Receiver,), {"script": [], "seen": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    handler.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/311"
    yield handler
    server.shutdown()
    server.server_close()


@pytest.fixture
def api_key(catalog, receiver) -> str:
    return support.new_key(
        "FixMyStreet", callback_url=receiver.url, callback_secrets=f"{OLD_SECRET}\n{SECRET}"
    )


def callback_rows() -> list[OutboxMessage]:
    return list(OutboxMessage.objects.filter(kind=CALLBACK_KIND).order_by("id"))


def run_all() -> list[str]:
    return [outbox.claim_and_run(message.pk, tasks.HANDLERS) for message in callback_rows()]


def test_it_posts_each_status_change_of_a_request_to_the_client_that_filed_it(
    client, api_key, receiver, traffic_agent
):
    report = file_by_api(client, parking_params(api_key))
    workflow.dispatch(report, by=traffic_agent, unit="PE-14")
    workflow.resolve(report, by=traffic_agent, outcome="ticketed", note="CANARY note to the resident")

    assert run_all() == ["done", "done"]

    statuses = []
    for headers, body in receiver.seen:
        # Signed with every secret the client has: it can check with either during a rotation.
        assert len(headers["webhook-signature"].split()) == 2
        payload = Webhook(SECRET).verify(body, headers)
        assert Webhook(OLD_SECRET).verify(body, headers) == payload
        assert payload["type"] == "open311.service_request.updated"
        assert payload["data"]["request"]["service_request_id"] == report.tracking_number
        statuses.append(payload["data"]["request_update"]["status"])
        for secret in ("CANARY", "Apiuser", "API777", "pat.apiuser", "PE-14"):
            assert secret not in body.decode()
    assert statuses == ["action_scheduled", "fixed"]
    first = json.loads(receiver.seen[0][1])["data"]["request_update"]
    event = report.events.get(to_status=Status.DISPATCHED)
    assert first["update_id"] == str(event.pk) and first["external_status_code"] == "dispatched"
    attempts = list(CallbackAttempt.objects.order_by("id"))
    assert [(a.status_code, a.client.name) for a in attempts] == [(200, "FixMyStreet"), (200, "FixMyStreet")]
    assert attempts[0].webhook_id == receiver.seen[0][0]["webhook-id"] == f"open311_{callback_rows()[0].pk}"


def test_it_follows_a_private_filing_too_without_anything_personal(client, api_key, receiver, report_taker):
    theft = file_by_api(client, theft_params(api_key))
    workflow.request_info(theft, by=report_taker, message="CANARY what colour was it?")

    assert run_all() == ["done"]

    ((headers, body),) = receiver.seen
    assert Webhook(SECRET).verify(body, headers)["data"]["request_update"]["status"] == "investigating"
    for secret in ("CANARY", "Robin", "Bikeless", "robin@example.org", "Blue Trek", "3512 Bryant"):
        assert secret not in body.decode()


def test_it_queues_the_callback_in_the_transaction_of_the_change(client, api_key, traffic_agent):
    report = file_by_api(client, parking_params(api_key))

    with pytest.raises(RuntimeError), transaction.atomic():
        workflow.dispatch(report, by=traffic_agent, unit="PE-14")
        assert len(callback_rows()) == 1  # written with the change
        raise RuntimeError("the change is rolled back")

    assert callback_rows() == []
    workflow.dispatch(Report.objects.get(pk=report.pk), by=traffic_agent, unit="PE-14")
    (message,) = callback_rows()
    assert message.report == report and message.dedupe_key.startswith("open311-callback:")


def test_it_posts_nothing_nobody_asked_for(client, api_key, traffic_agent, catalog, receiver):
    quiet_key = support.new_key("No callbacks")
    quiet = file_by_api(client, parking_params(quiet_key))
    file_report(Client(), "parking-fire-hydrant")
    on_the_web = Report.objects.get(channel="web")
    plate = {"attribute[vehicle_plate]": "OTHER 1"}  # not a duplicate of the first
    mine = file_by_api(client, parking_params(api_key, service_code="parking-double-parked", **plate))

    workflow.dispatch(quiet, by=traffic_agent, unit="PE-1")
    workflow.dispatch(on_the_web, by=traffic_agent, unit="PE-2")
    workflow.add_note(mine, by=traffic_agent, text="not a status change")
    ApiClient.objects.filter(callback_url=receiver.url).update(revoked_at=timezone.now())
    workflow.dispatch(mine, by=traffic_agent, unit="PE-3")

    assert callback_rows() == []


def test_it_retries_a_failing_client_with_backoff_then_dead_letters_it(
    client, api_key, receiver, traffic_agent
):
    receiver.script = [503, 429]
    report = file_by_api(client, parking_params(api_key))
    workflow.dispatch(report, by=traffic_agent, unit="PE-14")
    (message,) = callback_rows()

    assert outbox.claim_and_run(message.pk, tasks.HANDLERS) == "retry"
    message.refresh_from_db()
    assert message.state == "pending" and message.available_at > timezone.now()
    OutboxMessage.objects.filter(pk=message.pk).update(available_at=timezone.now())
    assert outbox.claim_and_run(message.pk, tasks.HANDLERS) == "retry"
    # Past its window, the next failure is final: a dead letter for a supervisor.
    receiver.script = [500]
    OutboxMessage.objects.filter(pk=message.pk).update(
        available_at=timezone.now(), created_at=timezone.now() - timedelta(hours=49)
    )
    assert outbox.claim_and_run(message.pk, tasks.HANDLERS) == "dead"
    assert [attempt.status_code for attempt in CallbackAttempt.objects.order_by("id")] == [503, 429, 500]
    ids = {headers["webhook-id"] for headers, _ in receiver.seen}
    assert ids == {f"open311_{message.pk}"}  # the same id on every try: the client deduplicates by it


@pytest.mark.parametrize(("code", "disabled"), [(400, ""), (410, "410 Gone")])
def test_it_gives_up_at_once_on_a_client_error(client, api_key, receiver, traffic_agent, code, disabled):
    receiver.script = [code]
    report = file_by_api(client, parking_params(api_key))
    workflow.dispatch(report, by=traffic_agent, unit="PE-14")

    assert run_all() == ["dead"]
    assert ApiClient.objects.get(name="FixMyStreet").callback_disabled_reason == disabled


def test_it_refuses_a_private_address_at_delivery(client, api_key, traffic_agent, settings, receiver):
    report = file_by_api(client, parking_params(api_key))
    workflow.dispatch(report, by=traffic_agent, unit="PE-14")
    settings.TRAFFIC_ALLOW_PRIVATE_URLS = False

    assert run_all() == ["dead"]
    assert receiver.seen == []
    assert CallbackAttempt.objects.get().error.startswith("Refused: 127.0.0.1 is 127.0.0.1")


@pytest.mark.worker
def test_a_real_worker_delivers_the_callback(celery_worker, catalog, receiver, traffic_agent):
    key = support.new_key("FixMyStreet", callback_url=receiver.url, callback_secrets=SECRET)
    report = file_by_api(Client(), parking_params(key))

    workflow.dispatch(report, by=traffic_agent, unit="PE-14")

    assert wait_for(lambda: receiver.seen, timeout=60), "no callback arrived"
    headers, body = receiver.seen[0]
    assert Webhook(SECRET).verify(body, headers)["data"]["request_update"]["status"] == "action_scheduled"
    assert wait_for(lambda: OutboxMessage.objects.filter(kind=CALLBACK_KIND, state="done").exists())


# --- The admin ----------------------------------------------------------------------------------------


def test_an_administrator_sets_a_callback_url_and_secrets_that_are_never_shown(
    admin_client, catalog, settings
):
    settings.TRAFFIC_ALLOW_PRIVATE_URLS = False
    add = reverse("admin:open311_apiclient_add")
    form = {"name": "FixMyStreet", "contact_email": "fms@example.org", "callback_url": "https://127.0.0.1/x"}

    refused = admin_client.post(add, form)
    assert refused.status_code == 200 and "private, loopback or reserved" in refused.content.decode()
    no_secret = admin_client.post(add, {**form, "callback_url": "https://93.184.215.14/hooks"})
    assert "add a secret" in no_secret.content.decode()

    saved = admin_client.post(
        add, {**form, "callback_url": "https://93.184.215.14/hooks", "new_callback_secret": SECRET}
    )

    assert saved.status_code == 200  # the page that shows the new key
    client = ApiClient.objects.get()
    assert client.callback_secret_list() == [SECRET] and client.wants_callbacks
    page = admin_client.get(reverse("admin:open311_apiclient_change", args=[client.pk])).content.decode()
    assert SECRET not in page and f"whsec_…{SECRET[-4:]}" in page


# --- The wiring ------------------------------------------------------------------------------------------


def test_workflow_move_itself_queues_the_callback(client, api_key, traffic_agent):
    report = file_by_api(client, parking_params(api_key))

    workflow.dispatch(report, by=traffic_agent, unit="PE-14")

    assert len(callback_rows()) == 1
    assert CALLBACK_KIND in tasks.HANDLERS and CALLBACK_KIND in outbox.RETRY_POLICIES
