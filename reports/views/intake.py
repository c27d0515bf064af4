"""Assisted intake (R1): a 311 agent files a report for a caller through the residents' own steps."""

from reports import access
from reports.views.filing_steps import INTAKE, step_urls


def agents_only(view):
    return access.staff_required(access.can_file_for_caller)(view)


urlpatterns = step_urls(INTAKE, guard=agents_only)
