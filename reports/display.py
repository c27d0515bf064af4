"""A report's answers as people read them: the same rows on the review page, the staff page and the PDF.

Answers arrive in two shapes, the form's cleaned values before filing and their JSON form after, and
both read the same here: choice names instead of keys, times in the city's zone and named.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.utils import formats, timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from . import sms
from .forms import DetailsForm, EligibilityForm, display_value, questions_for
from .models import Draft, Question, Report, ReportType

Rows = list[tuple[str, str]]
EMPTY = (None, "", [])


def local_time(value: datetime) -> str:
    # Always the city's zone and named, whatever zone the request that asked for it had.
    local = timezone.localtime(value, timezone.get_default_timezone())
    return f"{formats.date_format(local, 'DATETIME_FORMAT')} {local.tzname()}"


def local_date(value: datetime) -> str:
    return formats.date_format(timezone.localtime(value, timezone.get_default_timezone()), "DATE_FORMAT")


def answer_rows(report_type: ReportType, answers: dict) -> Rows:
    """(question label, answer) for the catalog questions answered, in the catalog's order.

    Questions retired from the catalog since keep their answers, shown under the code they were saved
    with: what the resident said stays on the record.
    """
    questions = {q.code: q for q in report_type.questions.prefetch_related("choices")}
    answered = {code: value for code, value in answers.items() if value not in EMPTY}
    codes = [code for code in questions if code in answered]
    codes += [code for code in answered if code not in questions]
    return [
        (
            questions[code].label if code in questions else code,
            answer_text(questions.get(code), answered[code]),
        )
        for code in codes
    ]


def answer_text(question: Question | None, value: object) -> str:
    names = {choice.key: choice.name for choice in question.choices.all()} if question else {}
    if isinstance(value, list):
        return ", ".join(names.get(str(v), str(v)) for v in value)
    if question and question.datatype == Question.Datatype.DATETIME:
        moment = value if isinstance(value, datetime) else parse_datetime(str(value))
        if moment:
            return local_time(moment if timezone.is_aware(moment) else timezone.make_aware(moment))
    return names.get(str(value), str(value))


def eligibility_rows(report: Report | Draft) -> Rows:
    """(question, answer) of the safety check the resident passed, in the words they read."""
    return eligibility_rows_for(report.report_type, report.eligibility)


# --- Check your answers ------------------------------------------------------------------------------------


@dataclass
class Section:
    title: str
    step: str  # the filing step that asks these, for its "Change" link
    rows: Rows = field(default_factory=list)
    change_url: str = ""


def not_given() -> str:
    return _("Not given")


def check_your_answers(draft: Draft, details: DetailsForm, items: list[dict]) -> list[Section]:
    """Everything the resident gave, in the order they gave it, each part with the step that changes it;
    an optional answer they skipped reads "Not given"."""
    values = details.cleaned_data
    parking = draft.report_type.form == ReportType.Form.PARKING
    sections = [Section(_("Safety check"), "eligibility", eligibility_rows(draft))]
    where = field_rows(details, ["address", "location_detail"], values)
    if values.get("latitude") is not None:
        where.append((_("Map pin"), _("Placed on the map")))
    sections.append(Section(_("Where"), "where" if parking else "details", where))
    when = field_rows(details, ["occurred_from", "occurred_to"], values)
    what = field_rows(details, WHAT_FIELDS, values) + [item_row(n, item) for n, item in enumerate(items, 1)]
    questions = question_rows(draft, details.answers())
    sections += [
        Section(_("When"), "details", when),
        Section(_("What"), "details", what + questions),
        Section(_("Description"), "details", field_rows(details, ["description"], values)),
        Section(_("About you"), "details", field_rows(details, CONTACT_FIELDS, values)),
    ]
    return [section for section in sections if section.rows]


WHAT_FIELDS = ["damaged_property", "estimated_cost", "vehicle_plate", "vehicle_state", "vehicle_make"]
WHAT_FIELDS += ["vehicle_colour"]
CONTACT_FIELDS = ["contact_name", "contact_email", "contact_phone", "updates_by"]


def field_rows(details: DetailsForm, names: list[str], values: dict) -> Rows:
    rows = []
    for name in names:
        field = details.fields.get(name)
        if field is None:
            continue
        value = values.get(name)
        shown = not_given() if value in EMPTY else details_value(field, value)
        rows.append((str(field.label), shown))
    return rows


def details_value(field, value) -> str:
    if isinstance(value, datetime):
        return local_time(value)
    if field.widget.attrs.get("type") == "tel":
        return sms.readable(value)
    return display_value(field, value)


def item_row(number: int, item: dict) -> tuple[str, str]:
    parts = [item["description"], item.get("brand_model"), item.get("serial_number")]
    text = ", ".join(part for part in parts if part)
    if item.get("value") is not None:
        text += f" (${item['value']})"
    return (_("Item %(number)d") % {"number": number}, text)


def question_rows(draft: Draft, answers: dict) -> Rows:
    """Every catalog question the resident was asked, answered or "Not given"."""
    answered = dict(answer_rows(draft.report_type, answers))
    return [
        (question.label, answered.get(question.label, not_given()))
        for question in questions_for(draft.report_type, draft.subtype)
    ]


def eligibility_rows_for(report_type: ReportType, answers: dict) -> Rows:
    form = EligibilityForm(report_type=report_type)
    rows = []
    for name, answer in answers.items():
        field = form.fields.get(name)
        if field is not None:
            rows.append((str(field.label), str(dict(field.choices).get(answer, answer))))
    return rows
