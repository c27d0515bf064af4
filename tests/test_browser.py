"""A resident on a phone, in a real browser: Playwright driving Debian's Chromium."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.urls import reverse

from reports.models import Report

from . import samples
from .conftest import backup_codes_device, past, require
from .flows import file_report, status_token

CHROMIUM = "/usr/bin/chromium"
PHONE = {"width": 360, "height": 740}

pytestmark = pytest.mark.browser


@pytest.fixture
def browser():
    require(Path(CHROMIUM).exists(), f"{CHROMIUM} is not installed (apt-get install chromium)")
    try:
        from playwright import sync_api
    except ImportError:
        sync_api = None
    require(sync_api is not None, "Playwright is not installed (pip install playwright)")
    # Playwright's sync API runs an event loop in this thread; the ORM checks below are plain sync code.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield browser
        browser.close()
    os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


@pytest.fixture
def phone(browser, live_server, catalog, settings):
    # The live server answers /static/ itself, from the finders, so names must not be hashed.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    page = context.new_page()
    errors = []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    page.base_url = live_server.url
    page.console_errors = errors
    yield page
    context.close()


def file_parking_report_with_photo(page, tmp_path) -> str:
    photo = tmp_path / "car.jpg"
    photo.write_bytes(samples.jpeg_bytes(size=(1200, 900), gps=True))

    page.goto(page.base_url + "/")
    page.locator("a[href='/report/']").first.click()
    page.locator("a[href*='parking-blocked-driveway']").click()
    page.locator("input[name=in_danger][value=no]").check()
    page.locator("input[name=inside_city][value=yes]").check()
    page.locator("button[type=submit]:not([name])").last.click()

    page.fill("#id_occurred_from", past(minutes=20))
    page.fill("#id_address", "3512 Bryant Ave S")
    page.fill("#id_vehicle_plate", "KTX 482")
    page.select_option("#id_vehicle_state", "MN")
    for question in page.locator("select[id^=id_q_]").all():  # the catalog's questions for this type
        question.select_option(index=1)
    page.locator("button[type=submit]:not([name])").last.click()

    page.set_input_files("input[type=file]", str(photo))
    page.wait_for_selector("[data-file-previews] img")  # the preview before sending
    page.check("#id_confirm")
    page.locator("[data-submit-once]").click()
    page.wait_for_selector("[data-tracking-number]")
    return page.inner_text("[data-tracking-number]").strip()


def test_it_files_a_parking_report_with_a_photo_on_a_phone(phone, tmp_path):
    tracking_number = file_parking_report_with_photo(phone, tmp_path)

    report = Report.objects.get()
    assert report.tracking_number == tracking_number
    assert report.vehicle_plate == "KTX482" and report.language == "en"
    assert report.evidence.count() == 1
    # The page fits the phone: nothing wider than the screen.
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert not [e for e in phone.console_errors if "Content Security Policy" in e]


def test_it_files_the_same_report_in_spanish(phone, tmp_path):
    phone.goto(phone.base_url + "/")
    phone.locator("button[name=language][value=es]").click()
    phone.wait_for_selector("html[lang=es]")

    tracking_number = file_parking_report_with_photo(phone, tmp_path)

    assert phone.locator("html").get_attribute("lang") == "es"
    assert "seguimiento" in phone.inner_text("main").lower()
    report = Report.objects.get()
    assert report.tracking_number == tracking_number and report.language == "es"


def test_a_report_taker_and_a_resident_work_a_report_to_approval(
    browser, live_server, catalog, report_taker, settings, client, tmp_path
):
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    file_report(client, "theft-from-vehicle")
    backup_codes_device(report_taker, "abcd2345")
    report = Report.objects.get()
    status_url = live_server.url + reverse("report-status", args=[status_token(client)])

    desk = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    desk.goto(live_server.url + reverse("staff-login"))
    desk.fill("#id_username", report_taker.username)
    desk.fill("#id_password", "a-long-test-password")
    desk.locator("main button[type=submit]").click()
    desk.fill("#id_code", "abcd2345")  # the second step: a backup code
    desk.locator("main button[type=submit]").click()
    desk.goto(live_server.url + reverse("staff-queue", args=["theft-damage"]))
    desk.locator("form[action$='take-next/'] button").click()
    desk.wait_for_selector("[data-tracking-number]")
    assert desk.inner_text("[data-tracking-number]") == report.tracking_number
    desk.locator("summary", has_text="Ask the resident for more information").click()
    desk.fill("form[action$='/act/request-info/'] textarea", "Please send a photo of the broken window.")
    desk.locator("form[action$='/act/request-info/'] button").click()
    desk.wait_for_selector("text=The resident has been asked for more information.")

    phone = browser.new_context(viewport=PHONE, is_mobile=True, accept_downloads=True).new_page()
    phone.goto(status_url)
    assert "Please send a photo of the broken window." in phone.inner_text("main")
    photo = tmp_path / "window.jpg"
    photo.write_bytes(samples.jpeg_bytes())
    phone.fill("#id_text", "Here is the window.")
    phone.set_input_files("input[type=file]", str(photo))
    phone.locator("[data-submit-once]").click()
    phone.wait_for_selector("text=Your answer was added to the report")

    desk.reload()
    assert "Updated by resident" in desk.inner_text("h1")
    desk.locator("summary", has_text="Approve").click()
    desk.locator("form[action$='/act/approve/'] button").click()
    desk.wait_for_selector("text=Approved.")

    phone.reload()
    with phone.expect_download() as download:
        phone.locator("[data-report-pdf]").click()
    pdf = Path(download.value.path()).read_bytes()
    report.refresh_from_db()
    assert pdf.startswith(b"%PDF-") and report.status == "approved" and report.case_number
    assert report.evidence.filter(source="reply").count() == 1
