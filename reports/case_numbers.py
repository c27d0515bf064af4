"""The case number an approved report gets: the next of its year's series ("MP26-000123"), or for a
supplemental report the original's number and the supplement's own ("MP26-000123-S1")."""

from __future__ import annotations

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from .models import CaseNumberCounter, Report


def for_approval(report: Report) -> str:
    """Runs in the approval's transaction, with the report locked."""
    if report.supplement_of_id:
        return supplement_number(report)
    return next_case_number()


def next_case_number() -> str:
    year = timezone.localdate().year
    try:
        with transaction.atomic():
            counter, _ = CaseNumberCounter.objects.select_for_update().get_or_create(year=year)
    except IntegrityError:  # another approval created this year's counter first
        counter = CaseNumberCounter.objects.select_for_update().get(year=year)
    counter.last += 1
    counter.save(update_fields=["last"])
    return f"{settings.CASE_NUMBER_PREFIX}{year % 100:02d}-{counter.last:06d}"


def supplement_number(report: Report) -> str:
    """S1, S2, ... in the order supplements are approved; one refused or withdrawn takes no number. The
    original's row is locked, so two approvals at once cannot take the same one."""
    original = Report.objects.select_for_update().only("case_number").get(pk=report.supplement_of_id)
    numbered = Report.objects.filter(supplement_of_id=original.pk, case_number__isnull=False).count()
    return f"{original.case_number}-S{numbered + 1}"
