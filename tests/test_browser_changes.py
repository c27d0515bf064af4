"""On a phone, in a real browser (issue 17): a resident changes a report before review from its status
link, and a resident adds a photo through a one-time upload link a report taker sent."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.urls import reverse

from reports import outbox, tasks, upload_links
from reports.models import OutboxMessage, Report, ReportEvent

from . import samples
from .browser_support import (
    PHONE,
    browser_fixture,  # noqa: F401 (a fixture)
    go_on,
    new_phone_fixture,  # noqa: F401
    phone_fixture,  # noqa: F401
    site_fixture,  # noqa: F401
)
from .flows import file_report, status_token

pytestmark = pytest.mark.browser


def fits_the_phone(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_a_resident_changes_a_report_on_a_phone_before_review(phone, client):
    file_report(client, "theft-other")
    phone.goto(reverse("report-status", args=[status_token(client)]))

    go_on(phone, phone.locator("[data-change-link]"))
    assert phone.input_value("#id_items-0-serial_number") == "SN123"  # opens on what was filed
    phone.fill("#id_items-0-serial_number", "SN123-B")
    phone.fill("#id_description", "It happened overnight. The side door was forced.")
    assert fits_the_phone(phone)
    go_on(phone, phone.locator("main button[type=submit]:not([name])"))

    assert "Your changes were saved" in phone.inner_text("main")
    assert "You changed the details" in phone.inner_text("main")
    report = Report.objects.get()
    assert report.description == "It happened overnight. The side door was forced."
    assert report.items.get().serial_number == "SN123-B"
    assert report.events.filter(kind=ReportEvent.Kind.EDITED).count() == 1
    assert phone.console_errors == []


def test_a_resident_adds_a_photo_through_an_upload_link_on_a_phone(phone, client, report_taker, tmp_path):
    file_report(client, "theft-other")
    report = Report.objects.get()
    upload_links.send(report, by=report_taker)
    message = OutboxMessage.objects.get(payload__template="upload-link")
    assert outbox.claim_and_run(message.pk, tasks.HANDLERS) == "done"
    link = re.search(r"https?://\S+?(/upload/\S+/)", mail.outbox[-1].body)[1]
    photo = tmp_path / "receipt.jpg"
    photo.write_bytes(samples.jpeg_bytes())

    phone.goto(link)
    assert "It happened overnight." not in phone.inner_text("main")  # nothing of the report but its number
    phone.set_input_files("input[type=file]", str(photo))
    phone.locator("[data-submit-once]").click()
    phone.wait_for_selector("[data-upload-added]", timeout=15_000)

    assert report.evidence.get().original_name == "receipt.jpg"
    assert fits_the_phone(phone)
    phone.goto(link)
    assert "already been used" in phone.inner_text("[data-upload-refused]")
    assert not [error for error in phone.console_errors if "Content Security Policy" in error]
