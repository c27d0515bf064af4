"""The confirmation page: the expected review date in business days, what to do meanwhile, and a copy to
keep (print, or the PDF of what was filed behind the status link).

The page as the filing view serves it is in tests/test_funnel_flow.py.
"""

from __future__ import annotations

import io
import json
import re
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.management import call_command
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.urls import reverse
from django.utils import translation
from pypdf import PdfReader

from reports import calendar
from reports.calendar import business_days_after, expected_review
from reports.confirmation import confirmation
from reports.models import Holiday, ReportEvent, ReportType, StatusLink, StolenItem
from reports.pdf import filed_report_pdf
from reports.statuses import Status
from reports.views.filing_steps import RESIDENT
from seeds import loader

from . import factories
from .conftest import make_staff, sign_in

pytestmark = pytest.mark.django_db

CITY = ZoneInfo("America/Chicago")


def at(*args) -> datetime:
    return datetime(*args, tzinfo=CITY)


# --- Business days -------------------------------------------------------------------------------------

THANKSGIVING_2026 = {date(2026, 11, 26), date(2026, 11, 27)}


@pytest.mark.parametrize(
    ("filed_on", "expected"),
    [
        (date(2026, 3, 2), date(2026, 3, 5)),  # Monday: Thursday
        (date(2026, 3, 5), date(2026, 3, 10)),  # Thursday: over the weekend to Tuesday
        (date(2026, 3, 6), date(2026, 3, 11)),  # Friday: Wednesday
        (date(2026, 3, 7), date(2026, 3, 11)),  # Saturday: the weekend does not count
        (date(2026, 3, 8), date(2026, 3, 11)),  # Sunday: the same Wednesday
        (date(2026, 11, 25), date(2026, 12, 2)),  # the day before Thanksgiving: both days off skipped
        (date(2026, 11, 26), date(2026, 12, 2)),  # filed on the holiday itself
    ],
)
def test_it_counts_business_days_over_weekends_and_holidays(filed_on, expected):
    assert business_days_after(filed_on, 3, THANKSGIVING_2026) == expected


def test_it_skips_the_seeded_holidays_over_christmas_and_new_year(catalog):
    holidays = calendar.holidays_after(date(2027, 12, 20))

    assert business_days_after(date(2027, 12, 22), 3, holidays) == date(2027, 12, 28)  # Christmas on Fri 24
    assert business_days_after(date(2027, 12, 29), 3, holidays) == date(2028, 1, 4)  # New Year on Fri 31


def test_it_promises_theft_and_damage_in_business_days_in_the_city_time_zone(catalog):
    # Sunday 8 p.m. in Minneapolis is Monday 1 a.m. UTC: the count starts on Sunday, as the resident saw it.
    report = factories.make_report("theft-bicycle", created_at=at(2026, 3, 8, 20, 0))

    expected = expected_review(report)

    assert (expected.by, expected.business_days, expected.hours) == (date(2026, 3, 11), 3, None)


def test_it_promises_a_review_after_thanksgiving_from_the_seeded_holidays(catalog):
    report = factories.make_report("damage-graffiti", created_at=at(2026, 11, 25, 16, 0))

    assert expected_review(report).by == date(2026, 12, 2)


def test_it_promises_parking_in_hours_any_day(catalog):
    report = factories.make_report("parking-fire-hydrant", created_at=at(2026, 11, 26, 9, 0))  # Thanksgiving

    expected = expected_review(report)

    assert (expected.hours, expected.by) == (2, None)


# --- City holidays from the seeds ------------------------------------------------------------------------


def seed_quietly() -> None:
    call_command("seed", verbosity=0)


def test_it_loads_the_city_holidays_once_however_often_it_runs(db):
    seed_quietly()
    first = list(Holiday.objects.order_by("date").values())
    Holiday.objects.filter(date=date(2026, 7, 3)).update(name_en="Edited in the admin")

    seed_quietly()

    assert list(Holiday.objects.order_by("date").values()) == first
    per_year = {year: sum(h["date"].year == year for h in first) for year in (2026, 2027, 2028)}
    assert per_year == {2026: 12, 2027: 13, 2028: 11}  # New Year's Day 2028 is observed on Dec 31, 2027


def test_it_seeds_weekdays_only_with_english_and_spanish_names(db):
    seed_quietly()

    holidays = list(Holiday.objects.all())

    assert all(holiday.date.weekday() < 5 for holiday in holidays)
    assert all(holiday.name_en and holiday.name_es for holiday in holidays)
    names = {holiday.date: holiday.name_en for holiday in holidays}
    assert names[date(2026, 7, 3)] == "Independence Day (observed)"
    assert names[date(2026, 10, 12)] == "Indigenous Peoples' Day"
    assert names[date(2027, 11, 26)] == "Day after Thanksgiving"


def test_it_stops_on_a_holiday_date_it_cannot_read(db, tmp_path):
    broken = tmp_path / "holidays.json"
    broken.write_text(json.dumps({"holidays": [{"date": "2026-02-30", "name": {"en": "Nope"}}]}))

    with pytest.raises(loader.SeedError, match="YYYY-MM-DD"):
        loader.seed_holidays(broken)


def test_it_lets_administrators_edit_the_holidays(client, catalog):
    administrator = make_staff("boss", "Administrators")
    sign_in(client, administrator)

    listing = client.get(reverse("admin:reports_holiday_changelist"))
    added = client.post(
        reverse("admin:reports_holiday_add"),
        {"date": "2029-01-01", "name_en": "New Year's Day", "name_es": ""},
    )

    assert listing.status_code == 200 and "Juneteenth" in listing.content.decode()
    assert added.status_code == 302 and Holiday.objects.filter(date=date(2029, 1, 1)).exists()


# --- What to do meanwhile ------------------------------------------------------------------------------


def test_it_seeds_advice_for_every_report_type_in_english_and_spanish(catalog):
    for report_type in ReportType.objects.all():
        assert report_type.advice_en and report_type.advice_es, report_type.code
        assert len(report_type.advice_en.splitlines()) == len(report_type.advice_es.splitlines())
    theft = ReportType.objects.get(code="theft")
    assert "serial numbers" in theft.advice_en and "insurance" in theft.advice_en


# --- The confirmation's context and page -----------------------------------------------------------------


def status_url_for(report) -> tuple[str, str]:
    token = StatusLink.issue(report)
    return token, "http://testserver" + reverse("report-status", args=[token])


def test_it_tells_a_theft_victim_when_and_what_to_do(catalog):
    report = factories.make_report("theft-bicycle", created_at=at(2026, 3, 2, 10, 0))
    token, status_url = status_url_for(report)

    context = confirmation(report, status_url)

    assert context["report"] == report and context["status_url"] == status_url
    assert context["expected"].by == date(2026, 3, 5)
    assert context["advice"][0].startswith("Cancel any stolen bank or credit cards")
    assert any("case number" in line for line in context["advice"])
    assert context["filed_pdf_url"] == reverse("report-status-filed-pdf", args=[token])


def test_it_tells_a_parking_reporter_what_traffic_control_does(catalog):
    report = factories.make_report("parking-blocked-driveway")
    _token, status_url = status_url_for(report)

    context = confirmation(report, status_url)

    assert context["expected"].hours == 2 and context["expected"].by is None
    assert (
        context["advice"][0]
        == "Traffic Control sends a parking enforcement officer to the place you reported."
    )
    assert any("Do not confront the driver" in line for line in context["advice"])


def test_it_gives_the_advice_in_the_page_language(catalog):
    report = factories.make_report("theft-other")
    _token, status_url = status_url_for(report)

    with translation.override("es"):
        context = confirmation(report, status_url)

    assert context["advice"][0].startswith("Cancele las tarjetas")


def test_it_refuses_a_link_that_is_not_the_status_link(catalog):
    report = factories.make_report()

    with pytest.raises(ValueError, match="status link"):
        confirmation(report, "http://testserver/")


def render_confirmation(report, language: str = "en") -> str:
    _token, status_url = status_url_for(report)
    request = RequestFactory().get(reverse("report-submitted"))
    request.user = AnonymousUser()
    with translation.override(language):
        return render_to_string(
            "reports/resident/submitted.html",
            {"flow": RESIDENT, **confirmation(report, status_url)},
            request=request,
        )


def test_it_shows_the_date_the_advice_and_a_copy_to_keep(catalog):
    report = factories.make_report("theft-bicycle", created_at=at(2026, 3, 5, 10, 0))

    page = render_confirmation(report)

    assert f"data-tracking-number>{report.tracking_number}<" in page
    expected = re.search(r"<p data-expected-review>(.*?)</p>", page, flags=re.S)[1]
    assert "Expect the review by <strong>Tuesday, March 10, 2026</strong>." in expected
    assert "3 working days after you filed it" in expected
    assert page.count("<li>") >= 5 and "Write down the serial numbers" in page
    assert re.search(r'<link rel="stylesheet" href="[^"]*css/print\.[^"]*css" media="print">', page)
    assert re.search(r'<button type="button" [^>]*data-print hidden>Print this page</button>', page)
    assert re.search(r'<script src="[^"]*js/print\.[^"]*js" defer></script>', page)
    pdf_link = re.search(
        r'<a [^>]*href="([^"]+)" data-filed-pdf>Download a copy of what you filed \(PDF\)</a>', page
    )
    assert pdf_link and pdf_link[1].endswith("/filed.pdf")


def test_it_shows_parking_in_hours(catalog):
    report = factories.make_report("parking-fire-hydrant")

    page = render_confirmation(report)

    assert "Expect it to be handled within 2 hours, on any day of the week." in page
    assert "Traffic Control sends a parking enforcement officer" in page


def test_it_shows_the_date_in_spanish(catalog):
    report = factories.make_report("theft-bicycle", created_at=at(2026, 3, 5, 10, 0), language="es")

    page = render_confirmation(report, "es")

    assert "martes" in page and "10 de marzo de 2026" in page
    assert "Anote los números de serie" in page


# --- The copy of what was filed ------------------------------------------------------------------------


def pdf_pages(data: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(data)).pages]


def approve(report, case_number: str = "MP26-000077"):
    report.case_number, report.status = case_number, Status.APPROVED
    report.save(update_fields=["case_number", "status"])
    ReportEvent.objects.create(
        report=report,
        kind=ReportEvent.Kind.STATUS_CHANGED,
        from_status=Status.IN_REVIEW,
        to_status=Status.APPROVED,
    )
    return report


def test_it_makes_a_copy_of_what_was_filed_marked_not_yet_reviewed(catalog):
    report = factories.make_report("theft-bicycle", description="Taken from the rack outside.")
    StolenItem.objects.create(report=report, order=1, description="Road bike", serial_number="WTU123456")

    data = filed_report_pdf(report)

    text = "\n".join(pdf_pages(data))
    assert data.startswith(b"%PDF-")
    assert report.tracking_number in text
    assert "Received - not yet reviewed" in text
    assert "not an official police report" in text
    assert "WTU123456" in text and "Taken from the rack outside." in text
    assert "Case number" not in text


def test_it_marks_every_page_and_never_shows_a_case_number(catalog):
    report = approve(factories.make_report("theft-other"))
    StolenItem.objects.bulk_create(
        StolenItem(report=report, order=n, description=f"Tool {n}", serial_number=f"SER-{n:03}")
        for n in range(60)
    )

    pages = pdf_pages(filed_report_pdf(report))

    assert len(pages) >= 2
    assert all("not yet reviewed" in page for page in pages)
    assert all("MP26-000077" not in page for page in pages)
    assert "since been approved" in pages[0]


def test_it_serves_the_copy_only_through_the_status_link(client, catalog):
    report = factories.make_report("damage-graffiti")
    token = StatusLink.issue(report)

    served = client.get(reverse("report-status-filed-pdf", args=[token]))
    guessed = client.get(reverse("report-status-filed-pdf", args=[report.tracking_number]))
    made_up = client.get(reverse("report-status-filed-pdf", args=["x" * 32]))

    assert served.status_code == 200 and served["Content-Type"] == "application/pdf"
    assert f'filename="report-{report.tracking_number}-as-filed.pdf"' in served["Content-Disposition"]
    assert report.tracking_number in "\n".join(pdf_pages(b"".join(served.streaming_content)))
    assert guessed.status_code == 404 and made_up.status_code == 404
