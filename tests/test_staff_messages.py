"""Staff write to residents in the resident's language: prepared messages, and free text marked as such."""

from __future__ import annotations

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from reports import outbox, tasks, workflow
from reports.models import OutboxMessage, Report, ResponseTemplate

from .conftest import sign_in
from .factories import status_link
from .flows import file_report

pytestmark = pytest.mark.django_db


def filed_in(client: Client, language: str) -> Report:
    client.cookies["django_language"] = language
    file_report(client, "theft-bicycle")
    return Report.objects.get()


def sent(template: str) -> mail.EmailMessage:
    message = OutboxMessage.objects.get(payload__template=template)
    assert outbox.claim_and_run(message.pk, tasks.HANDLERS) == "done"
    return mail.outbox[-1]


def test_a_prepared_message_reaches_a_hmong_speaking_resident_in_hmong(client, report_taker):
    report = filed_in(client, "hmn")
    serial = ResponseTemplate.objects.get(code="serial-number-needed")
    staff = Client()
    sign_in(staff, report_taker)

    page = staff.get(reverse("staff-report-detail", args=[report.tracking_number])).content.decode()
    response = staff.post(
        reverse("staff-report-action", args=[report.tracking_number, "request-info"]),
        {"template": serial.pk, "missing": "Trek FX 3", "note": ""},
    )

    assert 'lang="hmn">Hmoob<' in page  # the resident's language, plainly on the report page
    assert response.status_code == 302
    email = sent("info-requested")
    assert "Thov xa tus lej serial ntawm: Trek FX 3." in email.body  # the Hmong text, filled in
    assert "serial number of" not in email.body  # not the English one
    status = Client().get(reverse("report-status", args=[status_link(report)])).content.decode()
    assert "Thov xa tus lej serial ntawm: Trek FX 3." in status


def test_free_text_to_a_resident_of_another_language_is_marked_as_english(client, report_taker):
    report = filed_in(client, "es")

    workflow.request_info(report, by=report_taker, message="Which store was it delivered to?")

    email = sent("info-requested")
    assert "Un miembro del personal de la ciudad agregó lo siguiente, en inglés:" in email.body
    assert "Which store was it delivered to?" in email.body


def test_free_text_in_english_to_an_english_reader_is_as_typed(client, report_taker):
    report = filed_in(client, "en")

    workflow.approve(
        report,
        by=report_taker,
        note="Thanks for the receipts.",
        template=ResponseTemplate.objects.get(code="approved-insurance"),
    )

    body = sent("report-approved").body
    assert f"case number {Report.objects.get().case_number}" in body and "Thanks for the receipts." in body
    assert "in English" not in body


def test_asking_for_information_needs_a_message_or_a_prepared_one(client, report_taker):
    report = filed_in(client, "en")
    staff = Client()
    sign_in(staff, report_taker)

    staff.post(reverse("staff-report-action", args=[report.tracking_number, "request-info"]), {"note": ""})

    report.refresh_from_db()
    assert report.status == "submitted"
    with pytest.raises(workflow.NotAllowed):
        workflow.request_info(report, by=report_taker, message=" ")
