"""Every staff URL against every persona, including report takers against another queue's report.

The matrix is checked against the URL patterns themselves: a new staff URL without a rule here fails.
"""

from __future__ import annotations

import uuid

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from reports.models import OutboxMessage, Report

from . import samples
from .conftest import sign_in
from .flows import copies_made, file_report

pytestmark = pytest.mark.django_db

STAFF = {"report_taker", "agent_311", "traffic_agent", "supervisor"}
THEFT_QUEUE = {"report_taker", "supervisor"}
TRAFFIC_QUEUE = {"traffic_agent", "supervisor"}
INTAKE = {"agent_311", "supervisor"}
SUPERVISORS = {"supervisor"}
# The sign-in steps themselves: open to anyone (the password) or to anyone past the password (the code).
PUBLIC = {"staff-login", "staff-logout", "staff-2fa-verify", "staff-2fa-enrol"}


def is_session_route(route: str) -> bool:
    # traffic/api/ is machine to machine, authenticated by signatures, not by a staff session.
    return route.startswith(("staff/", "traffic/")) and not route.startswith("traffic/api/")


def staff_url_names(resolver: URLResolver | None = None, prefix: str = "") -> set[str]:
    names = set()
    for entry in (resolver or get_resolver()).url_patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            names |= staff_url_names(entry, route)
        elif isinstance(entry, URLPattern) and is_session_route(route) and entry.name:
            names.add(entry.name)
    return names - PUBLIC


@pytest.fixture
def reports(client, catalog):
    photo = samples.upload("a.jpg", samples.jpeg_bytes(), "image/jpeg")
    file_report(client, "theft-other", files=[photo])
    file_report(
        client, "parking-fire-hydrant", files=[samples.upload("b.jpg", samples.jpeg_bytes(), "image/jpeg")]
    )
    copies_made()  # the photos' copies, which the evidence views serve
    theft = Report.objects.get(queue__code="theft-damage")
    parking = Report.objects.get(queue__code="traffic-control")
    return theft, parking


def cases(theft: Report, parking: Report) -> list[tuple[str, str, str, set[str]]]:
    """(url name, method, url, personas let in)."""
    rows = [("staff-home", "get", reverse("staff-home"), STAFF)]
    for queue, allowed in (("theft-damage", THEFT_QUEUE), ("traffic-control", TRAFFIC_QUEUE)):
        rows += [
            ("staff-queue", "get", reverse("staff-queue", args=[queue]), allowed),
            ("staff-take-next", "post", reverse("staff-take-next", args=[queue]), allowed),
            ("staff-queue-export", "get", reverse("staff-queue-export", args=[queue]), SUPERVISORS),
        ]
    for report, allowed in ((theft, THEFT_QUEUE), (parking, TRAFFIC_QUEUE)):
        number, evidence = report.tracking_number, report.evidence.get().public_id
        rows += [
            ("staff-report-detail", "get", reverse("staff-report-detail", args=[number]), allowed),
            ("staff-report-action", "post", reverse("staff-report-action", args=[number, "note"]), allowed),
            ("staff-evidence", "get", reverse("staff-evidence", args=[number, evidence, "thumb"]), allowed),
            (
                "staff-evidence-verify",
                "post",
                reverse("staff-evidence-verify", args=[number, evidence]),
                allowed,
            ),
        ]
    for name in (
        "intake-start",
        "intake-where",
        "intake-nearby",
        "intake-details",
        "intake-phone",
        "intake-review",
    ):
        rows.append((name, "get", reverse(name), INTAKE))
    rows += [
        ("intake-submitted", "get", reverse("intake-submitted"), INTAKE),
        ("intake-save", "get", reverse("intake-save"), INTAKE),
        # No report filed in the agent's session: back to the start, once past the access check.
        ("intake-text-link", "post", reverse("intake-text-link"), INTAKE),
        ("intake-upload-link", "post", reverse("intake-upload-link"), INTAKE),
        # No file in the agent's draft by that id: a 404 once past the access check.
        ("intake-upload", "get", reverse("intake-upload", args=[uuid.uuid4()]), INTAKE),
    ]
    rows += [
        ("intake-eligibility", "get", reverse("intake-eligibility", args=["theft-other"]), INTAKE),
        ("intake-stop", "get", reverse("intake-stop", args=["emergency"]), INTAKE),
        ("staff-dashboard", "get", reverse("staff-dashboard"), SUPERVISORS),
        ("staff-dashboard-csv", "get", reverse("staff-dashboard-csv"), SUPERVISORS),
        ("staff-flagged-closures", "get", reverse("staff-flagged-closures"), SUPERVISORS),
        ("traffic-board", "get", reverse("traffic-board"), TRAFFIC_QUEUE),
        (
            "traffic-ticket-action",
            "post",
            reverse("traffic-ticket-action", args=[parking.tracking_number, "on-scene"]),
            TRAFFIC_QUEUE,
        ),
        ("staff-deliveries", "get", reverse("staff-deliveries"), SUPERVISORS),
        (
            "staff-delivery-retry",
            "post",
            reverse("staff-delivery-retry", args=[OutboxMessage.objects.filter(report=parking).first().pk]),
            SUPERVISORS,
        ),
    ]
    return rows


def let_in(name: str, status: int) -> bool:
    """The answer of a page to someone allowed to see it. A draft's file belongs to the draft of the
    session that added it, so the walk's made-up id is a 404 once past the access check."""
    return status in ((200, 302, 404) if name == "intake-upload" else (200, 302))


def test_it_has_a_rule_for_every_staff_url(reports):
    assert {name for name, *_ in cases(*reports)} == staff_url_names()


@pytest.mark.parametrize("persona", ["anonymous", "resident_with_link", *sorted(STAFF)])
def test_it_lets_in_only_the_right_persona(request, reports, persona, client):
    if persona == "anonymous":
        browser = Client()
    elif persona == "resident_with_link":
        browser = client  # the resident who filed both reports, with their session and status links
    else:
        browser = Client()
        sign_in(browser, request.getfixturevalue(persona))
    login = reverse("staff-login")
    for name, method, url, allowed in cases(*reports):
        response = getattr(browser, method)(url, {"note": "checked"} if method == "post" else None)
        where = f"{persona} {method.upper()} {url}"
        if persona in allowed:
            assert let_in(name, response.status_code), where
            assert not response.get("Location", "").startswith(login), where
        elif persona in STAFF:
            assert response.status_code == 403, where
        else:
            assert response.status_code == 302 and response["Location"].startswith(login), where
