from __future__ import annotations

import io
from decimal import Decimal

import pytest
from pypdf import PdfReader

from reports.models import Report, ReportEvent, StolenItem
from reports.pdf import approved_report_pdf, latin1
from reports.statuses import Status

from . import samples
from .flows import file_report

pytestmark = pytest.mark.django_db


def filed(client, subtype: str, files=(), **overrides) -> Report:
    assert file_report(client, subtype, files=files, **overrides).status_code == 302
    return Report.objects.get()


def approve(report: Report, case_number: str = "MP26-000001") -> Report:
    # The approve workflow is written elsewhere; this sets what it leaves behind.
    report.case_number, report.status = case_number, Status.APPROVED
    report.save(update_fields=["case_number", "status"])
    ReportEvent.objects.create(
        report=report,
        kind=ReportEvent.Kind.STATUS_CHANGED,
        from_status=Status.IN_REVIEW,
        to_status=Status.APPROVED,
    )
    return report


def pdf_text(data: bytes) -> tuple[str, int]:
    reader = PdfReader(io.BytesIO(data))
    return "\n".join(page.extract_text() for page in reader.pages), len(reader.pages)


def photo():
    return samples.upload("scene.jpg", samples.jpeg_bytes(), "image/jpeg")


def test_it_renders_an_approved_theft_report(client, catalog):
    report = approve(filed(client, "theft-from-vehicle", files=[photo()]))
    data = approved_report_pdf(report)
    text, pages = pdf_text(data)
    assert data.startswith(b"%PDF-")
    assert "MP26-000001" in text
    assert report.tracking_number in text
    assert "SN123" in text
    assert report.evidence.get().sha256 in text
    assert f"Page 1 of {pages}" in text
    assert "Approved on" in text
    assert "$1,200.00" in text


def test_it_shows_catalog_answers_by_their_labels(client, catalog):
    report = approve(filed(client, "theft-from-vehicle"))
    text, _pages = pdf_text(approved_report_pdf(report))
    assert "Was the vehicle locked?" in text
    assert "They broke a window" in text
    assert "broken-window" not in text


def test_it_renders_a_spanish_report_in_spanish(client, catalog):
    client.cookies["django_language"] = "es"
    description = "El candado quedó dañado; la “bici” era de mi niña… ¿Quién sabe?"
    report = approve(filed(client, "theft-bicycle", description=description))
    assert report.language == "es"
    text, _pages = pdf_text(approved_report_pdf(report))
    assert "quedó dañado" in text
    assert 'la "bici" era de mi niña... ¿Quién sabe?' in text
    assert "Número de caso" in text
    assert "Robo de bicicleta" in text


def test_it_survives_letters_the_core_font_lacks(client, catalog):
    report = approve(filed(client, "theft-other", description="Łódź — 東京 — naïve café ☕"))
    StolenItem.objects.create(report=report, order=1, description="Bici “roja” – 自転車")
    text, _pages = pdf_text(approved_report_pdf(report))
    assert "Lódz - ?? - naïve café ?" in text
    assert 'Bici "roja" - ???' in text


def test_it_keeps_latin1_letters_and_plain_punctuation():
    assert latin1("¡Señor “Núñez”, ¿qué tal?” – ok…") == '¡Señor "Núñez", ¿qué tal?" - ok...'


def test_it_runs_many_items_over_several_pages(client, catalog):
    report = approve(filed(client, "theft-other"))
    StolenItem.objects.bulk_create(
        StolenItem(report=report, order=n, description=f"Tool {n}", serial_number=f"SER-{n:03}", value=10)
        for n in range(1, 40)
    )
    text, pages = pdf_text(approved_report_pdf(report))
    assert report.items.count() == 40
    assert pages >= 2
    assert f"Page {pages} of {pages}" in text
    assert "SER-039" in text
    assert "$1,590.00" in text  # 1,200 for the laptop and 39 × 10


def test_it_runs_a_long_description_over_pages(client, catalog):
    paragraph = "The shed door was forced and the lock was left on the ground next to it. " * 12
    description = "\n\n".join([paragraph] * 5)[:5000]
    report = approve(filed(client, "theft-other", description=description))
    text, pages = pdf_text(approved_report_pdf(report))
    assert pages >= 2
    assert "Page 2 of" in text


def test_it_keeps_a_long_answer_in_its_column_over_a_page_break(client, catalog):
    answer = ("The fence was bent and the gate latch was broken off. " * 40)[:2000]
    report = approve(filed(client, "theft-other", description="Short.\n" * 40, **{"q_other-damage": answer}))
    text, pages = pdf_text(approved_report_pdf(report))
    assert pages >= 2
    assert "Was anything else damaged?" in text


def test_it_renders_a_damage_report(client, catalog):
    report = approve(filed(client, "damage-graffiti", files=[photo()]))
    text, _pages = pdf_text(approved_report_pdf(report))
    assert "Front window" in text
    assert "$450.00" in text
    assert report.evidence.get().sha256 in text


def test_it_renders_an_anonymous_parking_report_with_no_case_number(client, catalog):
    report = filed(client, "parking-blocked-driveway", contact_name="", contact_email="")
    text, _pages = pdf_text(approved_report_pdf(report))
    assert "ABC123" in text
    assert "Case number" not in text
    assert "Honda" in text
    assert "No contact details were given." in text
    assert "No photos or documents were added." in text


def test_it_leaves_out_an_item_total_when_no_value_was_given(client, catalog):
    report = approve(filed(client, "theft-package", **{"items-0-value": ""}))
    text, _pages = pdf_text(approved_report_pdf(report))
    assert report.items_total == Decimal(0)
    assert "Total" not in text
