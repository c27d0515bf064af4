"""Who may do what on the staff side. Every staff view goes through these, object by object.

Roles are the seeded groups; what a role may do is the permissions the group holds (Report.Meta), so
the admin can change a role without a code change.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.contrib.auth import backends, get_user_model
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import AbstractBaseUser, Group, Permission
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, resolve_url
from django.urls import reverse
from django.utils.http import urlencode

from . import catalog, second_factor
from .models import Queue, Report
from .versions import PerVersion, Version

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


def menu_queues(user: AbstractBaseUser) -> list[Queue]:
    """The queues the user works, by name, from the process's copy of the catalog (no query): every staff
    page lists them. Shared between requests: read them, never change them."""
    return sorted((q for q in catalog.queues().values() if can_work_queue(user, q)), key=lambda q: q.name)


def workable_queues(user: AbstractBaseUser) -> QuerySet[Queue]:
    return Queue.objects.filter(pk__in=[queue.pk for queue in menu_queues(user)]).order_by("name")


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
    """The queue, if the user works it; otherwise 404 or 403. From the process's copy of the catalog:
    read it, never change it."""
    queue = catalog.queues().get(code)
    if queue is None:
        raise Http404
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


# --- Permissions, read once per process ------------------------------------------------------------

PERMISSIONS = Version("access:permissions")


# One process's copy for one version of the permissions: each account's, by (id, superuser).
_kept: PerVersion[dict[tuple[int, bool], frozenset[str]]] = PerVersion(PERMISSIONS, dict)


class PermissionsBackend(backends.ModelBackend):
    """Django's ModelBackend, with each account's permissions kept per process instead of read (two
    queries) on every request, under a version that any change to who holds what moves (connect()). Every
    staff page asks has_perm; those two queries were a tenth of the queue page's CPU. Whether the account is
    active is still read from the account, on every request."""

    def get_all_permissions(self, user_obj, obj=None):
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if not hasattr(user_obj, "_perm_cache"):
            kept, key = _kept.current(), (user_obj.pk, user_obj.is_superuser)
            held = kept.get(key)
            if held is None:
                held = kept[key] = frozenset(super().get_all_permissions(user_obj))
            user_obj._perm_cache = held
        return user_obj._perm_cache


def permissions_changed(**kwargs) -> None:
    PERMISSIONS.changed()


def account_added_or_removed(created: bool = True, **kwargs) -> None:
    # Not on every save (each sign-in saves last_login): a new account may have an old one's id on a
    # database that reuses them.
    if created:
        PERMISSIONS.changed()


def connect() -> None:
    user_model = get_user_model()
    throughs = (user_model.groups.through, user_model.user_permissions.through, Group.permissions.through)
    # Django sends no post_save or post_delete for the rows of a ManyToManyField's own table, only
    # m2m_changed; a change made to those rows directly must call PERMISSIONS.changed() itself.
    receivers = [(m2m_changed, through, permissions_changed) for through in throughs]
    for model in (Group, Permission):
        receivers += [(post_save, model, permissions_changed), (post_delete, model, permissions_changed)]
    receivers += [
        (post_save, user_model, account_added_or_removed),
        (post_delete, user_model, account_added_or_removed),
    ]
    for signal, sender, receiver in receivers:  # a dispatch_uid is unique per signal and sender
        signal.connect(receiver, sender=sender, dispatch_uid=f"permissions-{receiver.__name__}")
