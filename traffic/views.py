"""The Traffic Control board: open parking tickets as cards on a phone, each moved on with one tap."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.timesince import timesince
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from reports import access, workflow
from reports.actions import Action, perform
from reports.models import Disposition, Report
from reports.statuses import ACTIVE_TICKET, ALLOWED_MOVES, Status

from . import closures, queries
from .forms import DispatchForm, ResolveForm


def can_work_tickets(user) -> bool:
    return user.has_perm(access.WORK_TRAFFIC_QUEUE) or access.can_supervise(user)


traffic_only = access.staff_required(can_work_tickets)

# A phone has no use for more cards than this; the rest are further away or older.
BOARD_SIZE = 100
# "44.97756,-93.26512": plain decimal degrees only, so "nan", "inf" and "1e9" never reach float().
NEAR_PATTERN = re.compile(r"(-?\d{1,3}(?:\.\d{1,10})?),(-?\d{1,3}(?:\.\d{1,10})?)")

ACTIONS = {
    "dispatch": Action(
        DispatchForm,
        lambda r, d, u: workflow.dispatch(r, by=u, unit=d["unit"]),
        gettext_lazy("Ticket %(number)s: enforcement dispatched."),
        to_status=Status.DISPATCHED,
    ),
    "on-scene": Action(
        forms.Form,
        lambda r, d, u: workflow.arrive(r, by=u),
        gettext_lazy("Ticket %(number)s: enforcement on scene."),
        to_status=Status.ON_SCENE,
    ),
    "resolve": Action(
        ResolveForm,
        lambda r, d, u: closures.resolve(
            r, by=u, outcome=d["outcome"].code, note=d["note"], photo=d["photo"]
        ),
        gettext_lazy("Ticket %(number)s resolved. The resident has been told the outcome."),
        to_status=Status.RESOLVED,
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


def distance_text(metres: float) -> str:
    if metres < 995:  # rounded to 10 m, anything above would read "1000 m"
        return _("%(metres)d m") % {"metres": round(metres / 10) * 10}
    return _("%(km).1f km") % {"km": metres / 1000}


def age_text(since: datetime, now: datetime) -> str:
    if now - since < timedelta(minutes=1):
        return _("just now")
    return _("%(age)s ago") % {"age": timesince(since, now, depth=1)}


def as_cards(tickets: list[Report]) -> list[Report]:
    """What each card shows beyond the row: its first photo, its age, its distance, its next moves."""
    now = timezone.now()
    for ticket in queries.with_photos(tickets):
        ticket.age = age_text(ticket.created_at, now)
        distance = getattr(ticket, "distance", None)
        ticket.distance_text = distance_text(distance) if distance is not None else ""
        allowed = ALLOWED_MOVES[ticket.status]
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
    tickets = queries.open_tickets()
    raw_near = request.GET.get("near", "")
    point = parse_near(raw_near) if raw_near else None
    if raw_near and point is None:
        messages.warning(
            request, _("That location could not be read, so the tickets are shown newest first.")
        )
    if point is not None:
        tickets = queries.nearest_first(tickets, *point)
    return render(
        request,
        "traffic/board.html",
        {
            "tickets": as_cards(tickets[:BOARD_SIZE]),
            "total": len(tickets),
            "board_size": BOARD_SIZE,
            "near": raw_near if point else "",
            "outcomes": Disposition.objects.filter(active=True),
        },
    )


@require_POST
@traffic_only
def ticket_action(request, tracking_number, action):
    report = queries.ticket(tracking_number)
    spec = ACTIONS.get(action)
    if report is None or spec is None:
        raise Http404
    near = near_from(request.POST) or near_from(request.GET)
    perform(request, report, spec, form=spec.form(request.POST, request.FILES), about=report.tracking_number)
    anchor = f"t-{report.tracking_number}" if report.status in ACTIVE_TICKET else ""
    return redirect(board_url(near, anchor))


urlpatterns = [
    path("", board, name="traffic-board"),
    path("<str:tracking_number>/<slug:action>/", ticket_action, name="traffic-ticket-action"),
]
