"""Evidence by link (issue 17, part 4): a 311 agent or a report taker sends the resident a one-time link
by email or text, valid for three days, that opens straight onto an upload page for that report and
nothing else; used once or expired, it says so in the resident's language."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from reports import outbox, tasks, upload_links
from reports.models import Evidence, OutboxMessage, Report, ReportEvent, UpdatesBy, UploadLink
from reports.statuses import Status

from .conftest import past, sign_in
from .factories import make_report
from .flows import SAFE_ANSWERS
from .samples import jpeg_bytes, png_bytes, upload
from .test_texts import NUMBER, texts_sent

pytestmark = pytest.mark.django_db


def send_all() -> list[str]:
    due = OutboxMessage.objects.filter(state=OutboxMessage.State.PENDING).order_by("pk")
    return [outbox.claim_and_run(pk, tasks.HANDLERS) for pk in due.values_list("pk", flat=True)]


def link_in(body: str) -> str:
    return re.search(r"https?://[^/\s]+(/upload/[A-Za-z0-9_\-]+/)", body)[1]


def reported(**fields) -> Report:
    fields = {
        "contact_name": "Ana Resident",
        "contact_email": "ana@example.org",
        "description": "Someone took my bicycle from the porch.",
        "address": "1500 Washington Ave S",
        **fields,
    }
    return make_report("theft-bicycle", **fields)


def staff_sends_link(staff: Client, report: Report):
    return staff.post(
        reverse("staff-report-action", args=[report.tracking_number, "upload-link"]), follow=True
    )


def test_a_report_taker_sends_a_link_that_opens_onto_an_upload_page_and_works_once(
    catalog, report_taker, resident
):
    report = reported()
    staff = Client()
    sign_in(staff, report_taker)
    staff_page = staff.get(reverse("staff-report-detail", args=[report.tracking_number])).content.decode()
    assert "data-upload-link-form" in staff_page
    done = staff_sends_link(staff, report).content.decode()
    assert "A link to add photos or documents is on its way" in done
    twice = staff_sends_link(staff, report).content.decode()
    assert "A link was sent a moment ago" in twice and UploadLink.objects.count() == 1
    send_all()

    (email,) = mail.outbox
    assert email.to == ["ana@example.org"] and report.tracking_number in email.subject
    path = link_in(email.body)
    (link,) = UploadLink.objects.all()
    assert link.token not in link.token_hash and link.expires_at > timezone.now() + timedelta(days=2.9)

    page = resident.get(path).content.decode()
    assert report.tracking_number in page and "data-upload-form" in page
    for private in ("Ana Resident", "ana@example.org", "porch", "1500 Washington"):
        assert private not in page  # the link opens an upload page, nothing of the report

    added = resident.post(path, {"files": [upload("receipt.png", png_bytes(), "image/png")]})
    assert added.status_code == 200 and "1 file was added to report" in added.content.decode()
    (item,) = report.evidence.all()
    assert item.source == Evidence.Source.REPLY and item.thumbnail  # checked and copied like any photo
    (event,) = report.events.filter(kind=ReportEvent.Kind.MORE_INFO)
    assert event.data["evidence"] == [str(item.public_id)]
    report.refresh_from_db()
    assert report.updated_by_resident

    used = resident.get(path)
    assert used.status_code == 410 and "already been used" in used.content.decode()
    again = resident.post(path, {"files": [upload("more.jpg", jpeg_bytes(), "image/jpeg")]})
    assert again.status_code == 410 and report.evidence.count() == 1


def test_an_expired_link_says_so_in_the_residents_language(catalog, resident):
    report = reported(language="es")
    link = UploadLink.objects.create(report=report, expires_at=timezone.now() - timedelta(minutes=1))
    response = resident.get(reverse("report-upload-link", args=[link.token]))
    assert response.status_code == 410
    assert "Este enlace venció" in response.content.decode()
    posted = resident.post(
        reverse("report-upload-link", args=[link.token]),
        {"files": [upload("late.jpg", jpeg_bytes(), "image/jpeg")]},
    )
    assert posted.status_code == 410 and not report.evidence.exists()


def test_an_unknown_link_is_a_plain_404(catalog, resident):
    assert resident.get(reverse("report-upload-link", args=["not-a-real-token"])).status_code == 404


def test_a_link_used_before_its_email_went_out_is_not_sent(catalog, report_taker):
    report = reported()
    upload_links.send(report, by=report_taker)
    UploadLink.objects.update(used_at=timezone.now())
    assert send_all() == ["dead"]
    assert mail.outbox == []


def test_a_bad_file_is_refused_with_a_message_and_the_link_still_works(catalog, resident, report_taker):
    report = reported()
    upload_links.send(report, by=report_taker)
    send_all()
    path = link_in(mail.outbox[0].body)
    refused = resident.post(
        path, {"files": [upload("invoice.html", b"<html><script></script>", "text/html")]}
    )
    assert refused.status_code == 200 and "is-invalid" in refused.content.decode()
    nothing = resident.post(path, {})
    assert "Choose at least one photo or document." in nothing.content.decode()
    assert not report.evidence.exists() and UploadLink.objects.get().used_at is None
    assert resident.post(path, {"files": [upload("ok.jpg", jpeg_bytes(), "image/jpeg")]}).status_code == 200
    assert report.evidence.count() == 1


def test_files_sent_while_staff_wait_for_an_answer_are_the_answer(catalog, resident, report_taker):
    report = reported(status=Status.NEEDS_INFO, info_due_at=timezone.now() + timedelta(days=5))
    upload_links.send(report, by=report_taker)
    send_all()
    resident.post(link_in(mail.outbox[0].body), {"files": [upload("a.jpg", jpeg_bytes(), "image/jpeg")]})
    report.refresh_from_db()
    assert report.status == Status.IN_REVIEW and report.events.filter(kind="resident_reply").exists()


def test_a_resident_who_chose_texts_gets_the_link_by_text(catalog, resident, report_taker, sms_outbox):
    report = reported(
        contact_email="",
        contact_phone=NUMBER,
        updates_by=UpdatesBy.TEXT,
        sms_consent_at=timezone.now(),
    )
    upload_links.send(report, by=report_taker)
    send_all()
    (text,) = texts_sent(sms_outbox)
    assert report.tracking_number in text and "3 days" in text
    assert resident.get(link_in(text)).status_code == 200


def test_no_link_for_a_resident_we_cannot_reach_nor_for_a_closed_report(catalog, report_taker):
    staff = Client()
    sign_in(staff, report_taker)
    anonymous = reported(contact_email="", contact_name="")
    assert "cannot reach them" in staff_sends_link(staff, anonymous).content.decode()
    closed = reported(status=Status.APPROVED, case_number="MP26-000001")
    assert "This report is closed" in staff_sends_link(staff, closed).content.decode()
    assert not UploadLink.objects.exists() and not OutboxMessage.objects.exists()


def test_a_311_agent_sends_the_caller_a_link_after_filing_by_phone(agent_311, resident):
    agent = Client()
    sign_in(agent, agent_311)
    agent.post(reverse("intake-eligibility", args=["theft-bicycle"]), {**SAFE_ANSWERS, "channel": "phone"})
    details = {
        "occurred_from": past(hours=10),
        "occurred_to": past(hours=2),
        "address": "1500 Washington Ave S",
        "description": "Taken from the rack.",
        "contact_email": "caller@example.org",
        "items-TOTAL_FORMS": "1",
        "items-INITIAL_FORMS": "0",
        "items-0-description": "Bicycle",
        "items-0-value": "400",
    }
    assert agent.post(reverse("intake-details"), details).url == reverse("intake-review")
    agent.post(reverse("intake-review"), {"confirm": "on", "send": "1"})
    done = agent.get(reverse("intake-submitted")).content.decode()
    assert "data-upload-link-form" in done

    sent = agent.post(reverse("intake-upload-link"), follow=True).content.decode()
    assert "The upload link is on its way to the caller." in sent
    send_all()
    (email,) = [email for email in mail.outbox if "Add photos" in email.subject]
    assert email.to == ["caller@example.org"]
    added = resident.post(link_in(email.body), {"files": [upload("bike.jpg", jpeg_bytes(), "image/jpeg")]})
    assert "1 file was added" in added.content.decode()
    assert Report.objects.get().evidence.count() == 1
