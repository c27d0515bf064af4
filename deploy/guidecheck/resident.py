"""A resident filing a report over HTTPS through nginx, step by step, as a browser does it.

Standard library only: a session is a cookie jar, a Referer and the CSRF token read off each form.
The fields are those of tests/flows.py; a required question the catalog adds gets its first choice.
"""

from __future__ import annotations

import http.client
import re
import ssl
import time
import urllib.parse
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from html.parser import HTMLParser
from http.cookies import SimpleCookie
from zoneinfo import ZoneInfo

from .procs import JobFailed

MAX_POSTS = 15
SAFE_ANSWERS = {
    "in_danger": "no",
    "happening_now": "no",
    "suspect_known": "no",
    "inside_city": "yes",
    "excluded_items": "no",
    "over_value_cap": "no",
}


@dataclass
class Page:
    status: int
    headers: http.client.HTTPMessage
    text: str

    @property
    def location(self) -> str:
        return urllib.parse.urlsplit(self.headers.get("Location", "")).path


@dataclass
class Browser:
    """One resident's session with the site at https://HOST, reached on 127.0.0.1:PORT."""

    host: str
    port: int
    cafile: str
    cookies: dict[str, str] = field(default_factory=dict)
    referer: str = ""
    accept_language: str = "en"

    def request(self, method: str, path: str, fields: dict | None = None) -> Page:
        body = urllib.parse.urlencode(fields, doseq=True) if fields is not None else None
        context = ssl.create_default_context(cafile=self.cafile)
        connection = http.client.HTTPSConnection("127.0.0.1", self.port, context=context, timeout=60)
        try:
            connection.request(method, path, body=body, headers=self.headers(posting=body is not None))
            response = connection.getresponse()
            page = Page(response.status, response.headers, response.read().decode(errors="replace"))
        finally:
            connection.close()
        self.remember(page, path)
        return page

    def headers(self, *, posting: bool) -> dict[str, str]:
        # Host and Referer as a browser at https://HOST sends them: Django checks both on a secure POST.
        headers = {"Host": self.host, "Accept-Language": self.accept_language, "User-Agent": "check-guide"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        if self.referer:
            headers["Referer"] = self.referer
        if posting:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        return headers

    def remember(self, page: Page, path: str) -> None:
        for line in page.headers.get_all("Set-Cookie") or []:
            self.cookies |= {name: morsel.value for name, morsel in SimpleCookie(line).items()}
        if page.status == 200:
            self.referer = f"https://{self.host}{path}"

    def get(self, path: str, expect: int = 200) -> Page:
        return expected(self.request("GET", path), expect, f"GET {path}")


def expected(page: Page, status: int, what: str) -> Page:
    if page.status != status:
        raise JobFailed(f"{what}: expected {status}, got {page.status}\n{visible_text(page.text)[:1500]}")
    return page


def visible_text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", re.sub(r"(?s)<(script|style).*?</\1>", "", html)))


@dataclass
class Form:
    action: str
    method: str
    values: dict[str, list[str]] = field(default_factory=dict)
    choices: dict[str, list[str]] = field(default_factory=dict)
    required: set[str] = field(default_factory=set)
    buttons: list[dict[str, str]] = field(default_factory=list)

    def pressed(self) -> dict[str, str]:
        """The button a resident presses: "mine is different" where offered, else the page's primary one
        (not "Add another item" or "Change")."""
        different = [b for b in self.buttons if b.get("name") == "different"]
        primary = [b for b in self.buttons if "btn-primary" in b.get("class", "").split()]
        return (different or primary or self.buttons or [{}])[0]


class Forms(HTMLParser):
    """Every form of a page: its fields' values, the choices offered, what is required, its buttons."""

    def __init__(self):
        super().__init__()
        self.forms: list[Form] = []
        self.select: str | None = None

    @classmethod
    def of(cls, html: str) -> list[Form]:
        parser = cls()
        parser.feed(html)
        return parser.forms

    def handle_starttag(self, tag: str, attrs: list) -> None:
        attributes = {key: value or "" for key, value in attrs}
        if tag == "form":
            self.forms.append(Form(attributes.get("action", ""), attributes.get("method", "get").lower()))
        elif self.forms:
            self.field(self.forms[-1], tag, attributes)

    def field(self, form: Form, tag: str, attributes: dict[str, str]) -> None:
        name, kind = attributes.get("name"), attributes.get("type", "text")
        if tag == "option" and self.select:
            form.choices.setdefault(self.select, []).append(attributes.get("value", ""))
        elif tag == "button" or (tag == "input" and kind == "submit"):
            form.buttons.append(attributes)
        elif name and tag in ("input", "select", "textarea") and kind not in ("button", "file"):
            if "required" in attributes:
                form.required.add(name)
            if tag == "select":
                self.select = name
            elif kind in ("radio", "checkbox"):
                form.choices.setdefault(name, []).append(attributes.get("value", "on"))
                if "checked" in attributes:
                    form.values.setdefault(name, []).append(attributes.get("value", "on"))
            else:
                form.values.setdefault(name, []).append(attributes.get("value", ""))

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self.select = None


def form_to_send(page: Page, path: str) -> Form:
    """The step's own form (it posts back to the page), not the language switcher or "save for later".
    Where the page asks whether someone already reported it, the resident's problem is a new one."""
    own = [form for form in Forms.of(page.text) if form.method == "post" and form.action in ("", path)]
    if not own:
        raise JobFailed(f"{path} has no form that posts back to it\n{visible_text(page.text)[:1500]}")
    new_one = [form for form in own if any(b.get("name") == "different" for b in form.buttons)]
    return (new_one or own)[0]


def fill(form: Form, answers: dict) -> dict[str, list[str]]:
    fields = dict(form.values)
    fields |= {name: value if isinstance(value, list) else [value] for name, value in answers.items()}
    button = form.pressed()
    if button.get("name"):
        fields[button["name"]] = [button.get("value", "")]
    for name in form.required:
        if any(fields.get(name, [])):
            continue
        offered = [choice for choice in form.choices.get(name, []) if choice]
        if not offered:
            raise JobFailed(f"the form asks for {name!r}, which check-guide does not know how to answer")
        fields[name] = offered[:1]
    return fields


def city_time(hours_ago: float, zone: str = "America/Chicago") -> str:
    return (datetime.now(ZoneInfo(zone)) - timedelta(hours=hours_ago)).strftime("%Y-%m-%dT%H:%M")


def details_for(kind: str, number: int) -> dict:
    """The details step's answers, as tests/flows.py gives them; each report its own plate and address."""
    data = {
        "occurred_from": city_time(5),
        "address": f"{300 + number} S 5th St",
        "description": f"Filed by check-guide, report {number}.",
        "contact_name": f"Resident {number}",
        "contact_email": f"resident{number}@example.org",
    }
    if kind == "parking":
        return data | {
            "vehicle_plate": f"GDE{number:03d}",
            "vehicle_state": "MN",
            "vehicle_make": "Honda",
            "vehicle_colour": "Blue",
        }
    return data | {
        "occurred_to": city_time(1),
        "items-TOTAL_FORMS": "1",
        "items-INITIAL_FORMS": "0",
        "items-0-description": "Bicycle",
        "items-0-brand_model": "Trek FX 2",
        "items-0-serial_number": f"WTU{number:06d}",
        "items-0-value": "650",
    }


def file_report(browser: Browser, subtype: str, kind: str, number: int) -> str:
    """Walk the resident's steps from the start page to the confirmation; returns the tracking number.

    Each page's own form is sent with the answers it asks for, as a browser sends it, and the redirect
    followed; a page that answers 200 again (the safety questions, one at a time) is filled again."""
    start = browser.get("/report/")
    path = f"/report/new/{subtype}/"
    if path not in start.text:
        raise JobFailed(f"the start page offers no link to {path}")
    answers = SAFE_ANSWERS | details_for(kind, number) | {"confirm": "on"}
    page, walked = browser.get(path), []
    while path != "/report/submitted/":
        if len(walked) > MAX_POSTS:
            raise JobFailed(f"no confirmation after {' -> '.join(walked)}\n{visible_text(page.text)[:2000]}")
        walked.append(path)
        sent = browser.request("POST", path, fill(form_to_send(page, path), answers))
        if sent.status == 302:
            path = sent.location
            page = browser.get(path)
        elif sent.status == 200:
            page = sent
        else:
            raise JobFailed(f"POST {path} answered {sent.status}\n{visible_text(sent.text)[:2000]}")
    match = re.search(r"data-tracking-number>\s*([A-Z0-9-]+)\s*<", page.text)
    if not match:
        raise JobFailed("the confirmation page shows no tracking number")
    return match[1]


def wait_until_healthy(browser: Browser, seconds: float) -> dict:
    """/healthz through nginx until it answers 200 (the worker's first heartbeat comes from beat)."""
    deadline = time.monotonic() + seconds
    while True:
        page = browser.request("GET", "/healthz")
        if page.status == 200 or time.monotonic() > deadline:
            return {"status": page.status, "body": page.text}
        time.sleep(2)
