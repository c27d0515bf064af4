"""Malformed input found by a hostile tester: each gets a 4xx or the form with a message, never a 500."""

from __future__ import annotations

import pytest
from django.urls import reverse

from reports.models import Draft, Report

from . import test_open311_support as support
from .conftest import sign_in
from .flows import details_for, fill_details, pass_screen
from .test_open311_support import errors, post, theft_params

pytestmark = pytest.mark.django_db
api_key = support.api_key


@pytest.mark.parametrize("total", ["x", "-3", "99999999999999999999", "", "1e3"])
@pytest.mark.parametrize("add_item", [True, False])
def test_it_answers_a_garbled_item_count_with_the_form(client, catalog, total, add_item):
    pass_screen(client, "theft-bicycle")
    data = details_for("theft-bicycle", **{"items-TOTAL_FORMS": total})
    if add_item:
        data["add_item"] = "1"

    response = client.post(reverse("report-details"), data, follow=True)

    assert response.status_code == 200  # the form again, or the row added (a redirect to the form)
    assert not Report.objects.exists()


def test_it_answers_a_garbled_item_count_on_311_intake(client, agent_311):
    sign_in(client, agent_311)
    client.post(
        reverse("intake-eligibility", args=["theft-bicycle"]),
        {"channel": "phone", "in_danger": "no", "happening_now": "no", "suspect_known": "no"}
        | {"inside_city": "yes", "excluded_items": "no", "over_value_cap": "no"},
    )
    data = details_for("theft-bicycle", **{"items-TOTAL_FORMS": "x"}) | {"add_item": "1"}

    assert client.post(reverse("intake-details"), data, follow=True).status_code == 200


@pytest.mark.parametrize("field", ["created_to", "created_from"])
@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01"])
def test_it_answers_a_date_at_the_end_of_time_on_the_queue_page(client, report_taker, field, day):
    sign_in(client, report_taker)
    page = client.get(reverse("staff-queue", args=["theft-damage"]), {field: day})
    assert page.status_code == 200
    assert page.context["form"].errors[field]


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01"])
def test_it_answers_a_date_at_the_end_of_time_in_the_csv_export(client, supervisor, day):
    sign_in(client, supervisor)
    export = client.get(reverse("staff-queue-export", args=["theft-damage"]), {"created_to": day})
    assert export.status_code == 200
    b"".join(export.streaming_content)


@pytest.mark.parametrize(
    "moment", ["0001-01-01T00:00:00+14:00", "0001-01-01T00:00", "1899-12-31T23:59", "9999-12-31T23:59"]
)
def test_it_refuses_a_time_before_1900_or_past_the_end_of_time_on_the_web_form(client, catalog, moment):
    pass_screen(client, "theft-bicycle")

    response = fill_details(client, "theft-bicycle", occurred_from=moment)

    assert response.status_code == 200
    assert response.context["form"].errors["occurred_from"]
    # The review page must not break on what was kept in the draft either.
    assert client.get(reverse("report-review")).status_code == 302
    assert Draft.objects.get().report_id is None


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_it_refuses_a_time_before_1900_as_an_open311_attribute(client, api_key, fmt):
    params = theft_params(api_key, **{"attribute[occurred_from]": "0001-01-01T00:00:00+14:00"})

    status, body = post(client, fmt, params)

    assert status == 400
    assert any("attribute[occurred_from]" in description for _code, description in errors(body))
    assert not Report.objects.exists()


def test_it_keeps_only_the_fields_the_step_has_in_the_draft(client, catalog):
    pass_screen(client, "theft-bicycle")
    data = details_for("theft-bicycle", description="x" * 50_000)
    data |= {"evil": "y" * 100_000, "q_not-a-question": "z", "items-7-description": "hidden row"}

    fill_details(client, "theft-bicycle", **{k: v for k, v in data.items() if k != "theft-bicycle"})

    kept = Draft.objects.get().details
    assert "evil" not in kept and "q_not-a-question" not in kept and "items-7-description" not in kept
    assert "address" in kept and "items-0-description" in kept
    assert len(kept["description"][0]) == 10_000


def test_it_shows_catalog_text_as_text_not_html(client, catalog):
    from reports.models import Question

    question = Question.objects.get(code="bike-locked")
    question.label = "Locked? <b>bold</b>"
    question.help_text = "<script>alert('help')</script>"
    question.save()
    choice = question.choices.first()
    choice.name = "<img src=x onerror=alert(1)>"
    choice.save()
    pass_screen(client, "theft-bicycle")

    page = client.get(reverse("report-details")).content.decode()

    assert "<script>alert('help')</script>" not in page and "&lt;script&gt;" in page
    assert "<b>bold</b>" not in page and "<img src=x" not in page
    assert "Locked? &lt;b&gt;bold&lt;/b&gt;" in page
