"""Edges of who may do what on the staff side (reports/access.py), found by mutation testing: who counts
as a supervisor for the digests and alerts (the same people `has_perm` lets supervise), what the
supervisors' permission alone allows, where a password-only session that posts is sent, and how many
queries finding a report takes.
"""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, Permission, User
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from reports import access
from reports.models import Queue, Report

from .conftest import backup_codes_device, make_staff, sign_in
from .factories import file_parking, make_report
from .test_two_factor import CODE_PAGE, password_only

pytestmark = pytest.mark.django_db


def account(username: str) -> User:
    return User.objects.create_user(username, f"{username}@example.org", "a-long-test-password")


def permission(name: str) -> Permission:
    app_label, codename = name.split(".")
    return Permission.objects.get(content_type__app_label=app_label, codename=codename)


def test_it_counts_a_supervisor_who_holds_the_permission_on_their_own_account(catalog, supervisor):
    own = account("own")
    own.user_permissions.add(permission(access.SUPERVISE))

    assert set(access.supervisors()) == {supervisor, own}
    assert access.can_supervise(User.objects.get(pk=own.pk))


def test_it_does_not_count_another_permission_held_on_an_account(catalog, supervisor):
    taker = account("taker-on-their-own")
    taker.user_permissions.add(permission(access.WORK_REPORT_QUEUE))

    assert list(access.supervisors()) == [supervisor]


def test_it_does_not_count_a_supervisor_whose_account_is_closed(catalog, supervisor):
    left = account("left")
    left.groups.add(Group.objects.get(name="Supervisors"))
    User.objects.filter(pk=left.pk).update(is_active=False)

    assert list(access.supervisors()) == [supervisor]


@pytest.mark.parametrize("held", ["through a group", "on the account"])
def test_it_does_not_count_a_permission_of_the_same_name_from_another_app(catalog, supervisor, held):
    # has_perm reads "reports.supervise_queues": another app (a third-party one, say) that names a
    # permission the same way grants nothing here, and the list of supervisors agrees.
    _app, codename = access.SUPERVISE.split(".")
    lookalike = Permission.objects.create(
        codename=codename,
        name="Supervise something else",
        content_type=ContentType.objects.get_for_model(User),
    )
    other = account("other-app")
    if held == "through a group":
        group = Group.objects.create(name="Another app's supervisors")
        group.permissions.add(lookalike)
        other.groups.add(group)
    else:
        other.user_permissions.add(lookalike)

    assert not access.can_supervise(User.objects.get(pk=other.pk))
    assert list(access.supervisors()) == [supervisor]


def test_it_sends_a_post_from_a_password_only_session_to_the_code_page_and_then_home(catalog, supervisor):
    # A POST cannot be replayed after the code, so the code page leads to the staff home page instead.
    backup_codes_device(supervisor, "walkcode")
    queue = Queue.objects.order_by("code").first()

    response = password_only(supervisor).post(reverse("staff-take-next", args=[queue.code]))

    assert response.status_code == 302
    assert response["Location"] == f"{CODE_PAGE}?next={reverse('staff-home').replace('/', '%2F')}"
    assert not Report.objects.exclude(assignee=None).exists()


def test_the_supervisors_permission_alone_works_every_queue_and_files_for_callers(catalog):
    # Held on the account, without the queue and filing permissions the seeded group adds to it.
    own = account("own")
    own.user_permissions.add(permission(access.SUPERVISE))
    browser = Client()
    sign_in(browser, own)

    listed = access.workable_queues(User.objects.get(pk=own.pk))

    assert list(listed) == list(Queue.objects.order_by("name"))
    assert {queue.kind for queue in listed} == set(Queue.Kind)
    for queue in listed:
        assert browser.get(reverse("staff-queue", args=[queue.code])).status_code == 200
    assert browser.get(reverse("intake-start")).status_code == 200


@pytest.mark.parametrize(
    ("persona", "kinds"),
    [("report_taker", {"report_takers"}), ("traffic_agent", {"traffic_control"}), ("agent_311", set())],
)
def test_the_home_page_links_the_queues_of_each_role_and_no_other(request, catalog, persona, kinds):
    browser = Client()
    sign_in(browser, request.getfixturevalue(persona))

    page = browser.get(reverse("staff-home")).content.decode()

    linked = {
        queue.kind for queue in Queue.objects.all() if reverse("staff-queue", args=[queue.code]) in page
    }
    assert linked == kinds
    assert linked or "File a report for a caller" in page


def test_it_finds_a_report_and_its_queue_in_one_query(catalog, supervisor):
    report = make_report()
    user = User.objects.get(pk=supervisor.pk)
    access.can_supervise(user)  # the permissions: read once a request, whatever the page

    with CaptureQueriesContext(connection) as queries:
        found = access.report_for(user, report.tracking_number.lower())
        assert found.queue.code == report.queue.code

    assert len(queries) == 1


def test_the_staff_report_page_takes_as_many_queries_however_many_people_looked(catalog, supervisor):
    report = file_parking().report
    url = reverse("staff-report-detail", args=[report.tracking_number])
    # The accounts and their second factors first: a new account makes every process read permissions
    # again, once, and a new device the devices.
    others = [make_staff(f"looked-{number}", "Supervisors") for number in range(3)]
    for account in others:
        backup_codes_device(account)
    browser = Client()
    sign_in(browser, supervisor)
    assert browser.get(url).status_code == 200
    with CaptureQueriesContext(connection) as first:
        browser.get(url)

    for account in others:  # each view is a line of the access log, with who looked
        other = Client()
        sign_in(other, account)
        assert other.get(url).status_code == 200
    with CaptureQueriesContext(connection) as later:
        page = browser.get(url).content.decode()

    assert "looked-2" in page
    assert len(later) == len(first)
