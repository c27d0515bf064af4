"""What the filing steps share, for residents on the web and 311 agents filing for a caller (R1).

Both walk the same screens, forms and filing service; a Flow says which URLs, which layout, and whether
the person at the keyboard is staff (no rate limit per address, channel asked, contact optional).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_ratelimit.decorators import ratelimit

from reports import drafts, phone_codes
from reports.models import Draft, ReportSubtype, ReportType
from reports.ratelimits import client_address

STEP_NAMES = (
    "start",
    "eligibility",
    "stop",
    "where",
    "nearby",
    "details",
    "phone",
    "review",
    "submitted",
    "save",
    "upload",
)


@dataclass(frozen=True)
class Flow:
    prefix: str
    base_template: str
    staff: bool

    @property
    def urls(self) -> dict[str, str]:
        return {step: f"{self.prefix}-{step}" for step in STEP_NAMES}


RESIDENT = Flow("report", "base.html", staff=False)
INTAKE = Flow("intake", "reports/staff/base.html", staff=True)


def residents_limited(rate: str, group: str):
    """Rate limit per client address for residents; a 311 call centre files from one address."""

    def decorator(view):
        limited = ratelimit(key="ip", rate=rate, method="POST", group=group)(view)

        @wraps(view)
        def wrapper(request, *args, flow=RESIDENT, **kwargs):
            return (view if flow.staff else limited)(request, *args, flow=flow, **kwargs)

        return wrapper

    return decorator


step_limit = residents_limited(settings.FILING_STEP_RATE, "filing-steps")


def page(request: HttpRequest, flow: Flow, template: str, context: dict) -> HttpResponse:
    return render(request, f"reports/resident/{template}", {"flow": flow, **context})


def draft_in_progress(request: HttpRequest, flow: Flow) -> tuple[Draft | None, HttpResponse | None]:
    """(the draft being filled in, None), or (None, where to go instead): start again, or done."""
    draft = drafts.current(request.session, slot=flow.prefix)
    if draft is None:
        messages.info(request, _("Your report was not found or has expired. Please start again."))
        return None, redirect(flow.urls["start"])
    if draft.report_id:
        return None, redirect(flow.urls["submitted"])
    keep_session_for_drafts(request, flow)
    return draft, None


def send_code(request: HttpRequest, flow: Flow, draft: Draft, number: str) -> bool:
    """Text a code that confirms the resident's number (reports/phone_codes.py); say so when a limit
    stops it. A 311 call centre files from one address: only the per-number limits hold for it."""
    address = "" if flow.staff else client_address(request)
    outcome = phone_codes.send_code(draft, number, address)
    if not outcome.ok:
        messages.error(request, outcome.message)
    return outcome.ok


def keep_session_for_drafts(request: HttpRequest, flow: Flow) -> None:
    # A resident's answers live as long as their draft (DRAFT_TTL_HOURS), not as long as a staff
    # member's sign-in: a browser closed today opens on the same report tomorrow. A signed-in staff
    # member filing in the resident's flow keeps their sign-in's own, shorter life.
    if not flow.staff and not request.user.is_authenticated:
        request.session.set_expiry(settings.DRAFT_TTL_HOURS * 3600)


# --- The step indicator ------------------------------------------------------------------------------

STEPS_FOR_REPORTS = [
    ("start", gettext_lazy("Type")),
    ("eligibility", gettext_lazy("Safety check")),
    ("details", gettext_lazy("Details")),
    ("review", gettext_lazy("Check and send")),
]
STEPS_FOR_PARKING = [
    ("start", gettext_lazy("Type")),
    ("eligibility", gettext_lazy("Safety check")),
    ("where", gettext_lazy("Where")),
    ("details", gettext_lazy("The vehicle")),
    ("review", gettext_lazy("Check and send")),
]


def asks_location_first(subtype: ReportSubtype) -> bool:
    # A parking problem is looked up by place before the details: someone may have reported it already.
    return subtype.report_type.form == ReportType.Form.PARKING


def steps(subtype: ReportSubtype | None, current: str) -> dict:
    """What the step indicator shows: "Step 3 of 4: Details", and the list."""
    listed = STEPS_FOR_PARKING if subtype and asks_location_first(subtype) else STEPS_FOR_REPORTS
    names = [name for name, _label in listed]
    number = names.index(current) + 1 if current in names else None
    return {"steps": listed, "current": current, "number": number, "total": len(listed)}


# --- Coming back to the check-your-answers page ------------------------------------------------------


def returning_to_review(request: HttpRequest) -> bool:
    """A "Change" link from the check-your-answers page: after this step, go back there."""
    return (request.GET.get("return") or request.POST.get("return")) == "review"


def next_step(flow: Flow, draft: Draft, step: str, request: HttpRequest) -> HttpResponse:
    if returning_to_review(request):
        return redirect(flow.urls["review"])
    return redirect(flow.urls[step])


def url_with_return(flow: Flow, step: str, **kwargs) -> str:
    return reverse(flow.urls[step], kwargs=kwargs or None) + "?return=review"
