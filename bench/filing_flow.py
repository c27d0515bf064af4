"""`make bench`, the filing flow: what a resident goes through from the home page to a tracking number.

For one kind of report of each type, a scripted resident in Chromium (Playwright) files it on a phone
(390 × 844) against gunicorn (2 workers, SQLite, run.py's server), with the network and the processor of
a slow phone emulated through the Chrome DevTools Protocol: 400 ms latency, 400 kbit/s down and up, the
CPU 4× slower. It prints, beside the aims of issue 12:

- screens: every page the resident is shown after the home page, up to and including the page with the
  tracking number (the safety check's questions appear one by one on one screen with JavaScript; without
  it each question is a screen of its own, printed apart);
- inputs: the fields the resident must type or choose at the least (pre-filled ones left out), listed;
- the median time of 3 runs, each in a fresh browser (nothing cached), from asking for the home page to
  seeing the tracking number. The resident types and taps at once: this is the portal's share of the
  time, not reading or thinking.

Nothing leaves the machine: map tiles and any other outside address are refused (the map then steps
aside, as it does when its tile server is down).
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
from bench import run  # noqa: E402

PORT = 8714
RUNS = int(os.environ.get("BENCH_FLOW_RUNS", "3"))
CHROMIUM = "/usr/bin/chromium"
PHONE = {"width": 390, "height": 844}
SLOW_PHONE_NETWORK = {
    "offline": False,
    "latency": 400,  # ms, added to every request
    "downloadThroughput": 400_000 / 8,  # 400 kbit/s, in bytes a second
    "uploadThroughput": 400_000 / 8,
}
SLOW_PHONE_CPU = 4  # times slower than this machine
CITY = ZoneInfo("America/Chicago")  # settings.TIME_ZONE's default


@dataclass(frozen=True)
class Kind:
    report_type: str
    subtype: str  # the first of its type on the "What do you want to report?" page
    aim_screens: int | None
    aim_inputs: int | None


KINDS = [
    Kind("theft", "theft-from-vehicle", aim_screens=6, aim_inputs=None),
    Kind("damage", "damage-vandalism", aim_screens=None, aim_inputs=None),
    Kind("parking", "parking-blocked-driveway", aim_screens=5, aim_inputs=8),
]

# The answers that let a report be filed online, in the order the safety check asks.
SAFE_ANSWERS = {
    "in_danger": "no",
    "happening_now": "no",
    "suspect_known": "no",
    "inside_city": "yes",
    "excluded_items": "no",
    "over_value_cap": "no",
}
TYPED = {
    "contact_name": "Alex Resident",
    "contact_email": "alex@example.org",
    "damaged_property": "Front window",
    "description": "It was gone when I came back.",
}


@dataclass
class Walk:
    """One resident's way from the home page to the tracking number."""

    screens: list[str] = field(default_factory=list)
    inputs: list[str] = field(default_factory=list)
    questions_on_the_safety_screen: int = 0
    seconds: float = 0.0
    tracking_number: str = ""
    # What each screen (home page first) cost over the network: requests, and bytes as transferred
    # (compressed, headers included), images apart.
    weights: list[Weight] = field(default_factory=list)


@dataclass
class Weight:
    path: str = ""
    requests: int = 0
    bytes: int = 0
    image_bytes: int = 0


def main() -> None:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        print("(Playwright not installed: the filing flow bench was skipped)")
        return
    if not Path(CHROMIUM).exists():
        print(f"({CHROMIUM} not installed: the filing flow bench was skipped)")
        return
    with tempfile.TemporaryDirectory(prefix="bench-flow-") as var_dir:
        env = run.server_env(Path(var_dir), PORT, None)
        run.manage(env, "migrate", "--noinput")
        run.manage(env, "seed")
        run.manage(env, "collectstatic", "--noinput")
        with run.gunicorn(env, PORT) as (base, _master), sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM,
                args=[
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-background-networking",
                    # Every other host fails to resolve: nothing leaves the machine. (Playwright's own
                    # request routing would do it too, but it turns the browser's cache off, and the
                    # page weights are measured as a returning page finds its CSS and scripts cached.)
                    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
                ],
            )
            walk(browser, base, KINDS[0], 0)  # warm the server: its first requests load the code
            results = {kind: [walk(browser, base, kind, n) for n in range(1, RUNS + 1)] for kind in KINDS}
            browser.close()
    print_figures(results)


def walk(browser, base: str, kind: Kind, number: int) -> Walk:
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, base_url=base)
    page = context.new_page()
    devtools = context.new_cdp_session(page)
    devtools.send("Network.enable")
    devtools.send("Network.emulateNetworkConditions", SLOW_PHONE_NETWORK)
    devtools.send("Emulation.setCPUThrottlingRate", {"rate": SLOW_PHONE_CPU})
    done = Walk()
    page.on("framenavigated", lambda frame: frame == page.main_frame and done.screens.append(path_of(frame)))
    weigh(devtools, done)
    started = time.perf_counter()
    file_a_report(page, kind, done, address=f"{3500 + number} Bryant Ave S")
    done.seconds = time.perf_counter() - started
    context.close()
    return done


def weigh(devtools, done: Walk) -> None:
    """Count every request against the screen it was made for: a page's own document against the screen
    it opens, anything else against the screen shown."""
    screen_of: dict[str, tuple[int, bool]] = {}

    def sent(event: dict) -> None:
        kind = event.get("type")
        screen = len(done.screens) - (0 if kind == "Document" else 1)
        screen_of[event["requestId"]] = (screen, kind == "Image")

    def finished(event: dict) -> None:
        screen, image = screen_of.get(event["requestId"], (len(done.screens) - 1, False))
        while len(done.weights) <= screen:
            done.weights.append(Weight())
        weight = done.weights[screen]
        weight.requests += 1
        if image:
            weight.image_bytes += int(event["encodedDataLength"])
        else:
            weight.bytes += int(event["encodedDataLength"])

    devtools.on("Network.requestWillBeSent", sent)
    devtools.on("Network.loadingFinished", finished)


def path_of(frame) -> str:
    return urlsplit(frame.url).path


def file_a_report(page, kind: Kind, done: Walk, *, address: str) -> None:
    page.goto("/")
    go_on(page, page.locator(f"main a[href$='/report/new/{kind.subtype}/']").first)
    answer_the_safety_check(page, done)
    if page.url.endswith("/report/where/"):
        type_into(page, "#id_address", address, done)
        go_on(page, continue_button(page))
    if page.url.endswith("/report/already-reported/"):  # a report of the same problem nearby
        go_on(page, page.locator("button[name=different]"))
    fill_the_details(page, done, address)
    page.check("#id_confirm")
    done.inputs.append(label_of(page, "id_confirm"))
    go_on(page, page.locator("button[name=send]"))
    done.tracking_number = page.inner_text("[data-tracking-number]").strip()
    home = done.screens.index("/")
    for path, weight in zip(done.screens[home:], done.weights[home:], strict=False):
        weight.path = path
    done.weights = done.weights[home : len(done.screens)]
    done.screens = done.screens[home + 1 :]  # after the home page


def go_on(page, button) -> None:
    with page.expect_navigation():
        button.click()


def continue_button(page):
    return page.locator("main form button.btn-primary[type=submit]:not([name])").last


def answer_the_safety_check(page, done: Walk) -> None:
    done.questions_on_the_safety_screen = page.locator("[data-question]").count()
    for name, value in SAFE_ANSWERS.items():
        question = page.locator(f"[data-question={name}]")
        if not question.count():
            continue  # not asked for this type
        choice = question.locator(f"input[value={value}]")
        choice.check()  # with JavaScript the next question appears now
        legend = question.locator("legend").inner_text().rstrip("*").strip()
        done.inputs.append(f"{legend} {label_of(page, choice.get_attribute('id'))}")
    go_on(page, continue_button(page))


def fill_the_details(page, done: Walk, address: str) -> None:
    if page.locator("#id_address:visible").count():
        type_into(page, "#id_address", address, done)
    if page.locator("#id_vehicle_plate").count():
        # Not marked required: the plate, or else the make and the color. The plate is the shorter way.
        type_into(page, "#id_vehicle_plate", "KTX 482", done)
    for field_id in page.eval_on_selector_all(
        "main form label:has(.asteriskField)[for]", "labels => labels.map(label => label.htmlFor)"
    ):
        element = page.locator(f"[id='{field_id}']")
        if not element.is_visible() or element.input_value():
            continue  # pre-filled: the time for parking starts at now
        kind = element.evaluate("e => e.type")
        name = element.get_attribute("name") or ""
        if kind == "select-one":
            element.select_option(index=1)
        elif kind == "datetime-local":
            hours = 1 if name == "occurred_to" else 5
            element.fill((datetime.now(CITY) - timedelta(hours=hours)).strftime("%Y-%m-%dT%H:%M"))
        else:
            element.fill("Laptop" if name.endswith("-description") else TYPED.get(name, TYPED["description"]))
        done.inputs.append(label_of(page, field_id))
    go_on(page, continue_button(page))


def type_into(page, selector: str, text: str, done: Walk) -> None:
    page.fill(selector, text)
    done.inputs.append(label_of(page, selector.removeprefix("#")))


def label_of(page, field_id: str) -> str:
    text = page.locator(f"label[for='{field_id}']").first.inner_text()
    return " ".join(text.replace("*", "").split())


def aim_text(value: int, aim: int | None) -> tuple[str, bool]:
    if aim is None:
        return "—", True
    return f"≤ {aim}", value <= aim


def print_figures(results: dict[Kind, list[Walk]]) -> None:
    print(
        f"\nThe filing flow on a slow phone: {PHONE['width']}×{PHONE['height']}, "
        f"{SLOW_PHONE_NETWORK['latency']} ms latency, 400 kbit/s down and up, CPU {SLOW_PHONE_CPU}× slower; "
        f"gunicorn 2 workers, SQLite. Median of {RUNS} runs, each in a fresh browser.\n"
        "Screens: every page shown after the home page, up to and including the one with the tracking "
        "number; without JavaScript the safety check asks one question a screen (no JS).\n"
        "Inputs: the fields a resident must type or choose at the least; pre-filled ones are not counted.\n"
        "Time: from asking for the home page to seeing the tracking number, typing and tapping at once.\n"
    )
    print(
        f"{'type':<9}{'report':<27}{'screens':>8}{'aim':>6}{'no JS':>7}{'inputs':>8}{'aim':>6}"
        f"{'median s':>10}  runs s"
    )
    missed = []
    for kind, walks in results.items():
        first = walks[0]
        screens, inputs = len(first.screens), len(first.inputs)
        screens_aim, screens_met = aim_text(screens, kind.aim_screens)
        inputs_aim, inputs_met = aim_text(inputs, kind.aim_inputs)
        without_script = screens + max(first.questions_on_the_safety_screen - 1, 0)
        runs = " ".join(f"{walk.seconds:.1f}" for walk in walks)
        print(
            f"{kind.report_type:<9}{kind.subtype:<27}{screens:>8}{screens_aim:>6}{without_script:>7}"
            f"{inputs:>8}{inputs_aim:>6}{statistics.median(w.seconds for w in walks):>10.1f}  {runs}"
        )
        if not screens_met:
            missed.append(f"{kind.report_type}: {screens} screens, the aim is {screens_aim}")
        if not inputs_met:
            missed.append(f"{kind.report_type}: {inputs} inputs, the aim is {inputs_aim}")
    print_weights(results)
    for kind, walks in results.items():
        first = walks[0]
        print(f"\n{kind.report_type} screens: {' → '.join(first.screens)}")
        print(f"{kind.report_type} inputs ({len(first.inputs)}): {'; '.join(first.inputs)}")
    print()
    for line in missed:
        print(f"AIM MISSED: {line}.")
    if not missed:
        print("Every aim is met.")


PAGE_WEIGHT_AIM_KB = 60  # issue 13: a resident's page on a phone, before images


def print_weights(results: dict[Kind, list[Walk]]) -> None:
    print(
        "\nPage weight on the phone, first run of each type (a fresh browser: the home page fetches the "
        "CSS and scripts, later screens find them cached): requests, and kilobytes as transferred "
        f"(compressed, with headers), images apart. Aim: ≤ {PAGE_WEIGHT_AIM_KB} KB before images.\n"
    )
    print(f"{'type':<9}{'screen':<42}{'requests':>9}{'KB':>8}{'image KB':>10}{'aim':>7}")
    missed = []
    for kind, walks in results.items():
        for weight in walks[0].weights:
            kb = weight.bytes / 1024
            met = kb <= PAGE_WEIGHT_AIM_KB
            print(
                f"{kind.report_type:<9}{weight.path:<42}{weight.requests:>9}{kb:>8.1f}"
                f"{weight.image_bytes / 1024:>10.1f}{'ok' if met else 'OVER':>7}"
            )
            if not met:
                missed.append(f"{kind.report_type} {weight.path}: {kb:.1f} KB")
    for line in missed:
        print(f"AIM MISSED (page weight): {line}.")


if __name__ == "__main__":
    main()
