"""The access walk, generated from the URL configuration: a new view without the access helper fails here.

Every route is either public on purpose (listed below, with why) or a staff page wrapped in
access.staff_required; and every staff page, whatever it is, turns away someone who is not signed in,
someone past the password but not the second factor, and a signed-in account with no staff role. Which
staff role may use which page is the matrix in test_permissions.py.
"""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from reports.models import OutboxMessage

from .conftest import backup_codes_device, sign_in
from .test_permissions import reports  # noqa: F401 (a fixture: a theft and a parking report)

pytestmark = pytest.mark.django_db

# Open without a staff session, each for a reason.
PUBLIC = {
    "set_language": "the language switcher",
    "home": "the resident pages",
    "report-start": "the resident pages",
    "report-eligibility": "the resident pages",
    "report-stop": "the resident pages",
    "report-details": "the resident pages",
    "report-review": "the resident pages",
    "report-submitted": "the resident pages",
    "report-where": "the resident pages",
    "report-phone": "the resident pages (the session's own draft only)",
    "report-nearby": "the resident pages",
    "report-save": "the resident pages",
    "report-upload": "the resident pages (the session's own draft only)",
    "report-resume": "the resume link is the key",
    "report-status": "the status link is the key",
    "report-status-reply": "the status link is the key",
    "report-status-still-there": "the status link is the key",
    "report-status-pdf": "the status link is the key",
    "report-status-filed-pdf": "the status link is the key",
    "report-status-evidence": "the status link is the key",
    "report-status-change": "the status link is the key",
    "report-status-withdraw": "the status link is the key",
    "report-status-more": "the status link is the key",
    "report-status-supplement": "the status link is the key",
    "report-upload-link": "the one-time upload link is the key",
    "report-feedback": "the status link is the key",
    "report-feedback-answer": "the status link is the key",
    "report-feedback-opt-out": "the status link is the key",
    "healthz": "the load balancer's check",
    "public-figures": "aggregates for the public, nothing about any one report",
    "open-data": "the open data's description",
    "open-data-file": "open data: only the fields reports/open_data.py allows",
    "verify": "an insurer checks an approved copy: the form asks for the code",
    "flyer": "the R3 campaign flyer: what the home page says, for printing",
    "verify-copy": "the code printed on the copy is the key; only what issued_copies.Verified holds",
    "staff-login": "the sign-in steps",
    "staff-logout": "the sign-in steps",
    "staff-2fa-verify": "the sign-in steps (past the password only)",
    "staff-2fa-enrol": "the sign-in steps (past the password only)",
    "traffic-status-update": "machine to machine: the webhook signature is the key",
    "traffic-photo": "machine to machine: the signed link is the key",
    "sms-inbound": "machine to machine: the provider's request signature is the key",
}
PUBLIC_PREFIXES = ("open311/",)  # API keys, checked by open311/endpoints.py
ADMIN_PREFIX = "admin/"  # the admin site checks for itself (reports/admin_site.py)


def routes(resolver: URLResolver | None = None, prefix: str = ""):
    """(route, name, view) for every URL the project answers."""
    for entry in (resolver or get_resolver()).url_patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            yield from routes(entry, route)
        elif isinstance(entry, URLPattern):
            yield route, entry.name, entry.callback


def staff_routes() -> list[tuple[str, str, object]]:
    return [
        (route, name, view)
        for route, name, view in routes()
        if not route.startswith((ADMIN_PREFIX, *PUBLIC_PREFIXES)) and name not in PUBLIC
    ]


def test_every_route_is_public_on_purpose_or_behind_the_access_helper():
    unprotected = [
        f"{route} ({name or 'no name'})"
        for route, name, view in staff_routes()
        if not getattr(view, "staff_page", False)
    ]
    assert unprotected == [], "add access.staff_required, or list the route in PUBLIC with a reason"
    stale = set(PUBLIC) - {name for _route, name, _view in routes()}
    assert stale == set(), "PUBLIC names a route that no longer exists"


@pytest.fixture
def samples(reports) -> dict[str, str]:  # noqa: F811 (the fixture above)
    """A value for each URL parameter a staff route takes; a route with a new one fails until it is here."""
    theft, _parking = reports
    return {
        "tracking_number": theft.tracking_number,
        "code": theft.queue.code,
        "public_id": str(theft.evidence.get().public_id),
        "action": "note",
        "variant": "thumb",
        "message_id": str(OutboxMessage.objects.first().pk),
        "subtype_code": "theft-other",
        "reason": "emergency",
    }


def url_for(name: str, view, samples: dict[str, str]) -> str:
    pattern = next(p for p in get_resolver().reverse_dict.getlist(view) if p)
    params = [param for param in pattern[0][0][1]]
    missing = [param for param in params if param not in samples]
    assert missing == [], f"{name}: give the access walk a sample value for {missing}"
    return reverse(name, kwargs={param: samples[param] for param in params})


def no_role_account() -> User:
    """Signed in with both steps, and no staff role at all."""
    user = User.objects.create_user("nobody", "nobody@example.org", "a-long-test-password")
    backup_codes_device(user)
    return user


def password_only(user: User) -> Client:
    browser = Client()
    browser.force_login(user)
    return browser


def test_every_staff_page_turns_away_everyone_without_a_staff_role(samples, report_taker):
    signed_in_nobody = Client()
    sign_in(signed_in_nobody, no_role_account())
    visitors = {
        "anonymous": (Client(), reverse("staff-login")),
        "password only": (password_only(report_taker), reverse("staff-2fa-verify")),
    }
    pages = staff_routes()
    assert len(pages) >= 20  # the walk really walks
    for _route, name, view in pages:
        url = url_for(name, view, samples)
        for who, (browser, sent_to) in visitors.items():
            answers = [browser.get(url), browser.post(url, {"note": "x"})]
            assert all(a.status_code in (302, 405) for a in answers), f"{who} {url}"
            assert any(a.get("Location", "").startswith(sent_to) for a in answers), f"{who} {url}"
        answers = [signed_in_nobody.get(url), signed_in_nobody.post(url, {"note": "x"})]
        assert {a.status_code for a in answers} <= {403, 405} and 403 in {a.status_code for a in answers}, url
