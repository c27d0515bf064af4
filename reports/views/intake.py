"""Assisted intake (R1): a 311 agent files a report for a caller through the residents' own steps."""

from django.urls import path

from reports import access
from reports.views import filing
from reports.views.filing import INTAKE


def agents_only(view):
    return access.staff_required(access.can_file_for_caller)(view)


urlpatterns = [
    path("", agents_only(filing.start), {"flow": INTAKE}, name="intake-start"),
    path(
        "new/<slug:subtype_code>/",
        agents_only(filing.eligibility),
        {"flow": INTAKE},
        name="intake-eligibility",
    ),
    path("stop/<slug:reason>/", agents_only(filing.stop), {"flow": INTAKE}, name="intake-stop"),
    path("details/", agents_only(filing.details), {"flow": INTAKE}, name="intake-details"),
    path("review/", agents_only(filing.review), {"flow": INTAKE}, name="intake-review"),
    path("submitted/", agents_only(filing.submitted), {"flow": INTAKE}, name="intake-submitted"),
]
