from __future__ import annotations

import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from reports import outbox, tasks
from reports.models import OutboxMessage, Report
from traffic.models import DeliveryAttempt, TrafficEndpoint

from .conftest import make_staff, sign_in
from .factories import file_parking
from .flows import file_report

pytestmark = pytest.mark.django_db

PAGE = "/staff/deliveries/"


def signed_in(user) -> Client:
    client = Client()
    sign_in(client, user)
    return client


@pytest.fixture
def ticket(client, catalog) -> Report:
    file_report(client, "parking-fire-hydrant", vehicle_plate="DLQ111")
    return Report.objects.get()


@pytest.fixture
def endpoint(db) -> TrafficEndpoint:
    return TrafficEndpoint.objects.create(
        name="Dispatch CAD",
        url="https://cad.example.org/hooks",
        secrets="whsec_dGVzdA==",
        active=False,
        disabled_reason="410 Gone",
    )


def dead_handoff(report: Report, endpoint: TrafficEndpoint, **fields) -> OutboxMessage:
    message = OutboxMessage.objects.create(
        kind=OutboxMessage.Kind.TRAFFIC_HANDOFF,
        report=report,
        dedupe_key=f"handoff:{report.pk}:filed:{endpoint.pk}",
        payload={"endpoint": endpoint.pk},
        state=OutboxMessage.State.DEAD,
        attempts=2,
        last_error="410: Gone (endpoint disabled)",
        available_at=timezone.now() - timedelta(hours=3),
        **fields,
    )
    for status_code, latency, error in ((503, 120, "Service Unavailable"), (410, 45, "Gone")):
        DeliveryAttempt.objects.create(
            message=message,
            endpoint=endpoint,
            webhook_id=f"handoff_{message.pk}",
            status_code=status_code,
            latency_ms=latency,
            error=error,
        )
    return message


def test_it_lists_dead_letters_with_their_attempts(ticket, endpoint, supervisor):
    message = dead_handoff(ticket, endpoint)
    page = signed_in(supervisor).get(PAGE)
    html = page.content.decode()
    assert page.status_code == 200
    for expected in (
        "Hand-off to Traffic Control",
        ticket.tracking_number,
        "410: Gone (endpoint disabled)",
        "503",
        "120 ms",
        "Service Unavailable",
        "45 ms",
        "Dispatch CAD",
        reverse("staff-report-detail", args=[ticket.tracking_number]),
        reverse("staff-delivery-retry", args=[message.pk]),
    ):
        assert expected in html, expected


def test_it_lists_failing_pending_messages_apart_and_leaves_out_healthy_ones(ticket, supervisor):
    confirmation = OutboxMessage.objects.get(report=ticket)  # the "report filed" email, pending, never tried
    failing = OutboxMessage.objects.create(
        kind=OutboxMessage.Kind.EMAIL,
        report=ticket,
        dedupe_key="email:test:failing",
        payload={"template": "parking-resolved"},
        attempts=1,
        last_error="SMTP 451: try again later",
    )
    delivered = OutboxMessage.objects.create(
        kind=OutboxMessage.Kind.EMAIL,
        report=ticket,
        dedupe_key="email:test:done",
        payload={"template": "report-filed"},
        state=OutboxMessage.State.DONE,
        attempts=3,
    )
    html = signed_in(supervisor).get(PAGE).content.decode()
    failing_section = html[html.index('data-section="failing"') :]
    assert f'data-message="{failing.pk}"' in failing_section and "SMTP 451" in failing_section
    assert f'data-message="{failing.pk}"' not in html[: html.index('data-section="failing"')]
    assert f'data-message="{confirmation.pk}"' not in html
    assert f'data-message="{delivered.pk}"' not in html
    assert "No dead letters." in html


def test_it_shows_disabled_endpoints_with_their_reason(endpoint, catalog, supervisor):
    TrafficEndpoint.objects.create(name="Working CAD", url="https://ok.example.org/", secrets="whsec_eA==")
    html = signed_in(supervisor).get(PAGE).content.decode()
    assert "Dispatch CAD" in html and "410 Gone" in html
    assert "Working CAD" not in html


def test_it_retries_a_dead_letter_now(ticket, endpoint, supervisor, django_capture_on_commit_callbacks):
    message = dead_handoff(ticket, endpoint)
    browser = signed_in(supervisor)  # first: making its second factor has callbacks of its own
    with django_capture_on_commit_callbacks() as callbacks:
        response = browser.post(reverse("staff-delivery-retry", args=[message.pk]))
    assert response.status_code == 302 and response["Location"] == PAGE
    message.refresh_from_db()
    assert message.state == OutboxMessage.State.PENDING
    assert message.available_at <= timezone.now() and message.claimed_until is None
    assert len(callbacks) == 1  # the worker is woken once the retry is committed
    assert message.attempts_made.count() == 2  # the button itself delivers nothing


def test_it_tells_the_supervisor_the_retry_was_queued(ticket, endpoint, supervisor):
    message = dead_handoff(ticket, endpoint)
    page = signed_in(supervisor).post(reverse("staff-delivery-retry", args=[message.pk]), follow=True)
    assert "will be tried again now" in page.content.decode()


def test_it_does_not_send_a_delivered_message_again(ticket, supervisor):
    delivered = OutboxMessage.objects.create(
        kind=OutboxMessage.Kind.EMAIL,
        report=ticket,
        dedupe_key="email:test:done",
        payload={"template": "report-filed"},
        state=OutboxMessage.State.DONE,
        attempts=1,
        done_at=timezone.now(),
    )
    page = signed_in(supervisor).post(reverse("staff-delivery-retry", args=[delivered.pk]), follow=True)
    assert "already delivered" in page.content.decode()
    delivered.refresh_from_db()
    assert delivered.state == OutboxMessage.State.DONE


def test_it_answers_404_for_an_unknown_message(catalog, supervisor):
    assert signed_in(supervisor).post(reverse("staff-delivery-retry", args=[999999])).status_code == 404


@pytest.mark.parametrize(
    ("persona", "expected"),
    [("supervisor", 200), ("traffic_agent", 403), ("report_taker", 403), ("agent_311", 403)],
)
def test_it_is_for_supervisors_only(request, catalog, persona, expected):
    assert signed_in(request.getfixturevalue(persona)).get(PAGE).status_code == expected


def test_it_sends_anonymous_visitors_to_sign_in(catalog):
    response = Client().get(PAGE)
    assert response.status_code == 302 and response["Location"].startswith(reverse("staff-login"))


def test_only_supervisors_may_retry(ticket, endpoint, traffic_agent):
    message = dead_handoff(ticket, endpoint)
    assert (
        signed_in(traffic_agent).post(reverse("staff-delivery-retry", args=[message.pk])).status_code == 403
    )
    assert Client().post(reverse("staff-delivery-retry", args=[message.pk])).status_code == 302
    message.refresh_from_db()
    assert message.state == OutboxMessage.State.DEAD


def test_it_links_dead_letters_from_the_supervisors_menu(catalog, supervisor, traffic_agent):
    assert PAGE in signed_in(supervisor).get(reverse("staff-home")).content.decode()
    assert PAGE not in signed_in(traffic_agent).get(reverse("staff-home")).content.decode()


def test_it_links_a_disabled_endpoint_to_the_admin_for_administrators(endpoint, catalog, supervisor):
    administrator = make_staff("cityadmin", "Administrators")
    link = reverse("admin:traffic_trafficendpoint_change", args=[endpoint.pk])
    assert link in signed_in(administrator).get(PAGE).content.decode()
    assert link not in signed_in(supervisor).get(PAGE).content.decode()


# --- What a receiver answers is not ours to show -------------------------------------------------------

LEAKY_BODY = b"Traceback: db password=hunter2-s3cr3t token=sk_live_LEAKED0123456789"


class LeakyReceiver(BaseHTTPRequestHandler):
    """A dispatch system whose error page spills its secrets."""

    def do_POST(self):
        self.rfile.read(int(self.headers.get("content-length", 0)))
        self.send_response(500)
        self.send_header("content-type", "text/plain")
        self.send_header("content-length", str(len(LEAKY_BODY)))
        self.end_headers()
        self.wfile.write(LEAKY_BODY)

    def log_message(self, format, *args):
        pass


@pytest.fixture
def leaky_endpoint(catalog, settings):
    settings.TRAFFIC_HANDOFF = "webhook"
    settings.TRAFFIC_ALLOW_PRIVATE_URLS = True  # the receiver is on loopback
    server = ThreadingHTTPServer(("127.0.0.1", 0), LeakyReceiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield TrafficEndpoint.objects.create(
            name="Leaky CAD",
            url=f"http://127.0.0.1:{server.server_address[1]}/hooks",
            secrets="whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
        )
    finally:
        server.shutdown()
        server.server_close()


def test_it_records_a_receivers_answer_as_status_and_length_only(leaky_endpoint, supervisor):
    report = file_parking().report
    message = OutboxMessage.objects.get(report=report, kind=OutboxMessage.Kind.TRAFFIC_HANDOFF)

    assert outbox.claim_and_run(message.pk, tasks.HANDLERS) == "retry"

    attempt = DeliveryAttempt.objects.get(message=message)
    message.refresh_from_db()
    assert attempt.status_code == 500 and attempt.error == f"{len(LEAKY_BODY)}-byte body"
    for recorded in (attempt.error, message.last_error):
        assert "hunter2" not in recorded and "sk_live" not in recorded
    html = signed_in(supervisor).get(PAGE).content.decode()
    assert "500" in html and f"{len(LEAKY_BODY)}-byte body" in html
    assert "hunter2" not in html and "sk_live" not in html and "Traceback" not in html
