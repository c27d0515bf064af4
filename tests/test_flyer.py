"""The R3 campaign flyer: one printed page per language, drawn from the same catalog, numbers and address
as the site, with a QR code that leads to it."""

from __future__ import annotations

import io

import pytest
import zxingcpp
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import translation
from pypdf import PdfReader

from reports.models import ReportType

from .conftest import sign_in

pytestmark = pytest.mark.django_db


def flyer(language: str, **meta):
    return Client().get(reverse("flyer", args=[language]), **meta)


def read(data: bytes) -> tuple[str, int, list[str]]:
    """The flyer's text, its page count, and what its QR codes say."""
    reader = PdfReader(io.BytesIO(data))
    codes = [
        found.text
        for page in reader.pages
        for image in page.images
        for found in zxingcpp.read_barcodes(image.image.convert("L"))
    ]
    return "\n".join(page.extract_text() for page in reader.pages), len(reader.pages), codes


def plain(text: str) -> str:
    # pypdf breaks lines where the flyer wraps them; the words are what count.
    return " ".join(text.replace("’", "'").split())


@pytest.mark.parametrize("language", ["en", "es", "so", "hmn"])
def test_it_prints_one_page_in_each_language(catalog, language):
    response = flyer(language)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text, pages, codes = read(response.content)
    assert pages == 1
    with translation.override(language):
        kinds = ReportType.objects.filter(active=True)
        names = [kind.name for kind in kinds]
        subtypes = [sub.name for kind in kinds for sub in kind.subtypes.all()]
        emergency = translation.gettext("Call %(PHONE_EMERGENCY)s") % {"PHONE_EMERGENCY": "911"}
        online = translation.gettext("What you can report online")
    assert len(names) == 3
    for expected in [*names, *subtypes, emergency, online, settings.PHONE_POLICE_NON_EMERGENCY]:
        assert plain(expected) in plain(text), expected
    assert codes == [settings.SITE_URL]
    assert settings.SITE_URL.split("://")[1] in text


def test_it_speaks_the_flyer_language_not_the_browser_one(catalog):
    text, _pages, _codes = read(flyer("es", HTTP_ACCEPT_LANGUAGE="en").content)
    assert "Llame al 911" in text and "Robo de bicicleta" in text
    assert "What you can report online" not in text


@pytest.mark.parametrize("language", ["fr", "EN", "en-us", "x" * 40])
def test_it_answers_404_for_a_language_we_do_not_print(catalog, language):
    assert flyer(language).status_code == 404


def test_it_follows_the_site_address(catalog, settings):
    settings.SITE_URL = "https://311.example.gov"
    text, _pages, codes = read(flyer("en").content)
    assert codes == ["https://311.example.gov"] and "311.example.gov" in text


def test_it_is_drawn_again_when_the_catalog_changes(catalog):
    first = flyer("en")
    assert flyer("en", HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304
    theft = ReportType.objects.get(code="theft")
    theft.name_en = "Stolen property"
    theft.save()

    again = flyer("en", HTTP_IF_NONE_MATCH=first["ETag"])

    assert again.status_code == 200 and again["ETag"] != first["ETag"]
    assert "Stolen property" in read(again.content)[0]


def test_staff_find_the_flyers_on_their_home_page(catalog, report_taker):
    staff = Client()
    sign_in(staff, report_taker)
    page = staff.get(reverse("staff-home")).content.decode()
    for language in ("en", "es", "so", "hmn"):
        assert reverse("flyer", args=[language]) in page
