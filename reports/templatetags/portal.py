from __future__ import annotations

from django import template
from django.utils.translation import gettext_lazy as _

register = template.Library()

FILING_STEPS = [(1, _("Type")), (2, _("Safety check")), (3, _("Details")), (4, _("Review and send"))]


@register.inclusion_tag("reports/resident/_steps.html")
def filing_steps(step: int) -> dict:
    return {"steps": FILING_STEPS, "step": step}


@register.inclusion_tag("reports/_error_summary.html")
def error_summary(*forms, extra_errors=()) -> dict:
    has_errors = bool(extra_errors) or any(
        form is not None and form.is_bound and form.errors for form in forms
    )
    return {"forms": forms, "has_errors": has_errors, "extra_errors": extra_errors}


@register.simple_tag
def staff_queues(user):
    from reports.access import workable_queues

    return workable_queues(user) if user.is_authenticated else []


@register.filter
def person(user) -> str:
    """A staff member as colleagues know them: full name, else username; empty for nobody."""
    if user is None:
        return ""
    return user.get_full_name() or user.get_username()
