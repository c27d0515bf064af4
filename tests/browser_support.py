"""What the browser tests share: Playwright driving Debian's Chromium against the live server, a 390 px
phone, and a resident's steps as a person takes them (tests/flows.py takes the same steps through the
test client).

A browser test module imports the fixtures it uses (`browser_fixture`, `site_fixture`, `phone_fixture`,
`new_phone_fixture`: pytest knows them by their short names). One Chromium serves every test of a
module (a module, not the session: Playwright's event loop would otherwise stay running under the tests
that come after, where the ORM refuses to run); each test gets a fresh context, so no cookie or draft
carries over. pytest-django's live server is shared by the whole session already.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.conf import settings

from . import samples
from .conftest import past, require
from .flows import SAFE_ANSWERS

CHROMIUM = "/usr/bin/chromium"
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
PHONE = {"width": 390, "height": 844}
DESK = {"width": 1280, "height": 900}


@pytest.fixture(scope="module", name="browser")
def browser_fixture():
    require(Path(CHROMIUM).exists(), f"{CHROMIUM} is not installed (apt-get install chromium)")
    try:
        from playwright import sync_api
    except ImportError:
        sync_api = None
    require(sync_api is not None, "Playwright is not installed (pip install playwright)")
    # Playwright's sync API runs an event loop in this thread; the tests' ORM checks are plain sync code.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_api.sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
            yield browser
            browser.close()
    finally:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


@pytest.fixture(name="site")
def site_fixture(live_server, catalog, settings):
    """The live server's address, serving the static files by their plain names."""
    # The live server answers /static/ itself, from the finders, so names must not be hashed.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    return live_server.url


@pytest.fixture(name="new_phone")
def new_phone_fixture(browser, site):
    """Opens a fresh phone (its own cookies) as often as a test needs one; all are closed at the end."""
    contexts = []

    def open_phone(**options):
        context = browser.new_context(
            viewport=PHONE, is_mobile=True, has_touch=True, base_url=site, **options
        )
        stay_on_this_machine(context, site)
        contexts.append(context)
        page = context.new_page()
        page.console_errors = []
        page.on(
            "console", lambda message: message.type == "error" and page.console_errors.append(message.text)
        )
        return page

    yield open_phone
    for context in contexts:
        context.close()


def stay_on_this_machine(context, site: str) -> None:
    """Nothing leaves the machine: map tiles come from here (one plain tile for every square, so the map
    shows as it would), and any other outside address is refused."""
    tile = samples.png_bytes(size=(256, 256))
    tile_host = urlsplit(settings.MAP_TILE_URL).netloc if settings.MAP_TILE_URL else None

    def answer(route):
        host = urlsplit(route.request.url).netloc
        if host == urlsplit(site).netloc:
            route.continue_()
        elif host == tile_host:
            route.fulfill(status=200, content_type="image/png", body=tile)
        else:
            route.abort()

    context.route("**/*", answer)


@pytest.fixture(name="phone")
def phone_fixture(new_phone):
    return new_phone()


# --- A resident's steps -------------------------------------------------------------------------------

# What a resident types where a field needs text; anything else gets a short description.
TYPED = {
    "address": "350 S 5th St",
    "contact_name": "Alex Resident",
    "contact_email": "alex@example.org",
    "damaged_property": "Front window",
    "vehicle_plate": "KTX 482",
}


def start_report(page, subtype: str) -> None:
    """From the home page to the safety check of one kind of report, by the links a resident follows."""
    page.goto("/")
    go_on(page, page.locator("main a[href$='/report/']").first)
    go_on(page, page.locator(f"a[href$='/report/new/{subtype}/']"))


def go_on(page, button=None) -> None:
    """Press a button or follow a link that loads the next page, and wait for it."""
    with page.expect_navigation():
        (button or continue_button(page)).click()


def continue_button(page):
    return page.locator("main form button.btn-primary[type=submit]:not([name])").last


def answer_safety_check(page, **overrides) -> None:
    """Answer every question the page asks, safely unless told otherwise, then go on. With JavaScript the
    next question appears as soon as one is answered; without it, each is a page of its own."""
    for name, value in {**SAFE_ANSWERS, **overrides}.items():
        if not page.locator(f"[data-question={name}]").count():
            continue  # not asked for this type of report
        choice = page.locator(f"input[name={name}][value={value}]")
        if not choice.is_visible():
            go_on(page)
        choice.check()
    go_on(page)


def fill_required(page) -> list[str]:
    """Fill every visible field marked required (the asterisk) and still empty, the least a resident must
    give; returns their labels. A choice takes its first option, a time a few hours ago."""
    filled = []
    for field_id in page.eval_on_selector_all(
        "main form label:has(.asteriskField)[for]", "labels => labels.map(label => label.htmlFor)"
    ):
        field = page.locator(f"[id='{field_id}']")
        if not field.is_visible() or field.input_value():
            continue
        name = field.get_attribute("name") or ""
        kind = field.evaluate("f => f.type")
        if kind == "datetime-local":
            field.fill(past(hours=1 if name == "occurred_to" else 3))
        elif kind == "select-one":
            field.select_option(index=1)
        elif kind == "checkbox":
            field.check()
        elif name.endswith("-description"):
            field.fill("Laptop")
        else:
            field.fill(TYPED.get(name, "It was gone when I came back."))
        filled.append(label_of(page, field))
    return filled


def label_of(page, field) -> str:
    field_id = field.get_attribute("id")
    text = page.locator(f"label[for='{field_id}']").first.inner_text() if field_id else ""
    return re.sub(r"\s*\*$", "", text.strip())


def fill_where(page, address: str = TYPED["address"]) -> None:
    page.fill("#id_address", address)
    go_on(page)


def fill_details(page, plate: str = TYPED["vehicle_plate"]) -> None:
    if page.locator("#id_address:visible").count():
        page.fill("#id_address", TYPED["address"])
    if page.locator("#id_vehicle_plate").count():
        page.fill("#id_vehicle_plate", plate)  # the plate, or the make and colour: either is enough
    fill_required(page)
    go_on(page)


def confirm_and_send(page) -> str:
    page.check("#id_confirm")
    go_on(page, page.locator("button[name=send]"))
    return page.inner_text("[data-tracking-number]").strip()


def file_report_from_home(page, subtype: str) -> str:
    """Home page to tracking number for any kind of report: the safety check, the place (first, for
    parking), the details, then confirm and send. Returns the tracking number."""
    start_report(page, subtype)
    answer_safety_check(page)
    if page.url.endswith("/report/where/"):
        fill_where(page)
    fill_details(page)
    return confirm_and_send(page)
