"""What the evidence URLs hand out: staff get originals under a name of ours, residents only the copies."""

from __future__ import annotations

import html
import io
import re

import pytest
from django.test import Client
from django.urls import reverse
from PIL import Image

from reports.models import Report

from . import samples
from .conftest import sign_in
from .flows import copies_made, file_report

pytestmark = pytest.mark.django_db

MAKE, MODEL = 0x010F, 0x0110
# Passes the markup scan (no <html>, <script>...), and a browser would run it if it rendered the file.
HTML_IN_A_COMMENT = b"<img src=x onerror=alert(document.domain)>"


def staff(user) -> Client:
    client = Client()
    sign_in(client, user)
    return client


def original_url(report: Report, item) -> str:
    return reverse("staff-evidence", args=[report.tracking_number, item.public_id, "original"])


def test_it_downloads_originals_under_the_tracking_number_and_the_detected_type(client, report_taker):
    uploads = [
        samples.upload(
            "invoice.html", samples.encoded(samples.picture((40, 30)), "JPEG", comment=HTML_IN_A_COMMENT)
        ),
        samples.upload("photo\u202egpj.exe", samples.png_bytes(), "image/jpeg"),
        samples.upload("receipt", samples.pdf_bytes()),
    ]
    file_report(client, "damage-vehicle", files=uploads)
    report = Report.objects.get()
    taker = staff(report_taker)

    downloads = [taker.get(original_url(report, item)) for item in report.evidence.all()]

    number = report.tracking_number
    assert [item.original_name for item in report.evidence.all()] == [
        "invoice.html",
        "photogpj.exe",
        "receipt",
    ]
    assert [response["Content-Disposition"] for response in downloads] == [
        f'attachment; filename="{number}-1.jpg"',
        f'attachment; filename="{number}-2.png"',
        f'attachment; filename="{number}-3.pdf"',
    ]
    assert [response["Content-Type"] for response in downloads] == [
        "image/jpeg",
        "image/png",
        "application/pdf",
    ]
    assert all(response["X-Content-Type-Options"] == "nosniff" for response in downloads)


def test_it_shows_the_name_the_resident_gave_as_text_only(client, report_taker):
    name = "<img src=x onerror=alert(1)>.jpg"
    file_report(client, "damage-vehicle", files=[samples.upload(name, samples.jpeg_bytes(gps=False))])
    report = Report.objects.get()

    page = (
        staff(report_taker)
        .get(reverse("staff-report-detail", args=[report.tracking_number]))
        .content.decode()
    )

    assert html.escape(name, quote=False) in page
    assert "<img src=x" not in page
    links = re.findall(r'(?:href|src)="([^"]*)"', page)
    assert not [link for link in links if "onerror" in link or ".jpg" in link]


def test_it_serves_residents_only_copies_without_location_or_camera(client, catalog):
    original = samples.jpeg_bytes(gps=True)
    with Image.open(io.BytesIO(original)) as photo:  # the sample really has all three
        assert photo.getexif().get_ifd(samples.GPS_IFD) and photo.getexif()[MAKE] and photo.getexif()[MODEL]
    file_report(client, "damage-vehicle", files=[samples.upload("car.jpg", original, "image/jpeg")])
    copies_made()

    confirmation = client.get(reverse("report-submitted")).content.decode()
    status_link = re.search(r'<a href="([^"]+)" data-status-link>', confirmation)[1]
    page = client.get(status_link).content.decode()
    images = sorted(set(re.findall(r'(?:href|src)="([^"]*/evidence/[^"]*)"', page)))

    assert [url.rstrip("/").rsplit("/", 1)[1] for url in images] == ["thumb", "view"]
    for url in images:
        response = client.get(url)
        served = b"".join(response.streaming_content)
        assert response.status_code == 200 and served != original, url
        with Image.open(io.BytesIO(served)) as copy:
            exif = copy.getexif()
            assert copy.format == "JPEG"
            assert samples.GPS_IFD not in exif and not exif.get_ifd(samples.GPS_IFD), url
            assert MAKE not in exif and MODEL not in exif and len(exif) == 0, url
