"""A report's answers as people read them: the same rows on the review page, the staff page and the PDF.

Answers arrive in two shapes, the form's cleaned values before filing and their JSON form after, and
both read the same here: choice names instead of keys, times in the city's zone and named.
"""

from __future__ import annotations

from datetime import datetime

from django.utils import formats, timezone
from django.utils.dateparse import parse_datetime

from .forms import EligibilityForm
from .models import Question, Report, ReportType

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


def eligibility_rows(report: Report) -> Rows:
    """(question, answer) of the eligibility screen the resident passed, in the words they read."""
    form = EligibilityForm(report_type=report.report_type)
    rows = []
    for name, answer in report.eligibility.items():
        field = form.fields.get(name)
        if field is not None:
            rows.append((str(field.label), str(dict(field.choices).get(answer, answer))))
    return rows
