"""Each account's permissions are kept per process (reports/access.py, PermissionsBackend) and read again
whenever anyone's change moves their version: a group's permissions, who is in a group, an account's own
permissions, a new account. A staff member who loses a role loses it at their next request."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, Permission, User
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from reports import access

from .conftest import sign_in

pytestmark = pytest.mark.django_db

QUEUE = reverse("staff-queue", args=["theft-damage"])
DEAD_LETTERS = reverse("staff-deliveries")


def permission(name: str) -> Permission:
    app_label, codename = name.split(".")
    return Permission.objects.get(content_type__app_label=app_label, codename=codename)


def signed_in(user: User) -> Client:
    browser = Client()
    sign_in(browser, user)
    return browser


def status(browser: Client, url: str = QUEUE) -> int:
    return browser.get(url).status_code


def test_the_queue_page_reads_no_permissions_and_no_queues_once_they_are_kept(report_taker):
    browser = signed_in(report_taker)
    assert status(browser) == 200

    with CaptureQueriesContext(connection) as ran:
        assert status(browser) == 200

    tables = " ".join(query["sql"] for query in ran)
    assert "auth_permission" not in tables and '"reports_queue"' not in tables
    # The session, the account, the rows (its second factor is kept too: tests/test_kept_devices.py).
    assert len(ran) == 3, [query["sql"][:80] for query in ran]


def test_a_supervisor_taken_out_of_the_group_is_refused_at_the_next_request(supervisor):
    browser = signed_in(supervisor)
    assert status(browser) == 200 and status(browser, DEAD_LETTERS) == 200

    supervisor.groups.remove(Group.objects.get(name="Supervisors"))

    assert status(browser) == 403


def test_a_permission_the_group_loses_in_the_admin_is_gone_at_the_members_next_request(
    report_taker, admin_client
):
    browser = signed_in(report_taker)
    assert status(browser) == 200
    group = Group.objects.get(name="Report takers")
    kept = group.permissions.exclude(pk=permission(access.WORK_REPORT_QUEUE).pk)

    response = admin_client.post(
        reverse("admin:auth_group_change", args=[group.pk]),
        {"name": group.name, "permissions": [p.pk for p in kept]},
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    assert status(browser) == 403


def test_the_members_of_a_deleted_group_are_refused_at_their_next_request(report_taker):
    browser = signed_in(report_taker)
    assert status(browser) == 200

    Group.objects.get(name="Report takers").delete()

    assert status(browser) == 403


def test_a_permission_given_on_the_account_itself_counts_at_the_next_request(catalog):
    clerk = User.objects.create_user("clerk", "clerk@example.org", "a-long-test-password")
    browser = signed_in(clerk)
    assert status(browser) == 403

    clerk.user_permissions.add(permission(access.WORK_REPORT_QUEUE))

    assert status(browser) == 200


def test_another_processs_change_counts_once_its_version_moves(supervisor):
    browser = signed_in(supervisor)
    assert status(browser) == 200
    # Another process takes the supervisor out of the group: here only the rows go, which sends no
    # signal (Django sends none for a ManyToManyField's own rows) ...
    User.groups.through.objects.filter(user=supervisor).delete()
    assert status(browser) == 200  # ... so this process still has its copy

    cache.set(access.PERMISSIONS.key, "moved by the other process")  # as its signal did there

    assert status(browser) == 403


def test_an_account_made_superuser_has_every_permission_at_its_next_request(catalog):
    clerk = User.objects.create_user("clerk", "clerk@example.org", "a-long-test-password")
    browser = signed_in(clerk)
    assert status(browser, DEAD_LETTERS) == 403

    User.objects.filter(pk=clerk.pk).update(is_superuser=True)  # no signal: the copy is per (id, superuser)

    assert status(browser, DEAD_LETTERS) == 200


def test_a_new_account_with_an_old_accounts_id_starts_with_no_permissions(supervisor):
    assert status(signed_in(supervisor)) == 200
    old_id = supervisor.pk
    supervisor.delete()

    newcomer = User.objects.create_user("newcomer", "new@example.org", "a-long-test-password", id=old_id)

    assert status(signed_in(newcomer)) == 403


def test_a_closed_account_is_refused_whatever_its_kept_permissions(supervisor):
    browser = signed_in(supervisor)
    assert status(browser) == 200

    User.objects.filter(pk=supervisor.pk).update(is_active=False)  # no signal

    assert status(browser) != 200


def test_a_write_that_changes_no_one_s_permissions_keeps_them(report_taker):
    """Only a change to who holds what moves the version: a report saved between two requests (what every
    staff action does) leaves the kept permissions kept, or each page would read them again."""
    from .factories import make_report

    browser = signed_in(report_taker)
    assert status(browser) == 200
    make_report(contact_email="resident@example.org").save()

    with CaptureQueriesContext(connection) as ran:
        assert status(browser) == 200

    assert "auth_permission" not in " ".join(query["sql"] for query in ran)


def test_it_grants_nothing_on_an_object_to_an_anonymous_visitor_or_a_closed_account(report_taker):
    """As Django's ModelBackend: no object-level permissions (the account's are not a report's), and none
    for someone not signed in or a closed account."""
    from django.contrib.auth.models import AnonymousUser

    from .factories import make_report

    backend = access.PermissionsBackend()
    assert backend.has_perm(report_taker, "reports.work_report_queue")
    assert not backend.has_perm(report_taker, "reports.work_report_queue", obj=make_report())
    assert backend.get_all_permissions(AnonymousUser()) == set()
    report_taker.is_active = False  # a closed account, though its permissions were just read
    assert backend.get_all_permissions(report_taker) == set()
