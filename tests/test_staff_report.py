from __future__ import annotations

import hashlib

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from reports import outbox, tasks
from reports.evidence import evidence_storage
from reports.models import Evidence, OutboxMessage, Report, ReportEvent
from reports.statuses import Status

from . import samples
from .conftest import past, sign_in
from .flows import SAFE_ANSWERS, file_report, status_token

pytestmark = pytest.mark.django_db


def signed_in(user) -> Client:
    client = Client()
    sign_in(client, user)
    return client


@pytest.fixture
def theft(client, catalog) -> Report:
    photo = samples.upload("window.jpg", samples.jpeg_bytes(gps=True), "image/jpeg")
    file_report(client, "theft-from-vehicle", files=[photo])
    return Report.objects.get()


def act(client: Client, report: Report, action: str, **data):
    return client.post(reverse("staff-report-action", args=[report.tracking_number, action]), data)


def test_it_shows_everything_the_resident_gave(theft, report_taker):
    page = signed_in(report_taker).get(reverse("staff-report-detail", args=[theft.tracking_number]))
    html = page.content.decode()
    assert page.status_code == 200
    for expected in (
        "Laptop",
        "ThinkPad X1",
        "SN123",
        "350 S 5th St",
        "alex@example.org",
        "window.jpg",
        theft.evidence.get().sha256,
        "Is anyone in danger or hurt right now?",
    ):
        assert expected in html
    assert ReportEvent.objects.filter(report=theft, kind=ReportEvent.Kind.VIEWED, actor=report_taker).exists()


def test_it_runs_each_action_from_the_page(theft, report_taker):
    staff = signed_in(report_taker)
    assert act(staff, theft, "assign-me").status_code == 302
    act(staff, theft, "note", note="Checked the plate database.")
    response = act(staff, theft, "request-info", note="Please send the receipt.")
    assert response.status_code == 302
    theft.refresh_from_db()
    assert theft.status == Status.NEEDS_INFO and theft.assignee == report_taker
    # An illegal move is refused with a message, and nothing changes.
    events = theft.events.count()
    page = staff.post(
        reverse("staff-report-action", args=[theft.tracking_number, "duplicate"]),
        {"original": theft.tracking_number},
        follow=True,
    )
    assert "cannot be a duplicate of itself" in page.content.decode()
    theft.refresh_from_db()
    assert theft.status == Status.NEEDS_INFO and theft.events.count() == events + 1  # the page view only


def test_it_refuses_a_bad_action_form_with_a_message(theft, report_taker):
    page = signed_in(report_taker).post(
        reverse("staff-report-action", args=[theft.tracking_number, "reject"]), {"reason": "999"}, follow=True
    )
    assert "Reason" in page.content.decode()
    theft.refresh_from_db()
    assert theft.status == Status.SUBMITTED


def test_it_keeps_reassignment_for_supervisors(theft, report_taker, supervisor):
    assert act(signed_in(report_taker), theft, "assign", assignee=report_taker.pk).status_code == 403
    assert act(signed_in(supervisor), theft, "assign", assignee=report_taker.pk).status_code == 302
    theft.refresh_from_db()
    assert theft.assignee == report_taker


def test_it_records_every_download_of_an_original(theft, report_taker):
    evidence = theft.evidence.get()
    staff = signed_in(report_taker)
    response = staff.get(
        reverse("staff-evidence", args=[theft.tracking_number, evidence.public_id, "original"])
    )
    body = b"".join(response.streaming_content)
    assert hashlib.sha256(body).hexdigest() == evidence.sha256
    disposition = response["Content-Disposition"]
    assert "attachment" in disposition and f"{theft.tracking_number}-1.jpg" in disposition
    logged = ReportEvent.objects.get(report=theft, kind=ReportEvent.Kind.EVIDENCE_VIEWED)
    assert logged.actor == report_taker and logged.data["action"] == "download"


def test_it_verifies_an_original_against_its_hash(theft, report_taker):
    evidence = theft.evidence.get()
    staff = signed_in(report_taker)
    url = reverse("staff-evidence-verify", args=[theft.tracking_number, evidence.public_id])
    assert "matches" in staff.post(url, follow=True).content.decode()
    with evidence_storage().open(evidence.original.name, "wb") as tampered:
        tampered.write(b"not the photo")
    assert "does NOT match" in staff.post(url, follow=True).content.decode()


def test_it_emails_the_approved_report_with_its_pdf(theft, report_taker):
    act(signed_in(report_taker), theft, "approve", note="")
    message = OutboxMessage.objects.get(payload__template="report-approved")
    assert outbox.claim_and_run(message.pk, tasks.HANDLERS) == "done"
    email = mail.outbox[-1]
    theft.refresh_from_db()
    assert theft.case_number in email.subject
    [(name, content, mimetype)] = email.attachments
    assert name == f"report-{theft.case_number}.pdf" and mimetype == "application/pdf"
    assert content.startswith(b"%PDF-")


def test_it_lets_the_resident_reply_with_a_photo_and_download_the_pdf(client, theft, report_taker):
    token = status_token(client)
    status_url = reverse("report-status", args=[token])
    assert "Send my answer" not in client.get(status_url).content.decode()
    act(signed_in(report_taker), theft, "request-info", note="Please send a photo of the damage.")

    page = client.get(status_url).content.decode()
    assert "Please send a photo of the damage." in page and "Send my answer" in page
    photo = samples.upload("damage.jpg", samples.jpeg_bytes(), "image/jpeg")
    response = client.post(
        reverse("report-status-reply", args=[token]), {"text": "Here it is.", "files": [photo]}
    )
    assert response.status_code == 302
    theft.refresh_from_db()
    assert theft.status == Status.IN_REVIEW and theft.updated_by_resident
    assert theft.evidence.filter(source=Evidence.Source.REPLY).count() == 1

    assert client.get(reverse("report-status-pdf", args=[token])).status_code == 404
    act(signed_in(report_taker), theft, "approve")
    pdf = client.get(reverse("report-status-pdf", args=[token]))
    assert pdf.status_code == 200 and b"".join(pdf.streaming_content).startswith(b"%PDF-")


def test_it_keeps_a_bad_reply_file_from_half_saving(client, theft, report_taker):
    token = status_token(client)
    act(signed_in(report_taker), theft, "request-info", note="Receipt please.")
    bad = samples.upload("receipt.jpg", samples.text_as_jpg(), "image/jpeg")
    response = client.post(
        reverse("report-status-reply", args=[token]), {"text": "Attached.", "files": [bad]}
    )
    assert response.status_code == 200 and "receipt.jpg" in response.content.decode()
    theft.refresh_from_db()
    assert theft.status == Status.NEEDS_INFO and theft.evidence.count() == 1


def test_a_311_agent_files_for_a_caller(agent_311):
    agent = signed_in(agent_311)
    page = agent.get(reverse("intake-eligibility", args=["theft-bicycle"])).content.decode()
    assert "How is the caller reporting?" in page
    response = agent.post(
        reverse("intake-eligibility", args=["theft-bicycle"]), {**SAFE_ANSWERS, "channel": "phone"}
    )
    assert response.url == reverse("intake-details")
    details = {
        "occurred_from": past(hours=10),
        "occurred_to": past(hours=2),
        "address": "1500 Washington Ave S",
        "description": "Taken from the rack.",
        "items-TOTAL_FORMS": "1",
        "items-INITIAL_FORMS": "0",
        "items-0-description": "Bicycle",
        "items-0-value": "400",
    }
    assert agent.post(reverse("intake-details"), details).url == reverse("intake-review")  # no email needed
    assert agent.post(reverse("intake-review"), {"confirm": "on", "send": "1"}).url == reverse(
        "intake-submitted"
    )

    report = Report.objects.get()
    assert (report.channel, report.filed_by, report.contact_email) == ("phone", agent_311, "")
    done = agent.get(reverse("intake-submitted")).content.decode()
    assert report.tracking_number in done and "Read the tracking number back" in done
    assert not OutboxMessage.objects.exists()  # nobody to email


def test_a_311_agent_is_not_rate_limited_per_address(agent_311, settings):
    agent = signed_in(agent_311)
    for _ in range(12):  # above FILING_RATE for one address
        response = agent.post(reverse("intake-review"), {})
        assert response.status_code != 429


def test_an_administrator_edits_the_reasons_residents_read(catalog, db):
    from django.contrib.auth.models import Group, User

    admin = User.objects.create_user("cityadmin", password="a-long-test-password", is_staff=True)
    admin.groups.add(Group.objects.get(name="Administrators"))
    browser = signed_in(admin)
    for model in ("rejectionreason", "referralreason", "reporttype", "queue", "question"):
        assert browser.get(f"/admin/reports/{model}/").status_code == 200, model
    assert browser.get("/admin/auth/user/").status_code == 200
