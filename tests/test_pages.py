"""What every resident page promises: labels, an error summary that links, Spanish that is complete."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from django.urls import reverse

from reports.models import ReportSubtype

from .flows import details_for, pass_screen

pytestmark = pytest.mark.django_db


class FormAudit(HTMLParser):
    def __init__(self):
        super().__init__()
        self.labelled: set[str] = set()
        self.fields: list[str] = []
        self.links: list[str] = []
        self.ids: set[str] = set()
        self.headings: list[int] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "id" in attrs:
            self.ids.add(attrs["id"])
        if tag == "label" and attrs.get("for"):
            self.labelled.add(attrs["for"])
        if tag in ("input", "select", "textarea") and attrs.get("type") not in ("hidden", "submit"):
            self.fields.append(attrs.get("id", f"<{tag} name={attrs.get('name')} without id>"))
        if tag == "a" and attrs.get("href", "").startswith("#"):
            self.links.append(attrs["href"][1:])
        if tag in ("h1", "h2", "h3", "h4", "h5", "h6"):
            self.headings.append(int(tag[1]))


def audit(html: str) -> FormAudit:
    parser = FormAudit()
    parser.feed(html)
    return parser


@pytest.mark.parametrize("subtype", ["theft-from-vehicle", "damage-graffiti", "parking-abandoned-vehicle"])
def test_it_labels_every_field_and_links_every_error(client, catalog, subtype):
    pass_screen(client, subtype)
    page = client.post(
        reverse("report-details"), details_for(subtype, address="", contact_email="bad")
    ).content
    found = audit(page.decode())
    assert found.fields and all(field in found.labelled for field in found.fields), (
        set(found.fields) - found.labelled
    )
    errors = [link for link in found.links if link not in ("main",)]
    assert errors and all(link in found.ids for link in errors)
    assert 'role="alert"' in page.decode()


@pytest.mark.parametrize(
    "url",
    ["/", "/report/", "/report/new/theft-other/", "/report/stop/emergency/", "/report/stop/outside-city/"],
)
def test_it_keeps_headings_in_order(client, catalog, url):
    headings = audit(client.get(url).content.decode()).headings
    assert headings[0] == 1 and headings.count(1) == 1
    assert all(later - earlier <= 1 for earlier, later in zip(headings, headings[1:], strict=False))


def test_it_walks_the_filing_steps_in_spanish(client, catalog):
    client.cookies["django_language"] = "es"
    assert (
        "Antes de empezar" in client.get(reverse("report-eligibility", args=["theft-other"])).content.decode()
    )
    pass_screen(client, "theft-other")
    page = client.get(reverse("report-details")).content.decode()
    spanish_name = ReportSubtype.objects.get(code="theft-other").name_es
    assert 'lang="es"' in page and "Dirección" in page and spanish_name in page
