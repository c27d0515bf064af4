"""End to end through the filing views: the funnel counted at each step, and the confirmation page.

TO RUN AFTER WIRING: these pass once reports/views/filing_steps.py calls funnel.record() at each step
(started when the safety check of a subtype is opened, stopped, details_done, review_reached, filed)
and renders submitted.html with confirmation.confirmation(report, status_url). Until then they fail.
The pieces on their own are tested in tests/test_funnel.py and tests/test_confirmation.py.
"""

from __future__ import annotations

import io
import re

import pytest
from django.urls import reverse
from pypdf import PdfReader

from reports import figures, funnel
from reports.models import FunnelEvent, Report

from .conftest import sign_in
from .flows import SAFE_ANSWERS, details_for, fill_details, pass_screen, send

pytestmark = pytest.mark.django_db

WHOLE_WAY = {"started", "details_done", "review_reached", "filed"}


def walk_to_filing(client, subtype: str) -> None:
    """Every page a resident sees, in a browser's order: the safety check is opened before it is sent,
    and the review page before the report is."""
    assert client.get(reverse("report-eligibility", args=[subtype])).status_code == 200
    assert pass_screen(client, subtype).status_code == 302
    assert fill_details(client, subtype).status_code == 302
    assert client.get(reverse("report-review")).status_code == 200
    assert send(client).status_code == 302


def test_it_counts_a_resident_from_the_safety_check_to_filing(client, catalog):
    walk_to_filing(client, "theft-bicycle")

    events = list(FunnelEvent.objects.all())
    assert {event.step for event in events} == WHOLE_WAY and len(events) == 4
    assert len({event.journey for event in events}) == 1
    assert {(e.report_type, e.channel, e.language, e.reason) for e in events} == {("theft", "web", "en", "")}


def test_it_counts_a_reloaded_safety_check_once(client, catalog):
    url = reverse("report-eligibility", args=["parking-fire-hydrant"])
    client.get(url)
    client.get(url)

    assert list(FunnelEvent.objects.values_list("step", flat=True)) == ["started"]


def test_it_counts_a_stop_with_its_reason(client, catalog):
    client.get(reverse("report-eligibility", args=["theft-from-vehicle"]))
    response = pass_screen(client, "theft-from-vehicle", in_danger="yes")

    assert response.status_code == 302
    assert sorted(FunnelEvent.objects.values_list("step", "reason")) == [
        ("started", ""),
        ("stopped", "emergency"),
    ]


def test_it_counts_a_resident_reading_spanish_under_spanish(client, catalog):
    client.cookies["django_language"] = "es"

    walk_to_filing(client, "damage-graffiti")

    assert set(FunnelEvent.objects.values_list("language", flat=True)) == {"es"}


def test_it_counts_a_311_agents_call_under_its_channel(client, agent_311):
    sign_in(client, agent_311)
    client.get(reverse("intake-eligibility", args=["theft-bicycle"]))
    answered = client.post(
        reverse("intake-eligibility", args=["theft-bicycle"]), {**SAFE_ANSWERS, "channel": "phone"}
    )
    assert answered.status_code == 302
    assert client.post(reverse("intake-details"), details_for("theft-bicycle")).status_code == 302
    client.get(reverse("intake-review"))
    assert client.post(reverse("intake-review"), {"confirm": "on", "send": "1"}).status_code == 302

    by_channel = {
        counts.label: counts for counts in funnel.funnel_figures(figures.period_ending(1)).by_channel
    }
    assert (by_channel["Phone"].started, by_channel["Phone"].filed, by_channel["Web"].started) == (1, 1, 0)


def test_it_shows_supervisors_the_funnel_of_real_filings(client, another_resident, supervisor):
    walk_to_filing(another_resident, "theft-package")
    another_resident.get(reverse("report-eligibility", args=["theft-other"]))
    pass_screen(another_resident, "theft-other", suspect_known="yes")
    sign_in(client, supervisor)

    page = client.get(reverse("staff-dashboard")).content.decode()

    assert re.search(r'id="figure-completion">100%<', page)  # the stop is not the form's failure


def test_it_confirms_with_the_review_date_the_advice_and_a_copy(client, catalog):
    walk_to_filing(client, "theft-bicycle")

    page = client.get(reverse("report-submitted")).content.decode()

    report = Report.objects.get()
    assert report.tracking_number in page
    assert re.search(r"<p data-expected-review>Expect the review by <strong>\w+day, ", page)
    assert "Cancel any stolen bank or credit cards" in page
    pdf_url = re.search(r'href="([^"]+)" data-filed-pdf>', page)[1]
    copy = client.get(pdf_url)
    assert copy.status_code == 200
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(b"".join(copy.streaming_content))).pages)
    assert report.tracking_number in text and "not yet reviewed" in text


def test_it_confirms_parking_in_hours(client, catalog):
    walk_to_filing(client, "parking-blocked-driveway")

    page = client.get(reverse("report-submitted")).content.decode()

    assert "Expect it to be handled within 2 hours, on any day of the week." in page
    assert "Do not confront the driver" in page
