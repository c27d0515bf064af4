"""What clients met at the edges: Retry-After on every 429, reduced-precision W3C dates, the discovery
document on a server without SITE_URL, and id lists as long as FixMyStreet sends (1,000 ids in one GET)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from reports.models import Report

from . import test_open311_support as support
from .test_open311_support import FORMATS, errors, get, make_report, parking_params, post

pytestmark = pytest.mark.django_db
api_key = support.api_key


# --- Retry-After ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("keyed", [True, False])
def test_it_says_when_to_try_again_on_every_429(client, api_key, settings, fmt, keyed):
    settings.OPEN311_RATE = "2/m"
    key = {"api_key": api_key} if keyed else {}
    for _ in range(2):
        assert client.get(support.url("open311-services", fmt), key).status_code == 200

    filing = parking_params(api_key, **({} if keyed else {"api_key": None}))
    refused = [
        client.get(support.url("open311-services", fmt), key),
        client.post(support.url("open311-requests", fmt), filing),
        client.get(support.url("open311-updates", fmt), key),
    ]

    for response in refused:
        assert response.status_code == 429
        assert 1 <= int(response["Retry-After"]) <= 60
        assert errors(support.read(response, fmt))[0][0] == "429"
    assert not Report.objects.exists()


# --- W3C dates with reduced precision --------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_it_reads_a_year_and_month_as_the_month_it_starts(client, catalog, fmt):
    month = timezone.localdate().replace(day=1)
    before = make_report(
        created_at=timezone.make_aware(timezone.datetime(month.year, month.month, 1)) - timedelta(hours=1)
    )
    inside = make_report(created_at=timezone.now())

    status, body = get(client, "open311-requests", fmt, start_date=f"{month:%Y-%m}")

    assert status == 200
    found = {row["service_request_id"] for row in body}
    assert inside.tracking_number in found and before.tracking_number not in found
    assert get(client, "open311-updates", fmt, start_date=f"{month:%Y-%m}")[0] == 200


@pytest.mark.parametrize(
    "value", ["2026", "2026-11", "2026-11-21", "2026-11-21T10:00Z", "2026-11-21T10:00:00.5-06:00"]
)
def test_it_accepts_every_w3c_date_format(client, catalog, value):
    assert get(client, "open311-requests", "json", start_date=value)[0] == 200


@pytest.mark.parametrize("value", ["2026-13", "2026-1", "20261", "２０２６-11", "0000", "2026-11-21T25:00Z"])
def test_it_refuses_what_is_not_a_w3c_date(client, catalog, value):
    status, body = get(client, "open311-requests", "json", start_date=value)

    assert status == 400 and errors(body)[0][1].startswith("start_date:")


# --- Discovery without SITE_URL -------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_it_builds_discovery_from_the_request_when_site_url_is_not_set(client, catalog, settings, fmt):
    settings.SITE_URL_IS_SET = False
    settings.ALLOWED_HOSTS = ["311.example.gov"]

    response = client.get(support.url("open311-discovery", fmt), HTTP_HOST="311.example.gov")

    body = support.read(response, fmt)
    assert body["endpoints"][0]["url"] == "http://311.example.gov/open311/v2"
    urls = {extension["name"]: extension["url"] for extension in body["extensions"]}
    assert urls["openapi"] == "http://311.example.gov/open311/v2/openapi.json"
    assert client.get(support.url("open311-discovery", fmt), HTTP_HOST="evil.example").status_code == 400


def test_it_keeps_site_url_when_it_is_set(client, catalog, settings):
    settings.SITE_URL, settings.SITE_URL_IS_SET = "https://311.minneapolismn.gov", True
    settings.ALLOWED_HOSTS = ["internal.example"]

    response = client.get(support.url("open311-discovery", "json"), HTTP_HOST="internal.example")

    assert response.json()["endpoints"][0]["url"] == "https://311.minneapolismn.gov/open311/v2"


# --- Long id lists --------------------------------------------------------------------------------------


def fms_query(ids: list[str]) -> str:
    # What FixMyStreet's URI->query_form sends: the commas escaped.
    return "service_request_id=" + "%2C".join(ids) + "&jurisdiction_id=minneapolis"


@pytest.mark.parametrize("fmt", FORMATS)
def test_it_takes_1000_ids_in_one_get(client, catalog, fmt):
    wanted = [make_report().tracking_number for _ in range(3)]
    ids = [f"{n:04d}-ZZZZ" for n in range(997)] + wanted

    response = client.get(support.url("open311-requests", fmt) + "?" + fms_query(ids))

    assert response.status_code == 200
    assert {row["service_request_id"] for row in support.read(response, fmt)} == set(wanted)


@pytest.mark.parametrize("fmt", FORMATS)
def test_it_answers_1001_ids_with_the_error_list(client, catalog, fmt):
    ids = [f"{n:04d}-ZZZZ" for n in range(1001)]

    response = client.get(support.url("open311-requests", fmt) + "?" + fms_query(ids))

    assert response.status_code == 400
    assert errors(support.read(response, fmt)) == [("400", "service_request_id: At most 1000 values.")]


def test_a_filing_with_a_long_list_of_media_urls_still_files(client, api_key):
    urls = [f"https://fms.example.org/photo/{n}.jpeg" for n in range(20)]

    assert post(client, "json", parking_params(api_key, media_url=urls))[0] == 200
