"""What staff tell a resident, as the resident reads it: a prepared message in the resident's language,
and what the report taker typed, marked as written in English when the resident reads another language.

The event keeps the template's code and the "what is missing" text; the words are chosen when the
message is read (an email, a text, the status page), in the language it is read in.
"""

from __future__ import annotations

import logging
import string
from collections import defaultdict

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from .models import ReportEvent, ResponseTemplate

log = logging.getLogger(__name__)
# The language staff write in: free text in any other reader's message is marked as theirs.
STAFF_LANGUAGE = settings.LANGUAGE_CODE


def event_data(template: ResponseTemplate | None, missing: str = "") -> dict:
    """What a transition keeps in its event so the message can be worded for the resident later."""
    if template is None:
        return {}
    return {"template": template.code, "missing": missing.strip()}


def for_resident(event: ReportEvent | None, language: str) -> list[str]:
    """The paragraphs of the message in `language`: the prepared one, then what staff typed."""
    if event is None:
        return []
    paragraphs = []
    template = prepared(event)
    if template is not None:
        paragraphs.append(filled(template, event, language))
    if event.note.strip():
        if language != STAFF_LANGUAGE:
            with translation.override(language):
                paragraphs.append(_("A city staff member added this, in English:"))
        paragraphs.append(event.note.strip())
    return paragraphs


def prepared(event: ReportEvent) -> ResponseTemplate | None:
    code = event.data.get("template") if isinstance(event.data, dict) else None
    return ResponseTemplate.objects.filter(code=code).first() if code else None


def filled(template: ResponseTemplate, event: ReportEvent, language: str) -> str:
    with translation.override(language):
        body = template.body  # modeltranslation: the active language's text, English when it has none
    values = defaultdict(
        str,
        tracking_number=event.report.tracking_number,
        case_number=event.report.case_number or "",
        missing=event.data.get("missing", ""),
    )
    try:
        return string.Formatter().vformat(body, (), values)
    except (ValueError, IndexError):  # a brace typed by mistake in the admin: the text as written
        log.warning("Response template %s has a malformed placeholder", template.code)
        return body
