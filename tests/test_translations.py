"""Every language the site offers is complete: each text of the code translated in es, so and hmn, the
catalogs compiled, the catalog data in every language, the switcher and the language lines."""

from __future__ import annotations

import gettext
import os
import re
import shutil
import subprocess
import sys
from datetime import date
from html.parser import HTMLParser
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import formats, translation
from modeltranslation.translator import translator

from reports import outbox, tasks
from reports.models import LanguageLine, OutboxMessage, Report
from seeds import loader

from .conftest import require
from .flows import SAFE_ANSWERS, details_for, file_report, pass_screen, status_token

# Its own PostgreSQL/Redis or only files: the same whatever DATABASE_URL says (pyproject.toml markers).
pytestmark = pytest.mark.backend_independent

LOCALE = Path(settings.BASE_DIR) / "locale"
TRANSLATED = ["es", "so", "hmn"]
PLURAL_FORMS = {"es": "nplurals=2;", "so": "nplurals=2;", "hmn": "nplurals=1;"}
# What `make messages` leaves out of the scan (the Makefile's --ignore list), plus what is not source.
NOT_SCANNED = (
    ".venv",
    "var",
    "tests",
    "bench",
    "mutants",
    ".git",
    "build",
    "*.egg-info",
    "locale",
    "__pycache__",
)


def catalog_file(language: str) -> polib.POFile:
    return polib.pofile(str(LOCALE / language / "LC_MESSAGES" / "django.po"))


@pytest.fixture(scope="module")
def texts_in_the_code(tmp_path_factory) -> set[tuple[str, str]]:
    """Every msgid makemessages finds today, gathered in a copy of the tree so the real catalogs are
    left alone (makemessages writes next to the files it reads)."""
    require(shutil.which("xgettext") and shutil.which("msgmerge"), "GNU gettext is not installed")
    copy = tmp_path_factory.mktemp("messages") / "tree"
    shutil.copytree(settings.BASE_DIR, copy, ignore=shutil.ignore_patterns(*NOT_SCANNED))
    (copy / "locale").mkdir()
    subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "so", "--verbosity", "0"],
        cwd=copy,
        check=True,
        env={**os.environ, "VAR_DIR": str(copy / "var")},
        timeout=120,
    )
    found = polib.pofile(str(copy / "locale" / "so" / "LC_MESSAGES" / "django.po"))
    return {(entry.msgid, entry.msgid_plural) for entry in found}


@pytest.mark.parametrize("language", TRANSLATED)
def test_it_has_every_text_of_the_code_in_the_catalog(language, texts_in_the_code):
    listed = {(entry.msgid, entry.msgid_plural) for entry in catalog_file(language)}
    missing = sorted(msgid for msgid, _plural in texts_in_the_code - listed)
    assert not missing, f"run `make messages` and translate them in locale/{language}: {missing[:10]}"


@pytest.mark.parametrize("language", TRANSLATED)
def test_it_has_every_message_translated_and_compiled(language):
    catalog = catalog_file(language)
    assert PLURAL_FORMS[language] in catalog.metadata["Plural-Forms"]
    assert not [entry.msgid for entry in catalog.untranslated_entries()]
    assert not [entry.msgid for entry in catalog.fuzzy_entries()]
    compiled = gettext.GNUTranslations((LOCALE / language / "LC_MESSAGES" / "django.mo").open("rb"))
    stale = [entry.msgid for entry in catalog.translated_entries() if not compiled_as(compiled, entry)]
    assert not stale, f"run `make messages` and commit locale/{language}/LC_MESSAGES/django.mo: {stale[:5]}"


def compiled_as(compiled: gettext.GNUTranslations, entry: polib.POEntry) -> bool:
    key = f"{entry.msgctxt}\x04{entry.msgid}" if entry.msgctxt else entry.msgid
    if entry.msgid_plural:
        return all(compiled._catalog.get((key, int(n))) == text for n, text in entry.msgstr_plural.items())
    return compiled._catalog.get(key) == entry.msgstr


@pytest.mark.parametrize("language", TRANSLATED)
def test_it_keeps_every_placeholder_and_plural(language):
    # msgfmt --check: the same %(name)s in each translation as in the English, the plural forms right.
    require(shutil.which("msgfmt"), "GNU gettext is not installed")
    path = LOCALE / language / "LC_MESSAGES" / "django.po"
    result = subprocess.run(
        ["msgfmt", "--check", "-o", "/dev/null", str(path)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr


def test_it_has_the_catalog_data_in_every_language(catalog):
    # Every type, subtype, question, choice, reason, advice and holiday a resident may read.
    missing = []
    for model in translator.get_registered_models():
        for field in translator.get_options_for_model(model).fields:
            for row in model.objects.all():
                if getattr(row, f"{field}_en"):
                    missing += [
                        f"{model.__name__} {row.pk} {field}_{code}"
                        for code in TRANSLATED
                        if not getattr(row, f"{field}_{code}")
                    ]
    assert not missing


class Switcher(HTMLParser):
    def __init__(self):
        super().__init__()
        self.buttons: list[dict] = []
        self._open: dict | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "button" and attrs.get("name") == "language":
            self._open = {"value": attrs["value"], "lang": attrs.get("lang"), "text": ""}

    def handle_data(self, data):
        if self._open is not None:
            self._open["text"] += data.strip()

    def handle_endtag(self, tag):
        if tag == "button" and self._open is not None:
            self.buttons.append(self._open)
            self._open = None


@pytest.mark.parametrize("language", ["en", "so"])
def test_the_switcher_offers_the_four_languages_each_in_its_own_name(client, catalog, language):
    client.cookies["django_language"] = language
    audit = Switcher()
    audit.feed(client.get(reverse("home")).content.decode())
    assert [(b["value"], b["lang"], b["text"]) for b in audit.buttons] == [
        ("en", "en", "English"),
        ("es", "es", "Español"),
        ("so", "so", "Soomaali"),
        ("hmn", "hmn", "Hmoob"),
    ]


def test_the_switcher_turns_the_site_to_hmong(client, catalog):
    client.post(reverse("set_language"), {"language": "hmn", "next": reverse("home")})
    page = client.get(reverse("home")).content.decode()
    assert '<html lang="hmn">' in page and "Pib ib daim ntawv ceeb toom" in page  # "Start a report"


def test_a_resident_filing_in_somali_is_asked_answered_and_written_to_in_somali(client, catalog):
    client.cookies["django_language"] = "so"
    screen = client.get(reverse("report-eligibility", args=["theft-package"])).content.decode()
    assert '<html lang="so">' in screen
    assert "Ma jiraa qof hadda khatar ku jira ama dhaawac ah?" in screen  # "Is anyone in danger or hurt…?"

    file_report(client, "theft-package")

    report = Report.objects.get()
    assert report.language == "so"
    assert "Lambarkaaga raadraacu waa" in client.get(reverse("report-submitted")).content.decode()
    message = OutboxMessage.objects.get(payload__template="report-filed")
    assert outbox.claim_and_run(message.pk, tasks.HANDLERS) == "done"
    assert mail.outbox[-1].subject == f"Warbixintaada {report.tracking_number} waa la helay"
    # The status link opens in the report's language, even in a browser that never chose one.
    client.cookies.pop("django_language")
    page = client.get(reverse("report-status", args=[status_token(client)])).content.decode()
    assert '<html lang="so">' in page and "Warbixinta waa la helay" in page


@pytest.mark.parametrize(
    ("language", "stop"),
    [("so", "Hadda wac 911"), ("hmn", "Hu 911 tam sim no"), ("es", "Llame al 911 ahora")],
)
def test_someone_in_danger_is_told_to_call_911_in_their_language(client, catalog, language, stop):
    client.cookies["django_language"] = language
    response = client.post(
        reverse("report-eligibility", args=["theft-other"]), {**SAFE_ANSWERS, "in_danger": "yes"}, follow=True
    )
    page = response.content.decode()
    assert stop in page and 'href="tel:911"' in page


def test_django_s_own_form_errors_read_in_hmong(client, catalog):
    client.cookies["django_language"] = "hmn"
    pass_screen(client, "theft-other")
    page = client.post(reverse("report-details"), details_for("theft-other", address="")).content.decode()
    assert "Yuav tsum sau qhov no." in page and "This field is required." not in page


@pytest.mark.parametrize(
    ("language", "expected"),
    [("so", "Nofembar 29, 2026"), ("hmn", "Lub Kaum Ib Hlis 29, 2026"), ("es", "29 de noviembre de 2026")],
)
def test_dates_read_in_the_resident_s_language(language, expected):
    with translation.override(language):
        assert formats.date_format(date(2026, 11, 29), "DATE_FORMAT") == expected
        assert formats.number_format(12345.5, 2, use_l10n=True, force_grouping=True) == "12,345.50"


def test_every_page_shows_each_language_s_city_line_in_that_language(client, catalog):
    footer = client.get(reverse("report-start")).content.decode()
    for code, name, phone in [
        ("es", "Español", "612-673-2700"),
        ("so", "Soomaali", "612-673-3500"),
        ("hmn", "Hmoob", "612-673-2800"),
    ]:
        assert f'<span lang="{code}">{name}: <a href="tel:{phone}">{phone}</a></span>' in footer
    client.cookies["django_language"] = "so"
    home = client.get(reverse("home")).content.decode()
    assert re.search(r'<li lang="so" class="fw-bold">Soomaali: <a href="tel:612-673-3500">', home)


def test_the_lines_cost_no_query_once_read_and_change_with_the_seed(client, catalog):
    client.get(reverse("home"))
    with CaptureQueriesContext(connection) as queries:
        client.get(reverse("report-start"))
    assert not [q for q in queries.captured_queries if "languageline" in q["sql"].lower()]

    LanguageLine.objects.filter(language="so").update(phone="612-555-0100")
    loader.seed_language_lines()  # the file wins, and the pages show it at once
    assert "612-673-3500" in client.get(reverse("home")).content.decode()
    assert LanguageLine.objects.count() == 3


def test_a_language_line_for_a_language_the_site_does_not_offer_is_refused(catalog, tmp_path):
    wrong = tmp_path / "languages.json"
    wrong.write_text('{"lines": [{"language": "fr", "phone": "612-000-0000"}]}', encoding="utf-8")
    with pytest.raises(loader.SeedError, match="does not offer"):
        loader.seed_language_lines(wrong)
