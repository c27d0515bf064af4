"""Walk the resident's filing steps through the views, the way a browser posts them."""

from __future__ import annotations

import re

from django.test import Client
from django.urls import reverse

from reports.models import ReportSubtype

from .conftest import past

SAFE_ANSWERS = {
    "in_danger": "no",
    "happening_now": "no",
    "suspect_known": "no",
    "inside_city": "yes",
    "excluded_items": "no",
    "over_value_cap": "no",
}


def details_for(subtype_code: str, **overrides) -> dict:
    form = ReportSubtype.objects.get(code=subtype_code).report_type.form
    data = {
        "occurred_from": past(hours=5),
        "address": "350 S 5th St",
        "location_detail": "",
        "description": "It happened overnight.",
        "contact_name": "Alex Resident",
        "contact_email": "alex@example.org",
        "contact_phone": "",
    }
    if form != "parking":
        data["occurred_to"] = past(hours=1)
    if form == "theft":
        data.update(
            {
                "items-TOTAL_FORMS": "1",
                "items-INITIAL_FORMS": "0",
                "items-MIN_NUM_FORMS": "1",
                "items-MAX_NUM_FORMS": "20",
                "items-0-description": "Laptop",
                "items-0-brand_model": "ThinkPad X1",
                "items-0-serial_number": "SN123",
                "items-0-value": "1200",
            }
        )
    if form == "damage":
        data.update({"damaged_property": "Front window", "estimated_cost": "450"})
    if form == "parking":
        data.update(
            {
                "vehicle_plate": "ABC 123",
                "vehicle_state": "MN",
                "vehicle_make": "Honda",
                "vehicle_colour": "Blue",
            }
        )
    for question in ReportSubtype.objects.get(code=subtype_code).report_type.questions.filter(required=True):
        choice = question.choices.first()
        data.setdefault(f"q_{question.code}", choice.key if choice else "yes")
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def pass_screen(client: Client, subtype_code: str, **answers):
    return client.post(reverse("report-eligibility", args=[subtype_code]), {**SAFE_ANSWERS, **answers})


def fill_details(client: Client, subtype_code: str, **overrides):
    return client.post(reverse("report-details"), details_for(subtype_code, **overrides))


def send(client: Client, files=(), confirm: bool = True):
    data = {"files": list(files), "send": "1"}  # the "Send report" button
    if confirm:
        data["confirm"] = "on"
    return client.post(reverse("report-review"), data)


def file_report(client: Client, subtype_code: str, files=(), **overrides):
    response = pass_screen(client, subtype_code)
    assert response.status_code == 302, response.content.decode()[:2000]
    response = fill_details(client, subtype_code, **overrides)
    assert response.status_code == 302, response.content.decode()[:4000]
    return send(client, files)


def status_token(client: Client) -> str:
    """The status link's token, read off the confirmation page as the resident reads it."""
    page = client.get(reverse("report-submitted")).content.decode()
    match = re.search(r"/status/([A-Za-z0-9_\-]{20,})/", page)
    assert match, page[:2000]
    return match[1]


def copies_made() -> None:
    """What the worker does a moment after a report is filed: the copies of the photos sent with it."""
    from reports import outbox, tasks
    from reports.models import OutboxMessage

    jobs = OutboxMessage.objects.filter(
        kind=OutboxMessage.Kind.EVIDENCE_COPIES, state=OutboxMessage.State.PENDING
    )
    for job in jobs:
        assert outbox.claim_and_run(job.pk, tasks.HANDLERS) == "done"
