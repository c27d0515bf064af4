"""The Traffic Control board: open parking tickets as cards on a phone, each moved on with one tap."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.db.models import Prefetch, prefetch_related_objects
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.timesince import timesince
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from reports import access, handoff, workflow
from reports.models import Evidence, Outcome, Queue, Report, ReportType, Status


def can_work_tickets(user) -> bool:
    return user.has_perm(access.WORK_TRAFFIC_QUEUE) or access.can_supervise(user)


traffic_only = access.staff_required(can_work_tickets)

# A phone has no use for more cards than this; the rest are further away or older.
BOARD_SIZE = 100
# "44.97756,-93.26512": plain decimal degrees only, so "nan", "inf" and "1e9" never reach float().
NEAR_PATTERN = re.compile(r"(-?\d{1,3}(?:\.\d{1,10})?),(-?\d{1,3}(?:\.\d{1,10})?)")


class DispatchForm(forms.Form):
    unit = forms.CharField(
        label=gettext_lazy("Unit or officer"),
        max_length=60,
        help_text=gettext_lazy("Who is going, e.g. “PE-14” or “Officer Diaz”."),
    )


class ResolveForm(forms.Form):
    outcome = forms.ChoiceField(label=gettext_lazy("Outcome"), choices=Outcome.choices)
    note = forms.CharField(
        label=gettext_lazy("Note to the resident (optional)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=gettext_lazy("The resident reads this on their status page and in the email."),
    )


@dataclass(frozen=True)
class TicketAction:
    form: type[forms.Form]
    to_status: str
    run: Any  # (report, cleaned_data, user) -> None
    done: str


ACTIONS = {
    "dispatch": TicketAction(
        DispatchForm,
        Status.DISPATCHED,
        lambda r, d, u: workflow.dispatch(r, by=u, unit=d["unit"]),
        gettext_lazy("Ticket %(number)s: enforcement dispatched."),
    ),
    "on-scene": TicketAction(
        forms.Form,
        Status.ON_SCENE,
        lambda r, d, u: workflow.arrive(r, by=u),
        gettext_lazy("Ticket %(number)s: enforcement on scene."),
    ),
    "resolve": TicketAction(
        ResolveForm,
        Status.RESOLVED,
        lambda r, d, u: workflow.resolve(r, by=u, outcome=d["outcome"], note=d["note"]),
        gettext_lazy("Ticket %(number)s resolved. The resident has been told the outcome."),
    ),
}


def parse_near(value: str) -> tuple[float, float] | None:
    """(lat, lng) from "lat,lng", or None when it is not a point on Earth."""
    match = NEAR_PATTERN.fullmatch(value.replace(" ", "")) if len(value) <= 60 else None
    if not match:
        return None
    lat, lng = float(match[1]), float(match[2])
    if not (-90 <= lat <= 90 and -180 <= lng <= 180):
        return None
    return lat, lng


def open_tickets() -> list[Report]:
    """Open parking tickets in a Traffic Control queue, newest first."""
    return list(
        Report.objects.filter(
            report_type__form=ReportType.Form.PARKING,
            queue__kind=Queue.Kind.TRAFFIC_CONTROL,
            status__in=handoff.ACTIVE_TICKET,
        )
        .select_related("subtype")
        .order_by("-created_at", "-id")
    )


def nearest_first(tickets: list[Report], lat: float, lng: float) -> list[Report]:
    """Sorted by distance from (lat, lng), each with `.distance` in metres; those with no pin last."""
    for ticket in tickets:
        ticket.distance = (
            None
            if ticket.latitude is None or ticket.longitude is None
            else handoff.metres_between(lat, lng, ticket.latitude, ticket.longitude)
        )
    # sorted() is stable: tickets with no pin stay newest first among themselves.
    return sorted(tickets, key=lambda t: (t.distance is None, t.distance or 0))


def distance_text(metres: float) -> str:
    if metres < 995:  # rounded to 10 m, anything above would read "1000 m"
        return _("%(metres)d m") % {"metres": round(metres / 10) * 10}
    return _("%(km).1f km") % {"km": metres / 1000}


def age_text(since: datetime, now: datetime) -> str:
    if now - since < timedelta(minutes=1):
        return _("just now")
    return _("%(age)s ago") % {"age": timesince(since, now, depth=1)}


def with_card_details(tickets: list[Report]) -> list[Report]:
    """What each card shows beyond the row: its first photo, its age, its next moves."""
    photos = Evidence.objects.exclude(thumbnail="").order_by("created_at", "id")
    prefetch_related_objects(tickets, Prefetch("evidence", queryset=photos, to_attr="photos"))
    now = timezone.now()
    for ticket in tickets:
        ticket.photo = ticket.photos[0] if ticket.photos else None
        ticket.age = age_text(ticket.created_at, now)
        distance = getattr(ticket, "distance", None)
        ticket.distance_text = distance_text(distance) if distance is not None else ""
        allowed = workflow.ALLOWED_MOVES[ticket.status]
        ticket.next_actions = {name for name, spec in ACTIONS.items() if spec.to_status in allowed}
    return tickets


def near_from(source) -> str:
    """The `near` value worth keeping in links: the text as given, only if it parses."""
    raw = source.get("near", "")
    return raw if raw and parse_near(raw) else ""


def board_url(near: str = "", anchor: str = "") -> str:
    url = reverse("traffic-board")
    if near:
        url += "?" + urlencode({"near": near})
    return url + (f"#{anchor}" if anchor else "")


@require_GET
@traffic_only
def board(request):
    tickets = open_tickets()
    raw_near = request.GET.get("near", "")
    point = parse_near(raw_near) if raw_near else None
    if raw_near and point is None:
        messages.warning(
            request, _("That location could not be read, so the tickets are shown newest first.")
        )
    if point is not None:
        tickets = nearest_first(tickets, *point)
    total = len(tickets)
    return render(
        request,
        "reports/traffic/board.html",
        {
            "tickets": with_card_details(tickets[:BOARD_SIZE]),
            "total": total,
            "board_size": BOARD_SIZE,
            "near": raw_near if point else "",
            "outcomes": Outcome.choices,
        },
    )


def ticket_for(tracking_number: str) -> Report:
    """A parking report in a Traffic Control queue; anything else is not a ticket (404)."""
    report = get_object_or_404(
        Report.objects.select_related("queue", "report_type"), tracking_number=tracking_number.upper()
    )
    if not report.is_parking or report.queue.kind != Queue.Kind.TRAFFIC_CONTROL:
        raise Http404
    return report


@require_POST
@traffic_only
def ticket_action(request, tracking_number, action):
    report = ticket_for(tracking_number)
    spec = ACTIONS.get(action)
    if spec is None:
        raise Http404
    near = near_from(request.POST) or near_from(request.GET)
    form = spec.form(request.POST)
    if not form.is_valid():
        for field, errors in form.errors.items():
            label = form.fields[field].label if field in form.fields else ""
            messages.error(
                request,
                f"{report.tracking_number} · {label}: {' '.join(errors)}" if label else " ".join(errors),
            )
        return redirect(board_url(near, f"t-{report.tracking_number}"))
    try:
        spec.run(report, form.cleaned_data, request.user)
    except (workflow.IllegalMove, workflow.NotAllowed) as exc:
        messages.error(request, f"{report.tracking_number}: {exc}")
    else:
        messages.success(request, spec.done % {"number": report.tracking_number})
    anchor = f"t-{report.tracking_number}" if report.status in handoff.ACTIVE_TICKET else ""
    return redirect(board_url(near, anchor))


urlpatterns = [
    path("", board, name="traffic-board"),
    path("<str:tracking_number>/<slug:action>/", ticket_action, name="traffic-ticket-action"),
]
