"""Assisted intake (R1): a 311 agent files a report for a caller through the residents' own steps."""

from reports import access
from reports.views import filing_review, filing_steps
from reports.views.filing_flow import INTAKE


def agents_only(view):
    return access.staff_required(access.can_file_for_caller)(view)


urlpatterns = [
    *filing_steps.step_urls(INTAKE, guard=agents_only),
    *filing_review.step_urls(INTAKE, guard=agents_only),
]
