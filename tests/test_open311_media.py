"""Media with a filing: every media_url kept, and photos over 1 MB uploaded as multipart `media` files,
checked and stored like a resident's evidence, up to the evidence limit."""

from __future__ import annotations

import io
import os

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from open311.models import ApiFiling
from reports import evidence as evidence_files
from reports.models import Evidence, Report

from . import samples
from . import test_open311_support as support
from .test_open311_support import FORMATS, errors, parking_params, post, theft_params

pytestmark = pytest.mark.django_db
api_key = support.api_key


def noisy_jpeg(size: tuple[int, int] = (1600, 1200)) -> bytes:
    """A photo that does not compress: well over 1 MB, like a phone's."""
    out = io.BytesIO()
    Image.frombytes("RGB", size, os.urandom(size[0] * size[1] * 3)).save(out, "JPEG", quality=90)
    return out.getvalue()


def photo(name: str = "scene.jpg", data: bytes | None = None) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, noisy_jpeg() if data is None else data, "image/jpeg")


def stored_files(root) -> list:
    return [path for path in root.rglob("*") if path.is_file()] if root.exists() else []


@pytest.mark.parametrize("fmt", FORMATS)
def test_it_keeps_every_media_url_sent(client, api_key, fmt):
    urls = [f"https://fms.example.org/photo/{n}.full.jpeg" for n in range(3)]

    status, body = post(client, fmt, parking_params(api_key, media_url=urls))

    assert status == 200, body
    assert ApiFiling.objects.get().media_urls == urls
    assert ApiFiling.objects.get().media_url == urls[0]


def test_it_checks_every_media_url(client, api_key):
    urls = ["https://fms.example.org/1.jpeg", "javascript:alert(1)", "x" * 600]

    status, body = post(client, "json", parking_params(api_key, media_url=urls))

    assert status == 400
    assert [description.split(":")[0] for _, description in errors(body)] == ["media_url", "media_url"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_it_stores_photos_over_1_mb_as_the_reports_evidence(client, api_key, fmt, private_evidence_storage):
    big = noisy_jpeg()
    assert len(big) > 1024 * 1024

    status, body = post(client, fmt, theft_params(api_key, media=[photo("one.jpg", big), photo("two.jpg")]))

    assert status == 200, body
    report = Report.objects.get()
    first, second = report.evidence.order_by("id")
    assert first.source == Evidence.Source.FILING and first.original_name == "one.jpg"
    assert first.size == len(big) and first.derived and second.original_name == "two.jpg"
    with evidence_files.open_stored(first.original.name) as original:
        assert original.read() == big  # kept byte for byte, like a resident's
    assert report.events.get(kind="filed").data["evidence"] == 2


def test_it_refuses_a_photo_over_the_evidence_limit_and_keeps_nothing(
    client, api_key, settings, private_evidence_storage
):
    settings.EVIDENCE_MAX_BYTES = 1024 * 1024

    status, body = post(
        client, "json", theft_params(api_key, media=[photo("small.jpg", samples.jpeg_bytes()), photo()])
    )

    assert status == 400
    ((_, description),) = errors(body)
    assert description.startswith("media:")
    assert not Report.objects.exists() and stored_files(private_evidence_storage) == []


def test_it_refuses_a_file_that_is_not_a_photo_or_a_document(client, api_key, private_evidence_storage):
    fake = SimpleUploadedFile("photo.jpg", b"<html><script>alert(1)</script></html>", "image/jpeg")

    status, body = post(client, "json", theft_params(api_key, media=[fake]))

    assert status == 400 and errors(body)[0][1].startswith("media:")
    assert not Report.objects.exists() and stored_files(private_evidence_storage) == []


def test_it_refuses_more_files_than_a_resident_may_attach(client, api_key, settings):
    settings.EVIDENCE_MAX_FILES = 2
    files = [photo(f"{n}.jpg", samples.jpeg_bytes()) for n in range(3)]

    status, body = post(client, "json", theft_params(api_key, media=files))

    assert status == 400 and "at most 2 files" in errors(body)[0][1]


def test_it_refuses_a_multipart_body_over_the_evidence_limits_before_reading_it(client, api_key, settings):
    settings.EVIDENCE_MAX_FILES, settings.EVIDENCE_MAX_BYTES = 1, 1024 * 1024

    status, body = post(client, "json", theft_params(api_key, media=[photo(), photo()]))

    assert status == 400
    ((_, description),) = errors(body)
    assert description == "The request is larger than 2 MB (1 photos of 1 MB at most, and 1 MB besides)."


def test_it_keeps_no_photo_of_a_request_it_refuses(client, api_key, private_evidence_storage):
    params = theft_params(api_key, description=None, media=[photo()])

    status, _ = post(client, "json", params)

    assert status == 400 and stored_files(private_evidence_storage) == []
