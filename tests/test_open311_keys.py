"""API keys (issued in the admin, shown once, revocable), the rate limit, and requests that are too
large or malformed: always the error list, never a 500."""

from __future__ import annotations

import hashlib
import re
from urllib.parse import urlencode

import pytest
from django.contrib.sessions.models import Session
from django.urls import reverse

from open311.models import ApiClient, ApiFiling
from reports.models import Report

from . import test_open311_support as support
from .test_open311_support import FORMATS, errors, get, parking_params, post, url

pytestmark = pytest.mark.django_db
api_key = support.api_key
KEY = re.compile(r"o311_[A-Za-z0-9_-]{43}")


def issue_in_admin(admin_client, name: str = "Bike app") -> str:
    response = admin_client.post(
        reverse("admin:open311_apiclient_add"), {"name": name, "contact_email": "dev@bike.example"}
    )
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    (key,) = set(KEY.findall(response.content.decode()))
    return key


def test_it_shows_a_new_key_once_and_stores_only_its_hash(admin_client, catalog):
    key = issue_in_admin(admin_client)

    client = ApiClient.objects.get()
    assert client.key_hash == hashlib.sha256(key.encode()).hexdigest()
    assert client.key_prefix == key[:13] and client.is_active
    stored = [str(value) for value in ApiClient.objects.values_list(flat=False).get()]
    assert not any(key in value for value in stored)
    assert not any(key in session.session_data for session in Session.objects.all())
    listing = admin_client.get(reverse("admin:open311_apiclient_changelist")).content.decode()
    page = admin_client.get(reverse("admin:open311_apiclient_change", args=[client.pk])).content.decode()
    assert key not in listing and key not in page and client.key_prefix in listing


def test_it_files_with_a_key_from_the_admin_and_refuses_it_once_revoked(admin_client, client, catalog):
    key = issue_in_admin(admin_client)
    assert post(client, "json", parking_params(key))[0] == 200

    response = admin_client.post(
        reverse("admin:open311_apiclient_changelist"),
        {"action": "revoke_keys", "_selected_action": [ApiClient.objects.get().pk]},
    )
    assert response.status_code == 302

    for fmt in FORMATS:
        status, body = post(client, fmt, parking_params(key))
        assert status == 403 and errors(body)[0][0] == "403" and "revoked" in errors(body)[0][1]
    assert Report.objects.count() == 1 and ApiFiling.objects.get().client.revoked_at is not None
    assert get(client, "open311-services", "json", api_key=key)[0] == 403


def test_it_never_deletes_a_client(admin_client, catalog):
    issue_in_admin(admin_client)

    issued = ApiClient.objects.get()
    url = reverse("admin:open311_apiclient_delete", args=[issued.pk])

    assert admin_client.get(url).status_code == 403
    assert admin_client.post(url, {"post": "yes"}).status_code == 403
    changelist = reverse("admin:open311_apiclient_changelist")
    admin_client.post(
        changelist, {"action": "delete_selected", "_selected_action": [issued.pk], "post": "yes"}
    )
    assert ApiClient.objects.filter(pk=issued.pk).exists()  # still there, whatever was tried


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("key", [None, "", "o311_wrong", "x" * 5000])
def test_it_needs_a_valid_key_to_file(client, api_key, fmt, key):
    status, body = post(client, fmt, parking_params(api_key, api_key=key))

    assert status == 403
    ((code, description),) = errors(body)
    assert code == "403" and description.startswith("api_key:")
    assert not Report.objects.exists()


def test_it_takes_the_key_from_the_query_string_too(client, api_key):
    params = parking_params(api_key, api_key=None)

    response = client.post(url("open311-requests", "json") + f"?api_key={api_key}", params)

    assert response.status_code == 200


def test_it_reads_without_a_key_but_not_with_a_bad_one(client, catalog):
    assert get(client, "open311-requests", "json")[0] == 200
    assert get(client, "open311-requests", "json", api_key="o311_nope")[0] == 403


# --- The rate limit ----------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_it_limits_each_key(client, api_key, settings, fmt):
    settings.OPEN311_RATE = "3/m"
    other = ApiClient(name="Other", contact_email="o@example.org")
    other_key = other.issue_key()
    other.save()

    statuses = [get(client, "open311-services", fmt, api_key=api_key)[0] for _ in range(3)]
    status, body = post(client, fmt, parking_params(api_key))

    assert statuses == [200, 200, 200] and status == 429
    ((code, description),) = errors(body)
    assert code == "429" and "3/m" in description
    assert not Report.objects.exists()
    assert get(client, "open311-services", fmt, api_key=other_key)[0] == 200


def test_it_limits_reads_without_a_key_by_address(client, api_key, settings):
    settings.OPEN311_RATE = "2/m"

    statuses = [get(client, "open311-services", "json")[0] for _ in range(3)]
    guesses = [get(client, "open311-services", "json", api_key=f"o311_guess{n}")[0] for n in range(2)]

    assert statuses == [200, 200, 429]
    assert guesses == [429, 429]  # guessing keys does not get round the limit
    assert get(client, "open311-services", "json", api_key=api_key)[0] == 200


# --- Malformed and oversized requests ---------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_it_refuses_a_body_over_1_mb_with_400(client, api_key, fmt):
    params = parking_params(api_key, description="x" * (1024 * 1024 + 1))

    form = "application/x-www-form-urlencoded"
    response = client.post(url("open311-requests", fmt), urlencode(params), form)

    assert response.status_code == 400
    assert errors(support.read(response, fmt)) == [("400", "The request is larger than 1 MB.")]
    assert not Report.objects.exists()


@pytest.mark.parametrize("fmt", FORMATS)
def test_it_refuses_fields_over_1_mb_in_a_multipart_body_too(client, api_key, fmt):
    # A multipart body may be larger for its photos (test_open311_media.py), never for its other fields.
    params = parking_params(api_key, description="x" * (1024 * 1024 + 1))

    status, body = post(client, fmt, params)

    assert status == 400
    assert errors(body) == [("400", "The request's fields (photos aside) are larger than 1 MB.")]
    assert not Report.objects.exists()


def test_it_refuses_too_many_parameters_with_400(client, api_key):
    params = {**parking_params(api_key), **{f"junk{n}": "1" for n in range(1100)}}

    status, body = post(client, "json", params)
    assert status == 400 and errors(body) == [("400", "The request has too many parameters.")]

    response = client.get(url("open311-requests", "xml") + "?" + "&".join(f"a{n}=1" for n in range(1100)))
    assert response.status_code == 400


@pytest.mark.parametrize(
    ("body", "content_type", "extra"),
    [
        (b"garbage", "multipart/form-data", {}),
        (b"--x\r\nContent-Disposition: form-data\r\n\r\nbroken", "multipart/form-data; boundary=x", {}),
        (b"service_code=parking", "application/x-www-form-urlencoded", {"CONTENT_LENGTH": "lots"}),
    ],
)
def test_it_refuses_a_body_it_cannot_read_with_400(client, api_key, body, content_type, extra):
    response = client.generic(
        "POST", url("open311-requests", "json") + f"?api_key={api_key}", body, content_type, **extra
    )

    assert response.status_code == 400
    assert response.json()[0]["code"] == 400


def test_it_answers_a_json_body_with_the_missing_parameters(client, api_key):
    response = client.post(
        url("open311-requests", "json") + f"?api_key={api_key}",
        {"service_code": "parking-fire-hydrant"},
        content_type="application/json",
    )

    assert response.status_code == 400
    assert response.json() == [{"code": 400, "description": "service_code: This parameter is required."}]
