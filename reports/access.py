"""Who may do what on the staff side. Every staff view goes through these, object by object.

Roles are the seeded groups; what a role may do is the permissions the group holds (Report.Meta), so
the admin can change a role without a code change.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, resolve_url
from django.urls import reverse
from django.utils.http import urlencode

from . import second_factor
from .models import Queue, Report

WORK_REPORT_QUEUE = "reports.work_report_queue"
WORK_TRAFFIC_QUEUE = "reports.work_traffic_queue"
FILE_FOR_CALLER = "reports.file_for_caller"
SUPERVISE = "reports.supervise_queues"
STAFF_PERMISSIONS = (WORK_REPORT_QUEUE, WORK_TRAFFIC_QUEUE, FILE_FOR_CALLER, SUPERVISE)
QUEUE_PERMISSION = {
    Queue.Kind.REPORT_TAKERS: WORK_REPORT_QUEUE,
    Queue.Kind.TRAFFIC_CONTROL: WORK_TRAFFIC_QUEUE,
}


def is_staff_member(user: AbstractBaseUser) -> bool:
    return user.is_authenticated and user.is_active and any(user.has_perm(p) for p in STAFF_PERMISSIONS)


def can_supervise(user: AbstractBaseUser) -> bool:
    return user.has_perm(SUPERVISE)


def supervisors() -> QuerySet:
    """Active accounts that hold the supervisors' permission, through a group or on their own."""
    app_label, codename = SUPERVISE.split(".")
    held = Q(groups__permissions__codename=codename, groups__permissions__content_type__app_label=app_label)
    held |= Q(user_permissions__codename=codename, user_permissions__content_type__app_label=app_label)
    return get_user_model().objects.filter(held, is_active=True).distinct()


def can_file_for_caller(user: AbstractBaseUser) -> bool:
    return user.has_perm(FILE_FOR_CALLER) or user.has_perm(SUPERVISE)


def can_work_queue(user: AbstractBaseUser, queue: Queue) -> bool:
    return user.has_perm(SUPERVISE) or user.has_perm(QUEUE_PERMISSION[queue.kind])


def workable_queues(user: AbstractBaseUser) -> QuerySet[Queue]:
    if user.has_perm(SUPERVISE):
        return Queue.objects.order_by("name")
    kinds = [kind for kind, perm in QUEUE_PERMISSION.items() if user.has_perm(perm)]
    return Queue.objects.filter(kind__in=kinds).order_by("name")


def staff_required(check: Callable[[AbstractBaseUser], bool] = is_staff_member):
    """Anonymous visitors go to the sign-in page; a session that has not passed the second factor goes to
    the code page, before anything about the role is revealed; signed-in people without the role get 403."""

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapper(request, *args, **kwargs):
            if not second_factor.passed(request):
                return second_factor_challenge(request)
            if not is_staff_member(request.user) or not check(request.user):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        # Lets tests find every staff view in the URLconf; functools.wraps carries it through decorators.
        wrapper.staff_page = True
        return wrapper

    return decorator


def second_factor_challenge(request: HttpRequest) -> HttpResponse:
    # A POST cannot be replayed after the code page, so it comes back to the staff home page instead.
    goal = request.get_full_path() if request.method == "GET" else resolve_url(settings.LOGIN_REDIRECT_URL)
    return redirect(f"{reverse('staff-2fa-verify')}?{urlencode({'next': goal})}")


def queue_for(user: AbstractBaseUser, code: str) -> Queue:
    queue = get_object_or_404(Queue, code=code)
    if not can_work_queue(user, queue):
        raise PermissionDenied
    return queue


def report_for(
    user: AbstractBaseUser, tracking_number: str, queryset: QuerySet[Report] | None = None
) -> Report:
    """The report, if the user works its queue (or filed it for a caller); otherwise 403."""
    queryset = queryset if queryset is not None else Report.objects.select_related("queue")
    report = get_object_or_404(queryset, tracking_number=tracking_number.upper())
    if not can_work_queue(user, report.queue) and report.filed_by_id != user.pk:
        raise PermissionDenied
    return report
