"""/flyer/<language>.pdf: the R3 campaign flyer, one printable page per language (reports/flyer.py). No
sign-in: a library, a councillor's office or a community group may print it."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.core.cache import cache
from django.http import Http404, HttpResponse
from django.urls import path
from django.utils.text import slugify
from django.views.decorators.http import condition, require_GET

from reports import catalog, flyer, queries
from reports.language_lines import language_lines

LANGUAGES = {code for code, _name in settings.LANGUAGES}
# The same for everyone until the catalog, the phone lines or a setting it prints changes: drawn once per
# version (the catalog's version moves with every change to it), then served from the shared cache.
CACHE_SECONDS = 24 * 3600
BROWSER_SECONDS = 3600


def flyer_version(request, language: str) -> str:
    if language not in LANGUAGES:
        raise Http404
    printed = [
        language,
        catalog.version(),
        settings.SITE_URL,
        settings.CITY_NAME,
        settings.PHONE_EMERGENCY,
        settings.PHONE_POLICE_NON_EMERGENCY,
        settings.PHONE_311,
        settings.PHONE_311_OUTSIDE,
        *(f"{line.language}={line.name_local}={line.phone}" for line in language_lines()),
    ]
    return hashlib.sha256("|".join(printed).encode()).hexdigest()[:32]


@require_GET
@condition(etag_func=flyer_version)
def flyer_pdf(request, language):
    version = flyer_version(request, language)
    document = cache.get_or_set(
        f"flyer:{version}",
        lambda: flyer.flyer_pdf(language, list(queries.catalog()), language_lines()),
        timeout=CACHE_SECONDS,
    )
    response = HttpResponse(document, content_type="application/pdf")
    response["Content-Disposition"] = (
        f'inline; filename="{slugify(settings.CITY_NAME)}-311-flyer-{language}.pdf"'
    )
    response["Cache-Control"] = f"public, max-age={BROWSER_SECONDS}"
    return response


urlpatterns = [path("flyer/<str:language>.pdf", flyer_pdf, name="flyer")]
