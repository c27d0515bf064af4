"""What the confirmation page tells a resident once their report is filed: what happens next and when,
what to do meanwhile, and how to keep a copy."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.urls import resolve, reverse

from .calendar import expected_review
from .models import Report


def confirmation(report: Report, status_url: str) -> dict:
    """The context of templates/reports/resident/submitted.html; `status_url` is the status link just
    issued for this showing of the page."""
    return {
        "report": report,
        "status_url": status_url,
        "expected": expected_review(report),
        "advice": advice_lines(report),
        "filed_pdf_url": filed_pdf_url(status_url),
    }


def advice_lines(report: Report) -> list[str]:
    # In the page's language: modeltranslation reads advice_es for Spanish, and falls back to English.
    return [line.strip() for line in report.report_type.advice.splitlines() if line.strip()]


def filed_pdf_url(status_url: str) -> str:
    # The copy is served behind the same private token as the status page, never on a guessable URL.
    match = resolve(urlsplit(status_url).path)
    if match.url_name != "report-status":
        raise ValueError("confirmation() needs the report's status link")
    return reverse("report-status-filed-pdf", kwargs=match.kwargs)
