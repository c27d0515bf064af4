"""One way to run a staff or Traffic Control action on a report: validate its form, call the workflow,
say how it went. The report page and the Traffic board both use it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.models import AbstractBaseUser
from django.http import HttpRequest
from django.utils.translation import gettext as _

from reports import evidence, workflow
from reports.evidence_checks import EvidenceRejected
from reports.models import Report


@dataclass(frozen=True)
class Action:
    form: type[forms.Form]
    run: Callable[[Report, dict, AbstractBaseUser], Any]
    done: str  # said on success; "%(number)s" becomes the tracking number
    to_status: str = ""  # where the action leads, so a page offers it only when the table allows it
    supervisors_only: bool = False


def perform(
    request: HttpRequest, report: Report, action: Action, *, form: forms.Form, about: str = ""
) -> bool:
    """Run the action if its form is valid; every outcome becomes a message. `about` prefixes them,
    for pages that show many reports at once."""
    prefix = f"{about} · " if about else ""
    if not form.is_valid():
        for field, errors in form.errors.items():
            label = form.fields[field].label if field in form.fields else ""
            text = f"{label}: {' '.join(errors)}" if label else " ".join(errors)
            messages.error(request, prefix + text)
        return False
    try:
        action.run(report, form.cleaned_data, request.user)
    except (workflow.IllegalMove, workflow.NotAllowed, EvidenceRejected) as exc:
        messages.error(request, f"{prefix}{exc}")
        return False
    except evidence.StorageUnavailable:
        messages.error(
            request, prefix + _("The photo cannot be saved right now: try again later, or without it.")
        )
        return False
    messages.success(request, action.done % {"number": report.tracking_number})
    return True
