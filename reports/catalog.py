"""The catalog's queues, kinds and questions, read once per process and read again only after the
catalog changes.

Every details page and every review builds its form from the questions of the report's type; reading
them (three queries, and the rows made into objects) on every request was a fifth of what filing a report
cost; every staff page looks up its queue and lists the queues in its menu. Each process keeps them in
memory under the catalog's version (`versions.py`: a value in the shared cache, read once a request).
Saving or deleting a queue, report type, subtype, question or choice, in the admin, through the seed
command or anywhere else through the ORM, gives the catalog a new version, and every process reads it
afresh at its next request. `QuerySet.update()` sends no signal: call `changed()` after one.
"""

from __future__ import annotations

from django.db.models.signals import m2m_changed, post_delete, post_save

from .models import Draft, Question, QuestionChoice, Queue, ReportSubtype, ReportType
from .versions import PerVersion, Version

VERSION = Version("catalog:version")
CATALOG_MODELS = (Queue, ReportType, ReportSubtype, Question, QuestionChoice)


class Loaded:
    """One process's copy for one version: the active questions of each report type read so far, and
    every type and subtype by id (for pages that show their names)."""

    def __init__(self) -> None:
        self.questions: dict[int, list[Question]] = {}
        self.kinds: tuple[dict[int, ReportType], dict[int, ReportSubtype]] | None = None
        self.queues: dict[str, Queue] | None = None


_loaded = PerVersion(VERSION, Loaded)


def version() -> str:
    return VERSION.get()


def changed(**kwargs) -> None:
    """The catalog changed: every process reads it again."""
    VERSION.changed()


def bump() -> None:
    VERSION.bump()


def current() -> Loaded:
    return _loaded.current()


def questions(report_type: ReportType, subtype: ReportSubtype) -> list[Question]:
    """The active questions asked for this subtype, in order: those for all of the type's subtypes and
    those for this one. Shared between requests: read them, never change them."""
    loaded = current()
    of_type = loaded.questions.get(report_type.pk)
    if of_type is None:
        of_type = list(report_type.questions.filter(active=True).prefetch_related("choices", "subtypes"))
        loaded.questions[report_type.pk] = of_type
    return [q for q in of_type if not q.subtypes.all() or subtype in q.subtypes.all()]


def kinds() -> tuple[dict[int, ReportType], dict[int, ReportSubtype]]:
    """Every report type and subtype (active or not: old reports have retired ones) by id. Their names
    are read in the active language when used. Shared between requests: read them, never change them."""
    loaded = current()
    if loaded.kinds is None:
        loaded.kinds = (ReportType.objects.select_related("queue").in_bulk(), ReportSubtype.objects.in_bulk())
    return loaded.kinds


def with_kinds(draft: Draft) -> Draft:
    """The draft with its report type (and the type's queue) and subtype from the catalog's copy, not
    joined to every read of it. One missing from the copy is left to be read as Django reads it."""
    types, subtypes = kinds()
    if draft.report_type_id in types:
        draft.report_type = types[draft.report_type_id]
    if draft.subtype_id in subtypes:
        draft.subtype = subtypes[draft.subtype_id]
    return draft


def queues() -> dict[str, Queue]:
    """Every queue by code. Their names are read in the active language when used. Shared between
    requests: read them, never change them."""
    loaded = current()
    if loaded.queues is None:
        loaded.queues = Queue.objects.in_bulk(field_name="code")
    return loaded.queues


def connect() -> None:
    for model in CATALOG_MODELS:
        post_save.connect(changed, sender=model, dispatch_uid=f"catalog-saved-{model.__name__}")
        post_delete.connect(changed, sender=model, dispatch_uid=f"catalog-deleted-{model.__name__}")
    m2m_changed.connect(changed, sender=Question.subtypes.through, dispatch_uid="catalog-question-subtypes")
