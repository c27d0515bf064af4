"""Error pages are ours: the site's header, the visitor's language, a phone viewport, the numbers to call."""

from __future__ import annotations

import pytest
from django.test import Client, RequestFactory
from django.urls import get_resolver, reverse
from django.utils import translation

from .flows import details_for, file_report, fill_details, pass_screen, send

pytestmark = pytest.mark.django_db


def designed(page: str, *, number: str = "311") -> bool:
    return (
        'name="viewport"' in page
        and 'class="site-header' in page
        and f'href="tel:{number}"' in page
        and "Server Error (500)" not in page
    )


@pytest.mark.parametrize("language", ["en", "es"])
def test_a_missing_page_is_ours_in_the_visitors_language(catalog, language):
    browser = Client(HTTP_ACCEPT_LANGUAGE=language)
    response = browser.get("/no/such/page/")
    page = response.content.decode()
    assert response.status_code == 404 and designed(page)
    assert f'<html lang="{language}">' in page
    expected = {"en": "We cannot find that page", "es": "No encontramos esa página"}[language]
    assert expected in page


def test_a_forbidden_page_is_ours(client, report_taker):
    from .conftest import sign_in

    sign_in(client, report_taker)
    response = client.get(reverse("staff-dashboard"))  # supervisors only
    assert response.status_code == 403 and designed(response.content.decode())


def test_a_server_error_is_ours_and_touches_nothing_that_may_be_failing(catalog, django_assert_num_queries):
    handler = get_resolver().resolve_error_handler(500)
    request = RequestFactory().get("/report/review/")
    translation.activate("es")
    with django_assert_num_queries(0):
        response = handler(request)
    page = response.content.decode()
    assert response.status_code == 500 and designed(page)
    assert "Algo salió mal" in page and "guardad" in page  # the steps already done are saved


def test_a_refused_form_is_ours_and_the_answers_stay(catalog):
    browser = Client(enforce_csrf_checks=True)
    pass_screen(Client(), "parking-fire-hydrant")  # unrelated session: the refused one keeps nothing of it
    response = browser.post(reverse("report-details"), details_for("parking-fire-hydrant"))
    assert response.status_code == 403 and designed(response.content.decode())
    assert "send the page again" in response.content.decode()


def test_too_many_requests_says_when_to_come_back(client, catalog):
    for n in range(10):  # FILING_RATE is 10 reports an hour from one address
        assert file_report(client, "parking-double-parked", vehicle_plate=f"RATE{n}").status_code == 302
    pass_screen(client, "parking-double-parked")
    fill_details(client, "parking-double-parked")

    limited = send(client)

    assert limited.status_code == 429 and limited["Retry-After"] == "3600"
    assert designed(limited.content.decode())


def test_a_request_we_cannot_read_is_ours(catalog):
    # Django answers 400 for what it refuses to read: here a Host header that is not ours; a session that
    # could not be saved while the database restarted (SessionInterrupted) gets the same page.
    response = Client(HTTP_ACCEPT_LANGUAGE="es").get("/", HTTP_HOST="not-our-site.example")
    page = response.content.decode()
    assert response.status_code == 400 and designed(page)
    assert '<html lang="es">' in page
