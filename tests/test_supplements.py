"""Supplemental reports (issue 17, part 3): after approval, the resident adds more items, a receipt or a
serial number from the status link; the supplement is reviewed like a report, linked to the original and
numbered under its case number (MP26-000123-S1)."""

from __future__ import annotations

import hashlib
import io

import pytest
from django.test import Client
from django.urls import reverse
from pypdf import PdfReader

from reports import figures, workflow
from reports.models import IssuedCopy, Report, ReportEvent, StatusLink
from reports.statuses import Status

from .conftest import sign_in
from .flows import file_report, status_token
from .samples import jpeg_bytes, upload

pytestmark = pytest.mark.django_db

SUPPLEMENT = {
    "description": "I found the receipt, and my headphones were taken too.",
    "items-TOTAL_FORMS": "1",
    "items-INITIAL_FORMS": "0",
    "items-0-description": "Headphones",
    "items-0-brand_model": "Sony WH-1000XM5",
    "items-0-serial_number": "SN-HP-77",
    "items-0-value": "350",
}


def approved_theft(resident, report_taker) -> tuple[Report, str]:
    file_report(resident, "theft-other")
    token = status_token(resident)
    report = Report.objects.get()
    workflow.approve(report, by=report_taker)
    report.refresh_from_db()
    return report, token


def add_supplement(resident, token: str, **data):
    return resident.post(
        reverse("report-status-supplement", args=[token]), {**SUPPLEMENT, **data}, follow=True
    )


def test_a_supplement_is_filed_from_the_status_link_reviewed_and_numbered_under_the_case(
    resident, catalog, report_taker
):
    original, token = approved_theft(resident, report_taker)
    page = resident.get(reverse("report-status", args=[token])).content.decode()
    assert "data-can-supplement" in page

    response = add_supplement(resident, token, files=[upload("receipt.jpg", jpeg_bytes(), "image/jpeg")])
    text = response.content.decode()
    supplement = Report.objects.get(supplement_of=original)
    assert f"Your supplement {supplement.tracking_number} was received" in text
    assert f"This is a supplement to case {original.case_number}" in text  # its own status page
    assert supplement.status == Status.SUBMITTED and supplement.queue == original.queue
    assert supplement.description == SUPPLEMENT["description"]
    assert [(i.description, i.serial_number) for i in supplement.items.all()] == [("Headphones", "SN-HP-77")]
    assert supplement.evidence.get().original_name == "receipt.jpg"
    assert (supplement.contact_email, supplement.address) == (original.contact_email, original.address)
    assert (
        supplement.events.get(kind=ReportEvent.Kind.FILED).data["supplement_of"] == original.tracking_number
    )
    assert original.events.filter(kind=ReportEvent.Kind.SUPPLEMENT).count() == 1

    staff = Client()
    sign_in(staff, report_taker)
    queue = staff.get(reverse("staff-queue", args=[original.queue.code])).content.decode()
    assert supplement.tracking_number in queue  # reviewed like a report
    detail = staff.get(reverse("staff-report-detail", args=[supplement.tracking_number])).content.decode()
    assert "data-supplement-of" in detail and original.tracking_number in detail
    staff.post(reverse("staff-report-action", args=[supplement.tracking_number, "approve"]), {"note": ""})
    supplement.refresh_from_db()
    assert supplement.status == Status.APPROVED
    assert supplement.case_number == f"{original.case_number}-S1"

    listed = resident.get(reverse("report-status", args=[token])).content.decode()
    assert f"{original.case_number}-S1" in listed


def test_supplements_are_numbered_in_the_order_they_are_approved_and_a_refused_one_takes_none(
    resident, catalog, report_taker
):
    original, token = approved_theft(resident, report_taker)
    for n in range(3):
        add_supplement(resident, token, description=f"Supplement {n}")
    first, second, third = Report.objects.filter(supplement_of=original).order_by("created_at", "id")
    workflow.close(second, by=report_taker)
    workflow.approve(third, by=report_taker)
    workflow.approve(first, by=report_taker)
    numbers = {r.description: r.case_number for r in Report.objects.filter(supplement_of=original)}
    assert numbers == {
        "Supplement 0": f"{original.case_number}-S2",
        "Supplement 1": None,
        "Supplement 2": f"{original.case_number}-S1",
    }


@pytest.mark.parametrize(
    ("status", "says"),
    [
        (Status.CLOSED, "Only an approved report can have a supplement"),
        (Status.WITHDRAWN, "Only an approved report can have a supplement"),
        (Status.IN_REVIEW, "still being reviewed"),
    ],
)
def test_a_supplement_is_refused_with_a_message_unless_the_report_was_approved(
    resident, catalog, status, says
):
    file_report(resident, "theft-other")
    token = status_token(resident)
    Report.objects.update(status=status)
    page = resident.get(reverse("report-status", args=[token])).content.decode()
    assert "data-can-supplement" not in page
    response = add_supplement(resident, token)
    assert says in response.content.decode()
    assert Report.objects.count() == 1


def test_a_supplement_without_a_description_is_refused_and_nothing_is_filed(resident, catalog, report_taker):
    original, token = approved_theft(resident, report_taker)
    response = add_supplement(resident, token, description="")
    assert response.status_code == 200 and "is-invalid" in response.content.decode()
    assert not Report.objects.filter(supplement_of=original).exists()


def test_supplements_do_not_count_as_new_reports_in_the_figures(resident, catalog, report_taker):
    original, token = approved_theft(resident, report_taker)
    add_supplement(resident, token)
    assert Report.objects.count() == 2
    period = figures.period_ending(7)
    assert figures.period_totals(period).total == 1  # one incident diverted, however many supplements
    _mondays, weekly = figures.weekly_grouped(2, None)
    assert sum(weekly.values()) == 1


def pdf_text(data: bytes) -> str:
    return " ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def download(client: Client, token: str) -> bytes:
    response = client.get(reverse("report-status-pdf", args=[token]))
    assert response.status_code == 200
    return b"".join(response.streaming_content)


def test_the_cases_pdf_is_issued_again_with_an_approved_supplement(resident, catalog, report_taker):
    original, token = approved_theft(resident, report_taker)
    first = download(resident, token)
    assert "Supplement" not in pdf_text(first)

    add_supplement(resident, token)
    supplement = Report.objects.get(supplement_of=original)
    supplement_token = StatusLink.issue(supplement)
    assert download(resident, token) == first  # filed, not yet approved: the same copy
    workflow.approve(supplement, by=report_taker)

    reissued = download(resident, token)
    text = pdf_text(reissued)
    assert f"Supplement {original.case_number}-S1" in text and "SN-HP-77" in text
    assert download(resident, supplement_token) == reissued  # the supplement's link serves the case's copy
    assert download(resident, token) == reissued  # issued once
    old, new = IssuedCopy.objects.filter(report=original).order_by("revision")
    assert (old.revision, new.revision) == (1, 2) and new.sha256 == hashlib.sha256(reissued).hexdigest()
    superseded = resident.get(reverse("verify-copy", args=[old.code])).content.decode()
    assert "A newer copy exists" in superseded


def test_add_another_item_brings_the_page_back_with_one_more_row_and_files_nothing(
    resident, catalog, report_taker
):
    original, token = approved_theft(resident, report_taker)
    page = resident.post(
        reverse("report-status-supplement", args=[token]), {**SUPPLEMENT, "add_item": "1"}
    ).content.decode()
    assert 'id="item-2"' in page and "Sony WH-1000XM5" in page and "is-invalid" not in page
    assert not Report.objects.filter(supplement_of=original).exists()
