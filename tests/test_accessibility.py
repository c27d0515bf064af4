"""Every page, resident and staff, in its ordinary and its error states, checked in a real browser:
axe-core (WCAG 2.0-2.2 A and AA and best practices, the 24 px target size too) finds nothing serious or
critical; radios, checkboxes and links in forms are 44 × 44 px targets; the error summary links every
entry, labelled, to its field, in the order of the page; the page says its language.

Each test walks through many pages and reports every finding at the end, not only the first.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.db import connections
from django.test import Client, RequestFactory
from django.urls import get_resolver, reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from reports import issued_copies, upload_links, workflow
from reports.models import Report, UploadLink

from . import samples
from .browser_support import (
    DESK,
    answer_safety_check,
    browser_fixture,  # noqa: F401 (a fixture)
    fill_details,
    fill_where,
    go_on,
    new_phone_fixture,  # noqa: F401
    phone_fixture,  # noqa: F401
    site_fixture,  # noqa: F401
    start_report,
    stay_on_this_machine,
)
from .conftest import backup_codes_device
from .factories import make_report
from .flows import file_report, status_token

pytestmark = pytest.mark.browser

AXE = Axe()
# axe's own defaults, plus WCAG 2.2's target size (2.5.8), which axe leaves off unless asked.
AXE_OPTIONS = {"resultTypes": ["violations"], "rules": {"target-size": {"enabled": True}}}
BLOCKING = {"serious", "critical"}

# Radios and checkboxes (with the label that chooses them), links and link-buttons in forms: 44 × 44 px,
# the issue's size for a fingertip.
TAP_TARGETS = """() => {
  const problems = [], size = box => `${Math.round(box.width)}×${Math.round(box.height)} px`;
  const seen = el => el.getClientRects().length > 0 && getComputedStyle(el).visibility !== "hidden";
  const small = box => box.width < 43.5 || box.height < 43.5;
  for (const input of document.querySelectorAll("main input[type=radio], main input[type=checkbox]")) {
    if (!seen(input)) continue;
    const own = input.getBoundingClientRect(), label = input.labels[0];
    const target = label ? label.getBoundingClientRect() : own;
    const covers = target.left <= own.left + 0.5 && target.right >= own.right - 0.5
      && target.top <= own.top + 0.5 && target.bottom >= own.bottom - 0.5;
    if (small(target) || !covers) {
      problems.push(`${input.id}: ${size(target)}, the label reaches over the box: ${covers}`);
    }
  }
  for (const link of document.querySelectorAll("main form a, main .btn-link, main .change-link")) {
    const box = link.getBoundingClientRect();
    if (seen(link) && small(box)) problems.push(`${link.outerHTML.slice(0, 80)}: ${size(box)}`);
  }
  return problems;
}"""

# Every entry a link to a field that exists, named by that field's label (or its item's and its label),
# in the order the fields come on the page.
ERROR_SUMMARY = """() => {
  const summary = document.querySelector("[data-error-summary]");
  if (!summary) return [];
  const problems = [], clean = text => text.replace(/\\*/g, "").replace(/\\s+/g, " ").trim();
  let previous = null;
  for (const entry of summary.querySelectorAll("li")) {
    const text = clean(entry.textContent), link = entry.querySelector("a[href^='#']");
    const target = link && document.getElementById(link.getAttribute("href").slice(1));
    if (!target) { problems.push(`not linked to a field: "${text}"`); continue; }
    if (previous && previous.compareDocumentPosition(target) & Node.DOCUMENT_POSITION_PRECEDING) {
      problems.push(`out of page order: "${text}"`);
    }
    previous = target;
    if (entry.hasAttribute("data-form-error")) continue;  // about the whole form: its message says it
    const own = target.closest("fieldset");
    const names = [...target.labels].map(label => clean(label.textContent));
    if (own && own.querySelector("legend")) names.push(clean(own.querySelector("legend").textContent));
    if (!names.some(name => name && text.includes(name))) problems.push(`not labelled: "${text}"`);
    const item = target.id.match(/^id_items-(\\d+)-/);
    if (item && !text.includes(String(Number(item[1]) + 1))) problems.push(`which item? "${text}"`);
  }
  return problems;
}"""


class Audit:
    """Checks pages as they come and keeps every finding, to report them all at once."""

    def __init__(self):
        self.findings: list[str] = []
        self.pages: list[str] = []

    def __call__(self, page, what: str, *, language: str = "en") -> None:
        page.wait_for_load_state()
        self.pages.append(what)
        for violation in AXE.run(page, options=AXE_OPTIONS).response["violations"]:
            if violation["impact"] in BLOCKING:
                targets = ", ".join(" ".join(node["target"]) for node in violation["nodes"][:5])
                self.findings.append(
                    f"{what}: axe {violation['id']} ({violation['impact']}): {violation['help']} [{targets}]"
                )
        self.findings += [f"{what}: tap target {problem}" for problem in page.evaluate(TAP_TARGETS)]
        self.findings += [f"{what}: error summary {problem}" for problem in page.evaluate(ERROR_SUMMARY)]
        if page.locator("html").get_attribute("lang") != language:
            self.findings.append(f"{what}: the page does not say it is in {language!r}")

    def assert_clean(self) -> None:
        assert not self.findings, "\n".join(self.findings)


@pytest.fixture
def audit():
    return Audit()


def error_summary_shown(page) -> None:
    page.wait_for_selector("[data-error-summary]")


# --- Residents ---------------------------------------------------------------------------------------------


def test_the_theft_and_damage_pages_in_every_state(phone, audit):
    phone.goto("/")
    audit(phone, "home")
    start_report(phone, "theft-from-vehicle")
    audit(phone, "what do you want to report? → safety check")
    go_on(phone)
    audit(phone, "safety check sent unanswered")
    phone.check("input[name=in_danger][value=no]")
    audit(phone, "safety check, the second question shown")
    phone.check("input[name=happening_now][value=yes]")
    assert phone.locator("[data-stop-box]:visible").count() == 1
    audit(phone, "safety check, the call-911 box")
    phone.check("input[name=happening_now][value=no]")
    answer_safety_check(phone)

    audit(phone, "theft details")
    go_on(phone)
    audit(phone, "theft details sent empty")
    phone.fill("#id_items-0-value", "-5")
    go_on(phone, phone.locator("button[name=add_item]"))
    audit(phone, "theft details, an item added")
    phone.fill("#id_items-1-value", "12.345")
    phone.fill("#id_contact_email", "not an address")
    go_on(phone)
    error_summary_shown(phone)
    assert "Item 2: Value in dollars (optional): " in phone.inner_text("[data-error-summary]")
    audit(phone, "theft details, wrong values in two items")

    phone.goto("/report/stop/emergency/")
    audit(phone, "stop page: call 911")
    phone.goto("/report/stop/outside-city/")
    audit(phone, "stop page: outside the city")

    start_report(phone, "damage-graffiti")
    answer_safety_check(phone)
    phone.fill("#id_estimated_cost", "-1")
    go_on(phone)
    audit(phone, "damage details sent with a wrong cost")
    audit.assert_clean()


def test_the_parking_pages_in_every_state(phone, audit, tmp_path, settings):
    make_report("parking-fire-hydrant", address="350 S 5th St")  # someone was there first
    good, bad = tmp_path / "car.jpg", tmp_path / "notes.txt"
    good.write_bytes(samples.jpeg_bytes())
    bad.write_bytes(b"not a photo")

    start_report(phone, "parking-fire-hydrant")
    answer_safety_check(phone)
    audit(phone, "where is it?")
    go_on(phone)
    audit(phone, "where is it? sent empty")
    fill_where(phone)
    audit(phone, "already reported?")
    go_on(phone, phone.locator("button[name=different]"))
    audit(phone, "the vehicle")
    phone.fill("#id_occurred_from", "")
    go_on(phone)
    audit(phone, "the vehicle sent empty")
    fill_details(phone)

    audit(phone, "check your answers")
    phone.locator("button[name=send]").click()  # sent by the page's script; the answer replaces the page
    error_summary_shown(phone)
    audit(phone, "check your answers sent unconfirmed")
    phone.set_input_files("input[type=file]", [str(bad), str(good)])
    phone.locator("button[name=add_files]").click()
    phone.wait_for_selector(".kept-file")
    error_summary_shown(phone)
    audit(phone, "check your answers with a refused file")

    go_on(phone, phone.locator("a[href$='/report/save/']"))
    audit(phone, "save and come back later")
    go_on(phone)
    audit(phone, "save and come back later sent empty")
    phone.fill("#id_email", "later@example.org")
    go_on(phone)
    audit(phone, "saved")
    go_on(phone, phone.locator("main a.btn"))
    phone.check("#id_confirm")
    go_on(phone, phone.locator("button[name=send]"))
    audit(phone, "report received")

    settings.FILING_RATE = "1/h"  # the one just filed was the last this address may send for an hour
    start_report(phone, "parking-double-parked")
    answer_safety_check(phone)
    fill_where(phone, "3512 Bryant Ave S")
    fill_details(phone)
    phone.check("#id_confirm")
    go_on(phone, phone.locator("button[name=send]"))
    audit(phone, "too many reports (429)")
    audit.assert_clean()


def test_a_resident_is_added_to_a_report_already_made(phone, audit):
    make_report("parking-double-parked", address="350 S 5th St")
    start_report(phone, "parking-double-parked")
    answer_safety_check(phone)
    fill_where(phone)
    go_on(phone, phone.locator("main section form button[type=submit]").first)
    audit(phone, "added to a report (me too)")
    audit.assert_clean()


def test_the_status_page_and_its_reply_form_in_error(phone, audit, report_taker, client):
    file_report(client, "theft-other")
    token = status_token(client)
    workflow.request_info(Report.objects.get(), by=report_taker, message="Please send the receipt.")

    phone.goto(reverse("report-status", args=[token]))
    audit(phone, "status page with a question")
    # Sent empty: the page comes back with its errors (site.js shows it in place, as a plain post would).
    phone.locator("[data-submit-once]").click()
    error_summary_shown(phone)
    audit(phone, "status page, the answer sent empty")
    audit.assert_clean()


def test_the_pages_a_resident_changes_a_report_with(phone, audit, report_taker, client):
    file_report(client, "theft-other")
    token = status_token(client)
    report = Report.objects.get()

    phone.goto(reverse("report-status", args=[token]))
    audit(phone, "status page before review: change, withdraw, send more")
    phone.goto(reverse("report-status-change", args=[token]))
    audit(phone, "change the details")
    phone.fill("#id_description", "")
    phone.locator("main button[type=submit]:not([name])").click()
    error_summary_shown(phone)
    audit(phone, "change the details, a required field emptied")
    phone.goto(reverse("report-status-withdraw", args=[token]))
    audit(phone, "withdraw")
    link = upload_links.send(report, by=report_taker).data["link"]
    phone.goto(reverse("report-upload-link", args=[UploadLink.objects.get(pk=link).token]))
    audit(phone, "the page an upload link opens")
    workflow.approve(report, by=report_taker)
    phone.goto(reverse("report-status-supplement", args=[token]))
    audit(phone, "add a supplement")
    audit.assert_clean()


def test_the_verification_pages(phone, audit, report_taker, client):
    file_report(client, "theft-other")
    report = Report.objects.get()
    workflow.approve(report, by=report_taker)
    copy = in_a_thread(issued_copies.current_copy, report)

    phone.goto(reverse("verify"))
    audit(phone, "check a report copy")
    phone.get_by_label("Verification code").fill("ABC")
    phone.get_by_role("button", name="Check the code").click()
    error_summary_shown(phone)
    audit(phone, "check a report copy, a code that cannot be one")
    phone.get_by_label("Verification code").fill(copy.code.lower())
    phone.get_by_role("button", name="Check the code").click()
    phone.wait_for_selector("[data-sha256]")
    audit(phone, "a report copy verified")
    in_a_thread(issued_copies.issue_copy, report)
    phone.reload()
    phone.wait_for_selector("[data-superseded]")
    audit(phone, "a report copy verified, superseded")
    audit.assert_clean()


def in_a_thread(function, *args):
    # pyHanko signs through asyncio.run, which refuses to run inside Playwright's loop (this thread's);
    # the web and worker processes that sign have no loop of their own.
    def run():
        try:
            return function(*args)
        finally:
            connections.close_all()

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(run).result()


def test_the_error_pages(phone, audit):
    phone.goto("/no/such/page/")
    audit(phone, "not found (404)")

    # A server error cannot be caused on purpose: the portal's own 500 page, served at an address.
    handler = get_resolver().resolve_error_handler(500)
    broken = handler(RequestFactory().get("/report/review/")).content
    phone.route("**/broken/", lambda route: route.fulfill(status=500, body=broken, content_type="text/html"))
    phone.goto("/broken/")
    audit(phone, "server error (500)")

    start_report(phone, "parking-fire-hydrant")
    phone.context.clear_cookies()  # the form's CSRF cookie is gone, as after a long pause
    go_on(phone)
    audit(phone, "form refused (CSRF)")
    audit.assert_clean()


def test_pages_in_spanish(phone, audit):
    phone.goto("/")
    go_on(phone, phone.locator("button[name=language][value=es]"))
    audit(phone, "inicio", language="es")
    start_report(phone, "theft-bicycle")
    go_on(phone)
    audit(phone, "control de seguridad sin respuesta", language="es")
    answer_safety_check(phone)
    go_on(phone, phone.locator("button[name=add_item]"))
    phone.fill("#id_items-1-value", "-5")
    go_on(phone)
    error_summary_shown(phone)
    assert "Artículo 2: " in phone.inner_text("[data-error-summary]")
    audit(phone, "detalles con errores", language="es")
    phone.goto("/no/such/page/")
    audit(phone, "no encontrada (404)", language="es")
    audit.assert_clean()


# --- Staff ------------------------------------------------------------------------------------------------


def visit(page, url: str) -> None:
    """Open a page and make sure it is the one asked for, not a sign-in step in its place."""
    page.goto(url)
    assert urlsplit(page.url).path == urlsplit(url).path, f"{url} led to {page.url}"


def after_a_wrong_code(page) -> None:
    # django-otp makes a device wait after a wrong code (1 s after the first): a person takes that long.
    page.wait_for_timeout(1200)


def sign_in_with_password(page, user) -> None:
    page.goto(reverse("staff-login"))
    page.fill("#id_username", user.username)
    page.fill("#id_password", "a-long-test-password")
    go_on(page, page.locator("main button[type=submit]"))


def test_the_staff_pages_at_a_desk(browser, site, audit, supervisor, client):
    file_report(client, "theft-from-vehicle")
    file_report(Client(), "parking-fire-hydrant", vehicle_plate="DESK1")
    backup_codes_device(supervisor, "abcd2345")
    context = browser.new_context(viewport=DESK, base_url=site)
    stay_on_this_machine(context, site)
    desk = context.new_page()

    desk.goto(reverse("staff-login"))
    audit(desk, "staff sign-in")
    go_on(desk, desk.locator("main button[type=submit]"))
    audit(desk, "staff sign-in sent empty")
    sign_in_with_password(desk, supervisor)
    audit(desk, "second factor")
    desk.fill("#id_code", "000000")
    go_on(desk, desk.locator("main button[type=submit]"))
    audit(desk, "second factor, a wrong code")
    after_a_wrong_code(desk)
    desk.fill("#id_code", "abcd2345")
    go_on(desk, desk.locator("main button[type=submit]"))
    audit(desk, "staff home")

    desk.goto(reverse("staff-queue", args=["theft-damage"]))
    audit(desk, "queue")
    desk.goto(reverse("staff-queue", args=["theft-damage"]) + "?created_from=soon&created_to=later")
    audit(desk, "queue with wrong filters")
    desk.goto(
        reverse("staff-report-detail", args=[Report.objects.get(report_type__form="theft").tracking_number])
    )
    for summary in desk.locator("main details > summary").all():
        summary.click()  # every action open, with its form
    audit(desk, "report")
    visit(desk, reverse("staff-dashboard"))
    audit(desk, "figures")
    visit(desk, reverse("staff-deliveries"))
    audit(desk, "dead letters")
    visit(desk, reverse("traffic-board"))
    audit(desk, "traffic board")

    visit(desk, reverse("intake-start"))
    audit(desk, "file for a caller: type")
    go_on(desk, desk.locator("a[href$='/new/theft-other/']"))
    audit(desk, "file for a caller: safety check")
    go_on(desk)
    audit(desk, "file for a caller: safety check sent unanswered")
    desk.check("input[name=channel][value=phone]")
    answer_safety_check(desk)
    audit(desk, "file for a caller: details")
    go_on(desk)
    audit(desk, "file for a caller: details sent empty")
    fill_details(desk)
    audit(desk, "file for a caller: check the answers")
    desk.check("#id_confirm")
    go_on(desk, desk.locator("button[name=send]"))
    audit(desk, "file for a caller: report received")
    context.close()
    audit.assert_clean()


def test_the_traffic_agent_on_a_phone_from_first_sign_in_to_the_board(
    new_phone, audit, traffic_agent, client
):
    file_report(client, "parking-fire-hydrant", vehicle_plate="BOARD1")
    phone = new_phone()

    sign_in_with_password(phone, traffic_agent)
    audit(phone, "set up the second factor")
    phone.fill("#id_code", "000000")
    go_on(phone, phone.locator("main button[type=submit]"))
    audit(phone, "set up the second factor, a wrong code")
    after_a_wrong_code(phone)
    device = TOTPDevice.objects.get(user=traffic_agent, confirmed=False)
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time()
    phone.fill("#id_code", f"{totp.token():06d}")
    go_on(phone, phone.locator("main button[type=submit]"))
    assert phone.locator("[data-backup-codes]").count() == 1
    audit(phone, "backup codes")

    visit(phone, reverse("traffic-board"))
    audit(phone, "traffic board on a phone")
    visit(phone, reverse("staff-dashboard"))  # supervisors only
    audit(phone, "not allowed (403)")
    audit.assert_clean()
