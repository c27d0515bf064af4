"""A resident on a 390 px phone, in a real browser: Playwright driving Debian's Chromium.

Each kind of report from the home page to its tracking number; the safety check stopping at the first
answer that needs 911; adding an item; a refused file beside a good one; a draft resumed from its email on
another phone; Spanish; the keyboard alone; and no JavaScript at all.
"""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from reports import follow_ups, outbox, tasks, workflow
from reports.models import FollowUp, OutboxMessage, Report

from . import samples
from .browser_support import (
    DESK,
    PHONE,
    answer_safety_check,
    browser_fixture,  # noqa: F401 (a fixture)
    confirm_and_send,
    file_report_from_home,
    fill_details,
    fill_where,
    go_on,
    new_phone_fixture,  # noqa: F401
    phone_fixture,  # noqa: F401
    site_fixture,  # noqa: F401
    start_report,
)
from .conftest import backup_codes_device
from .flows import file_report, status_token

pytestmark = pytest.mark.browser


def fits_the_phone(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


@pytest.mark.parametrize(
    ("subtype", "form"),
    [
        ("theft-from-vehicle", "theft"),
        ("damage-vandalism", "damage"),
        ("parking-blocked-driveway", "parking"),
    ],
)
def test_it_files_each_kind_of_report_from_home_to_tracking_number(phone, subtype, form):
    tracking_number = file_report_from_home(phone, subtype)

    report = Report.objects.get()
    assert report.tracking_number == tracking_number and report.report_type.form == form
    assert fits_the_phone(phone)
    assert not [e for e in phone.console_errors if "Content Security Policy" in e]


def test_danger_stops_the_safety_check_at_the_first_answer(phone):
    start_report(phone, "theft-from-vehicle")

    phone.check("input[name=in_danger][value=yes]")

    box = phone.locator("[data-question=in_danger] [data-stop-box]")
    assert box.is_visible() and box.locator("a[href='tel:911']").is_visible()
    assert phone.locator("[data-question]:visible").count() == 1  # nothing else is asked
    assert not phone.locator("[data-safety-continue]").is_visible()
    assert phone.url.endswith("/report/new/theft-from-vehicle/")  # shown at once, on this page


def test_adding_an_item_shows_it_with_the_cursor_in_it_and_no_error(phone):
    start_report(phone, "theft-other")
    answer_safety_check(phone)
    phone.fill("#id_items-0-description", "Laptop")

    go_on(phone, phone.locator("button[name=add_item]"))

    assert phone.locator("#item-2").is_visible()
    # The cursor arrives just after the page loads (after the browser's own scroll to #item-2).
    phone.wait_for_function("document.activeElement.id === 'id_items-1-description'", timeout=5_000)
    assert phone.input_value("#id_items-0-description") == "Laptop"
    assert not phone.locator("[data-error-summary], .invalid-feedback").count()
    assert "This field is required" not in phone.inner_text("main")


def test_a_refused_file_beside_a_good_one_then_send_without_picking_the_good_one_again(phone, tmp_path):
    good, bad = tmp_path / "car.jpg", tmp_path / "notes.txt"
    good.write_bytes(samples.jpeg_bytes())
    bad.write_bytes(b"not a photo")
    start_report(phone, "parking-fire-hydrant")
    answer_safety_check(phone)
    fill_where(phone)
    fill_details(phone)

    phone.set_input_files("input[type=file]", [str(bad), str(good)])
    phone.check("#id_confirm")
    phone.locator("button[name=send]").click()
    phone.wait_for_selector("[data-error-summary] a[href='#id_files']")

    assert "notes.txt" in phone.inner_text("[data-error-summary]")
    assert phone.locator(".kept-file", has_text="car.jpg").count() == 1
    assert not Report.objects.exists()
    tracking_number = confirm_and_send(phone)  # the file input is empty now: car.jpg was kept
    report = Report.objects.get(tracking_number=tracking_number)
    assert list(report.evidence.values_list("original_name", flat=True)) == ["car.jpg"]


def test_a_saved_draft_opens_from_its_emailed_link_on_another_phone(new_phone, site):
    first = new_phone()
    start_report(first, "parking-double-parked")
    answer_safety_check(first)
    fill_where(first, "3512 Bryant Ave S")
    go_on(first, first.locator("a[href$='/report/save/']"))
    first.fill("#id_email", "later@example.org")
    go_on(first)
    assert "later@example.org" in first.inner_text("main")

    message = OutboxMessage.objects.get(payload__template="draft-resume")
    assert outbox.claim_and_run(message.pk, tasks.HANDLERS) == "done"
    link = re.search(r"https?://\S+?(/report/resume/\S+/)", mail.outbox[-1].body)[1]
    second = new_phone()
    second.goto(link)

    assert "Welcome back" in second.inner_text("main")
    if second.url.endswith("/report/where/"):  # the last step the draft recorded, answers kept
        assert second.input_value("#id_address") == "3512 Bryant Ave S"
        go_on(second)
    assert "3512 Bryant Ave S" in second.inner_text("main")
    fill_details(second)
    tracking_number = confirm_and_send(second)
    assert Report.objects.get().tracking_number == tracking_number


def test_one_tap_on_the_follow_up_email_answers_and_a_second_tap_changes_nothing(phone, client, settings):
    file_report(client, "theft-other")
    report = Report.objects.get()
    Report.objects.filter(pk=report.pk).update(
        status="approved", closed_at=timezone.now() - timedelta(days=settings.FOLLOW_UP_DAYS, hours=1)
    )
    assert follow_ups.ask_due() == 1
    message = OutboxMessage.objects.get(payload__template="follow-up")
    assert outbox.claim_and_run(message.pk, tasks.HANDLERS) == "done"
    body = mail.outbox[-1].body
    satisfied_no = re.findall(r"No: https?://\S+?(/status/\S+/)", body)[1]

    phone.goto(satisfied_no)  # the tap: the page sends the answer by itself
    phone.wait_for_selector("[data-question-card=satisfied] [data-answer]", timeout=10_000)
    assert "Your answer: No. Thank you." in phone.inner_text("[data-question-card=satisfied]")
    phone.goto(satisfied_no.replace("/no/", "/yes/"))
    phone.wait_for_selector("[data-question-card=satisfied] [data-answer]", timeout=10_000)

    assert "We already have your answer" in phone.inner_text("main")
    follow_up = FollowUp.objects.get(report=report)
    assert (follow_up.easy, follow_up.satisfied) == (None, False)
    assert fits_the_phone(phone) and phone.console_errors == []


def test_a_parking_report_in_spanish(phone):
    phone.goto("/")
    go_on(phone, phone.locator("button[name=language][value=es]"))
    assert phone.locator("html").get_attribute("lang") == "es"
    start_report(phone, "parking-fire-hydrant")
    answer_safety_check(phone)

    go_on(phone)  # "where" sent empty: the error summary is Spanish and leads to the field
    summary = phone.locator("[data-error-summary]")
    assert "Por favor, corrija lo siguiente" in summary.inner_text()
    assert summary.locator("a[href='#id_address']").count() == 1
    fill_where(phone)
    fill_details(phone)
    tracking_number = confirm_and_send(phone)

    assert phone.locator("html").get_attribute("lang") == "es"
    assert "seguimiento" in phone.inner_text("main").lower()
    report = Report.objects.get()
    assert report.tracking_number == tracking_number and report.language == "es"


# --- The keyboard alone ------------------------------------------------------------------------------------


def tab_to(page, selector: str, unseen_focus: list[str], limit: int = 80) -> None:
    """Press Tab until `selector` has the focus, noting every control on the way whose focus cannot be
    seen (a 3 px outline at the least)."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused = page.evaluate(
            """() => {
                const el = document.activeElement;
                const ring = [getComputedStyle(el), getComputedStyle(el, "::after")].some(
                    style => style.outlineStyle !== "none" && parseFloat(style.outlineWidth) >= 3
                );
                return {ring, name: el.outerHTML.slice(0, 120)};
            }"""
        )
        if not focused["ring"]:
            unseen_focus.append(focused["name"])
        if page.evaluate("s => document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"Tab never reached {selector}")


def press_and_wait(page, key: str) -> None:
    with page.expect_navigation():
        page.keyboard.press(key)


def type_time(page, moment) -> None:
    # A datetime-local field as a keyboard fills it: month, day and year, then Tab to the hour.
    page.keyboard.type(moment.strftime("%m%d%Y"))
    page.keyboard.press("Tab")
    page.keyboard.type(moment.strftime("%I%M%p"))


def test_the_whole_theft_flow_by_keyboard_only(phone):
    unseen = []
    phone.goto("/")
    tab_to(phone, "main a[href$='/report/']", unseen)
    press_and_wait(phone, "Enter")
    tab_to(phone, "a[href$='/report/new/theft-from-vehicle/']", unseen)
    press_and_wait(phone, "Enter")

    # Tab reaches a question's first choice, "No"; Space chooses it and the next question appears.
    for question in ("in_danger", "happening_now", "suspect_known"):
        tab_to(phone, f"input[name={question}]", unseen)
        phone.keyboard.press("Space")
    tab_to(phone, "input[name=inside_city]", unseen)
    phone.keyboard.press("ArrowDown")  # "Yes": arrows move within a group of radios
    for question in ("excluded_items", "over_value_cap"):
        tab_to(phone, f"input[name={question}]", unseen)
        phone.keyboard.press("Space")
    tab_to(phone, "[data-safety-continue]", unseen)
    press_and_wait(phone, "Enter")

    now = timezone.localtime()
    tab_to(phone, "#id_occurred_from", unseen)
    type_time(phone, now - timedelta(hours=10))
    tab_to(phone, "#id_occurred_to", unseen)
    type_time(phone, now - timedelta(hours=1))
    for selector, text in (("#id_address", "350 S 5th St"), ("#id_items-0-description", "Phone charger")):
        tab_to(phone, selector, unseen)
        phone.keyboard.type(text)
    for question in ("#id_q_vehicle-locked", "#id_q_vehicle-entry"):
        tab_to(phone, question, unseen)
        phone.keyboard.press("ArrowDown")  # a closed select takes the next option
    for selector, text in (
        ("#id_description", "Taken from the glove box overnight."),
        ("#id_contact_name", "Alex Resident"),
        ("#id_contact_email", "alex@example.org"),
    ):
        tab_to(phone, selector, unseen)
        phone.keyboard.type(text)
    tab_to(phone, "main form[data-keep-answers] button.btn-primary", unseen)
    press_and_wait(phone, "Enter")

    tab_to(phone, "#id_confirm", unseen)
    phone.keyboard.press("Space")
    tab_to(phone, "button[name=send]", unseen)
    press_and_wait(phone, "Enter")

    report = Report.objects.get()
    assert phone.inner_text("[data-tracking-number]").strip() == report.tracking_number
    assert report.description == "Taken from the glove box overnight." and report.items.count() == 1
    assert not unseen, f"focus not visible on: {unseen}"


# --- Without JavaScript ---------------------------------------------------------------------------------


def test_the_map_loads_only_when_asked_and_keeps_its_pin_on_the_way_back(phone):
    leaflet = []
    phone.on("request", lambda request: "leaflet" in request.url and leaflet.append(request.url))
    start_report(phone, "theft-from-vehicle")
    answer_safety_check(phone)
    assert phone.url.endswith("/report/details/")
    assert not leaflet and not phone.locator("#report-map").is_visible()

    phone.click("[data-map-offer] button")
    phone.wait_for_selector("#report-map .leaflet-tile-loaded")
    assert len(leaflet) == 2  # its script and its stylesheet, and nothing before the resident asked
    assert phone.evaluate("document.activeElement.id") == "report-map"
    assert not phone.locator("[data-map-offer]").is_visible()
    phone.click("#report-map", position={"x": 120, "y": 90})
    latitude = phone.input_value("#id_latitude")
    assert latitude and phone.input_value("#id_longitude")

    fill_details(phone)
    assert phone.url.endswith("/report/review/")
    go_on(phone, phone.locator("a.change-link[href*='/report/details/']").first)
    # With a pin already placed the map shows at once, the pin where it was.
    phone.wait_for_selector("#report-map .leaflet-marker-icon")
    assert not phone.locator("[data-map-offer]").is_visible()
    assert phone.input_value("#id_latitude") == latitude
    assert not [e for e in phone.console_errors if "Content Security Policy" in e]


def test_a_parking_report_with_javascript_off(new_phone):
    phone = new_phone(java_script_enabled=False)
    start_report(phone, "parking-no-parking-zone")

    # One question a page: the first is asked alone, the next only after Continue.
    assert phone.locator("[data-question]:visible").count() == 1
    answer_safety_check(phone)
    assert phone.url.endswith("/report/where/")
    fill_where(phone)
    fill_details(phone)
    tracking_number = confirm_and_send(phone)

    report = Report.objects.get()
    assert report.tracking_number == tracking_number and report.address == "350 S 5th St"


def test_a_reply_sent_empty_says_what_is_missing(phone, report_taker, client):
    file_report(client, "theft-other")
    token = status_token(client)
    workflow.request_info(Report.objects.get(), by=report_taker, message="Please send the receipt.")
    phone.goto(reverse("report-status", args=[token]))

    phone.locator("[data-submit-once]").click()

    phone.wait_for_selector("[data-error-summary] a[href='#id_text']", timeout=10_000)


# --- Staff and resident together -------------------------------------------------------------------------


def test_a_report_taker_and_a_resident_work_a_report_to_approval(
    browser, site, report_taker, client, tmp_path
):
    file_report(client, "theft-from-vehicle")
    backup_codes_device(report_taker, "abcd2345")
    report = Report.objects.get()
    status_url = site + reverse("report-status", args=[status_token(client)])

    desk_context = browser.new_context(viewport=DESK, base_url=site)
    desk = desk_context.new_page()
    desk.goto(reverse("staff-login"))
    desk.fill("#id_username", report_taker.username)
    desk.fill("#id_password", "a-long-test-password")
    desk.locator("main button[type=submit]").click()
    desk.fill("#id_code", "abcd2345")  # the second step: a backup code
    desk.locator("main button[type=submit]").click()
    desk.goto(reverse("staff-queue", args=["theft-damage"]))
    desk.locator("form[action$='take-next/'] button").click()
    desk.wait_for_selector("[data-tracking-number]")
    assert desk.inner_text("[data-tracking-number]") == report.tracking_number
    desk.locator("summary", has_text="Ask the resident for more information").click()
    desk.fill("form[action$='/act/request-info/'] textarea", "Please send a photo of the broken window.")
    desk.locator("form[action$='/act/request-info/'] button").click()
    desk.wait_for_selector("text=The resident has been asked for more information.")

    phone_context = browser.new_context(viewport=PHONE, is_mobile=True, accept_downloads=True)
    phone = phone_context.new_page()
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
    desk_context.close()
    phone_context.close()
