"""A report in the making, kept between the steps of the filing form."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.contrib.sessions.backends.base import SessionBase
from django.utils import timezone
from django.utils.datastructures import MultiValueDict

from .models import Draft, ReportSubtype

SESSION_KEY = "report_draft"


def start(
    session: SessionBase,
    subtype: ReportSubtype,
    *,
    eligibility: dict,
    channel: str,
    language: str,
    filed_by: AbstractBaseUser | None = None,
    slot: str = "report",
) -> Draft:
    draft = Draft.objects.create(
        report_type=subtype.report_type,
        subtype=subtype,
        eligibility=eligibility,
        channel=channel,
        language=language,
        filed_by=filed_by,
    )
    session[f"{SESSION_KEY}:{slot}"] = draft.key
    return draft


def current(session: SessionBase, slot: str = "report") -> Draft | None:
    # One draft per flow: a 311 agent's own web report does not collide with the caller's.
    key = session.get(f"{SESSION_KEY}:{slot}")
    if not key:
        return None
    return (
        Draft.objects.select_related("report_type__queue", "subtype", "report")
        .filter(key=key, created_at__gte=expiry_cutoff())
        .first()
    )


# Far above any field's own limit (the longest is 5,000 characters), so nothing real is cut; a POST built
# to fill the database is.
MAX_VALUE_LENGTH = 10_000
MAX_VALUES_PER_FIELD = 50


def save_details(draft: Draft, data: MultiValueDict, fields: Iterable[str]) -> None:
    """Keep what the resident typed for the fields the step has, and only those.

    The raw values are kept, not the cleaned ones: the form re-validates them at every step, so it stays
    the only place that converts input."""
    draft.details = {
        name: [value[:MAX_VALUE_LENGTH] for value in data.getlist(name)[:MAX_VALUES_PER_FIELD]]
        for name in sorted(fields)
        if name in data
    }
    draft.save(update_fields=["details", "updated_at"])


def details_data(draft: Draft) -> MultiValueDict:
    return MultiValueDict(draft.details)


def expiry_cutoff():
    return timezone.now() - timedelta(hours=settings.DRAFT_TTL_HOURS)


def purge_abandoned() -> int:
    deleted, _ = Draft.objects.filter(created_at__lt=expiry_cutoff()).delete()
    return deleted
