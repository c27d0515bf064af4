"""A report's catalog answers read the same on the review page, the staff page and the PDF."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from reports import display, workflow
from reports.models import Question, Report, ReportType
from reports.pdf import approved_report_pdf

from .conftest import sign_in
from .flows import fill_details, pass_screen, send
from .test_pdf import pdf_text

pytestmark = pytest.mark.django_db


@pytest.fixture
def richer_theft_questions(catalog):
    """A date-and-time and a several-choices question, beside the seeded ones."""
    theft = ReportType.objects.get(code="theft")
    Question.objects.create(
        report_type=theft, code="last-seen", label="When did you last see it?", datatype="datetime"
    )
    colours = Question.objects.create(
        report_type=theft, code="colours", label="What colors was it?", datatype="multivaluelist"
    )
    colours.choices.create(key="red", name="Red")
    colours.choices.create(key="blue", name="Blue")


def text_of(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def test_it_shows_the_same_answer_rows_on_review_staff_page_and_pdf(
    client, richer_theft_questions, report_taker
):
    pass_screen(client, "theft-bicycle")
    fill_details(
        client,
        "theft-bicycle",
        **{"q_last-seen": "2026-11-20T14:30", "q_colours": ["red", "blue"], "q_bike-locked": "locked-alone"},
    )
    review = client.get(reverse("report-review"))
    send(client)
    report = Report.objects.get()
    workflow.approve(report, by=report_taker)
    report.refresh_from_db()
    sign_in(client, report_taker)
    staff = client.get(reverse("staff-report-detail", args=[report.tracking_number]))
    pdf, _pages = pdf_text(approved_report_pdf(report))

    rows = display.answer_rows(report.report_type, report.answers)
    assert ("When did you last see it?", "Nov. 20, 2026, 2:30 p.m. CST") in rows
    assert ("What colors was it?", "Red, Blue") in rows
    assert ("Is your bike registered?", "Yes") not in rows  # not answered: no row
    assert review.context["answers"] == rows == staff.context["answers"]
    flat_pdf = " ".join(pdf.split())
    for label, value in rows:
        for page in (text_of(review.content.decode()), text_of(staff.content.decode()), flat_pdf):
            assert label in page and value in page


def test_it_keeps_answers_to_questions_retired_after_filing(client, richer_theft_questions, report_taker):
    pass_screen(client, "theft-bicycle")
    fill_details(client, "theft-bicycle", **{"q_colours": ["blue"]})
    send(client)
    report = Report.objects.get()
    Question.objects.filter(code="colours").update(active=False)
    Question.objects.filter(code="colours").delete()  # gone from the catalog altogether

    rows = display.answer_rows(report.report_type, report.answers)

    assert ("colours", "blue") in rows
    sign_in(client, report_taker)
    staff = client.get(reverse("staff-report-detail", args=[report.tracking_number]))
    assert ("colours", "blue") in staff.context["answers"]
