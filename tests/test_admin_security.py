"""The admin in the hands of an administrator who is not a superuser, and what it must never show.

An administrator manages the catalog, Traffic endpoints and staff accounts. They must not make
themselves (or anyone) superuser, hand out permissions they do not hold, take over a superuser's or
another administrator's account, or do any of it without the admin's history naming them.
"""

from __future__ import annotations

import pytest
from django.contrib.admin.models import ADDITION, CHANGE, DELETION, LogEntry
from django.contrib.auth.models import Group, Permission, User
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from reports.models import ReportEvent
from traffic.models import TrafficEndpoint

from .conftest import backup_codes_device, make_staff, sign_in
from .factories import make_report

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "Another-long-password-42"
SECRET_A = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
SECRET_B = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD"


@pytest.fixture
def administrator(catalog) -> User:
    return make_staff("cityadmin", "Administrators")


@pytest.fixture
def admin_browser(administrator) -> Client:
    browser = Client()
    sign_in(browser, administrator)
    return browser


@pytest.fixture
def superuser(db) -> User:
    return User.objects.create_superuser("root", "root@example.org", "a-long-test-password")


def change_url(user: User) -> str:
    return reverse("admin:auth_user_change", args=[user.pk])


def password_url(user: User) -> str:
    return reverse("admin:auth_user_password_change", args=[user.pk])


def user_form(user: User, **changes) -> dict:
    """What the user's change form posts back unchanged, with `changes` on top."""
    joined = timezone.localtime(user.date_joined)
    data = {
        "username": user.username,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "is_active": "on",
        "is_staff": "on",
        "date_joined_0": joined.strftime("%Y-%m-%d"),
        "date_joined_1": joined.strftime("%H:%M:%S"),
        "groups": [group.pk for group in user.groups.all()],
        "user_permissions": [permission.pk for permission in user.user_permissions.all()],
    }
    return {**data, **changes}


def permission(name: str) -> Permission:
    app_label, codename = name.split(".")
    return Permission.objects.get(content_type__app_label=app_label, codename=codename)


def new_password() -> dict:
    return {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "set_usable_password": "true"}


# --- Superuser status ------------------------------------------------------------------------------------


def test_it_never_shows_an_administrator_the_superuser_box(admin_browser, administrator, report_taker):
    for user in (administrator, report_taker):
        html = admin_browser.get(change_url(user)).content.decode()
        assert 'name="username"' in html
        assert 'name="is_superuser"' not in html
    listing = admin_browser.get(reverse("admin:auth_user_changelist")).content.decode()
    assert "is_superuser" not in listing


def test_it_ignores_an_administrator_making_themselves_superuser(admin_browser, administrator):
    response = admin_browser.post(change_url(administrator), user_form(administrator, is_superuser="on"))
    assert response.status_code == 302
    administrator.refresh_from_db()
    assert not administrator.is_superuser


def test_it_ignores_an_administrator_making_a_colleague_superuser(admin_browser, report_taker):
    response = admin_browser.post(change_url(report_taker), user_form(report_taker, is_superuser="on"))
    assert response.status_code == 302
    report_taker.refresh_from_db()
    assert not report_taker.is_superuser


def test_a_superuser_keeps_every_power(admin_client, admin_user, superuser, report_taker):
    assert 'name="is_superuser"' in admin_client.get(change_url(report_taker)).content.decode()
    assert admin_client.get(password_url(superuser)).status_code == 200
    response = admin_client.post(change_url(report_taker), user_form(report_taker, is_superuser="on"))
    assert response.status_code == 302
    report_taker.refresh_from_db()
    assert report_taker.is_superuser


# --- Accounts an administrator may not touch --------------------------------------------------------------


@pytest.fixture
def other_administrator(catalog) -> User:
    return make_staff("otheradmin", "Administrators")


@pytest.mark.parametrize("target", ["superuser", "other_administrator"])
def test_it_refuses_the_password_form_of_a_superuser_or_another_administrator(request, admin_browser, target):
    user = request.getfixturevalue(target)
    assert admin_browser.get(password_url(user)).status_code == 403
    assert admin_browser.post(password_url(user), new_password()).status_code == 403
    user.refresh_from_db()
    assert not user.check_password(NEW_PASSWORD)


@pytest.mark.parametrize("target", ["superuser", "other_administrator"])
def test_it_shows_but_never_changes_a_superuser_or_another_administrator(request, admin_browser, target):
    user = request.getfixturevalue(target)
    page = admin_browser.get(change_url(user))
    assert page.status_code == 200 and 'name="email"' not in page.content.decode()  # read-only
    response = admin_browser.post(change_url(user), user_form(user, email="mine@example.org", is_active=""))
    assert response.status_code == 403
    delete = reverse("admin:auth_user_delete", args=[user.pk])
    assert admin_browser.post(delete, {"post": "yes"}).status_code == 403
    user.refresh_from_db()
    assert user.is_active and user.email != "mine@example.org"


def test_it_refuses_bulk_deleting_a_superuser_even_with_the_delete_permission(
    admin_browser, administrator, superuser
):
    # The seeds do not give administrators auth.delete_user; the admin holds even if someone does.
    administrator.user_permissions.add(permission("auth.delete_user"))
    admin_browser.post(
        reverse("admin:auth_user_changelist"),
        {"action": "delete_selected", "_selected_action": [superuser.pk], "post": "yes"},
    )
    assert User.objects.filter(pk=superuser.pk).exists()


def test_it_lets_an_administrator_reset_a_report_takers_password_and_names_them(
    admin_browser, administrator, report_taker
):
    response = admin_browser.post(password_url(report_taker), new_password())
    assert response.status_code == 302
    report_taker.refresh_from_db()
    assert report_taker.check_password(NEW_PASSWORD)
    entry = LogEntry.objects.get(object_id=str(report_taker.pk), action_flag=CHANGE)
    assert entry.user == administrator and "password" in entry.get_change_message().lower()


# --- Groups and permissions --------------------------------------------------------------------------


@pytest.fixture
def auditors(catalog) -> Group:
    """A group carrying a permission no administrator holds."""
    group = Group.objects.create(name="Auditors")
    group.permissions.add(permission("reports.view_report"))
    return group


def test_it_offers_only_groups_and_permissions_the_administrator_holds(admin_browser, report_taker, auditors):
    form = admin_browser.get(change_url(report_taker)).context["adminform"].form
    groups = set(form.fields["groups"].queryset.values_list("name", flat=True))
    assert "Report takers" in groups and "Supervisors" in groups and "Auditors" not in groups
    offered = form.fields["user_permissions"].queryset
    assert offered.filter(codename="change_reporttype").exists()
    assert not offered.filter(codename__in=["view_report", "delete_user", "add_permission"]).exists()


def test_it_refuses_a_group_or_permission_the_administrator_lacks(admin_browser, report_taker, auditors):
    for extra in (
        {"groups": [auditors.pk]},
        {"user_permissions": [permission("auth.delete_user").pk]},
    ):
        response = admin_browser.post(change_url(report_taker), user_form(report_taker, **extra))
        assert response.status_code == 200  # the form again, with an error
    report_taker.refresh_from_db()
    assert list(report_taker.groups.values_list("name", flat=True)) == ["Report takers"]
    assert not report_taker.user_permissions.exists()


def test_it_lets_an_administrator_give_a_colleague_a_group(admin_browser, administrator, report_taker):
    supervisors = Group.objects.get(name="Supervisors")
    response = admin_browser.post(change_url(report_taker), user_form(report_taker, groups=[supervisors.pk]))
    assert response.status_code == 302
    assert list(report_taker.groups.values_list("name", flat=True)) == ["Supervisors"]
    assert LogEntry.objects.get(object_id=str(report_taker.pk)).user == administrator


def test_it_keeps_an_administrator_from_changing_their_own_groups(admin_browser, administrator, auditors):
    extra_permission = permission("auth.delete_user")
    response = admin_browser.post(
        change_url(administrator),
        user_form(administrator, groups=[auditors.pk], user_permissions=[extra_permission.pk]),
    )
    assert response.status_code == 302
    assert list(administrator.groups.values_list("name", flat=True)) == ["Administrators"]
    assert not administrator.user_permissions.exists()


def test_it_lets_an_administrator_add_a_staff_account(admin_browser, administrator):
    response = admin_browser.post(
        reverse("admin:auth_user_add"),
        {**new_password(), "username": "newtaker", "usable_password": "true"},
    )
    assert response.status_code == 302
    assert LogEntry.objects.get(action_flag=ADDITION).user == administrator
    assert not User.objects.get(username="newtaker").is_superuser


def test_it_shows_groups_to_an_administrator_but_never_lets_them_change_one(admin_browser, catalog):
    takers = Group.objects.get(name="Report takers")
    url = reverse("admin:auth_group_change", args=[takers.pk])
    assert admin_browser.get(url).status_code == 200
    everything = list(Permission.objects.values_list("pk", flat=True))
    assert admin_browser.post(url, {"name": "Report takers", "permissions": everything}).status_code == 403
    assert admin_browser.post(reverse("admin:auth_group_add"), {"name": "Mine"}).status_code == 403
    assert list(takers.permissions.values_list("codename", flat=True)) == ["work_report_queue"]


# --- Second factors ----------------------------------------------------------------------------------------


def device_delete_url(device) -> str:
    meta = device._meta
    return reverse(f"admin:{meta.app_label}_{meta.model_name}_delete", args=[device.pk])


@pytest.mark.parametrize("target", ["superuser", "other_administrator", "administrator"])
def test_it_refuses_removing_the_second_factor_of_an_administrator(request, admin_browser, target):
    user = request.getfixturevalue(target)
    app = TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=True)
    codes = backup_codes_device(user, "abcd2345")
    for device in (app, codes):
        assert admin_browser.post(device_delete_url(device), {"post": "yes"}).status_code == 403
    assert TOTPDevice.objects.filter(pk=app.pk).exists() and StaticDevice.objects.filter(pk=codes.pk).exists()


def test_it_refuses_bulk_removing_the_second_factor_of_a_superuser(admin_browser, superuser):
    app = TOTPDevice.objects.create(user=superuser, name="Authenticator app", confirmed=True)
    admin_browser.post(
        reverse("admin:otp_totp_totpdevice_changelist"),
        {"action": "delete_selected", "_selected_action": [app.pk], "post": "yes"},
    )
    assert TOTPDevice.objects.filter(pk=app.pk).exists()


def test_it_names_the_administrator_who_removed_a_second_factor(admin_browser, administrator, report_taker):
    app = TOTPDevice.objects.create(user=report_taker, name="Authenticator app", confirmed=True)
    codes = backup_codes_device(report_taker, "abcd2345")
    for device in (app, codes):
        assert admin_browser.post(device_delete_url(device), {"post": "yes"}).status_code == 302
    assert not TOTPDevice.objects.filter(user=report_taker).exists()
    assert not StaticDevice.objects.filter(user=report_taker).exists()
    entries = LogEntry.objects.filter(action_flag=DELETION)
    assert {entry.object_id for entry in entries} == {str(app.pk), str(codes.pk)}
    assert {entry.user for entry in entries} == {administrator}


def test_it_never_lets_an_administrator_hand_someone_a_device(admin_browser, report_taker):
    add = reverse("admin:otp_totp_totpdevice_add")
    response = admin_browser.post(add, {"user": report_taker.pk, "name": "Mine", "key": "00" * 20})
    assert response.status_code == 403
    assert not TOTPDevice.objects.exists()


# --- Traffic endpoints: secrets -------------------------------------------------------------------------


@pytest.fixture
def endpoint(db) -> TrafficEndpoint:
    return TrafficEndpoint.objects.create(
        name="Dispatch CAD", url="https://93.184.215.14/hooks", secrets=f"{SECRET_A}\n{SECRET_B}\n"
    )


def endpoint_url(endpoint: TrafficEndpoint, view: str = "change") -> str:
    return reverse(f"admin:traffic_trafficendpoint_{view}", args=[endpoint.pk])


def endpoint_form(endpoint: TrafficEndpoint, **changes) -> dict:
    data = {"name": endpoint.name, "url": endpoint.url, "active": "on", "disabled_reason": ""}
    return {**data, **changes}


def removal_choices(browser: Client, endpoint: TrafficEndpoint) -> list[tuple[str, str]]:
    form = browser.get(endpoint_url(endpoint)).context["adminform"].form
    return [(value, str(label)) for value, label in form.fields["remove_secrets"].choices]


def assert_no_secret(html: str) -> None:
    for secret in (SECRET_A, SECRET_B):
        assert secret not in html and secret.removeprefix("whsec_")[:12] not in html


def test_it_never_shows_an_endpoints_secrets(admin_browser, endpoint):
    page = admin_browser.get(endpoint_url(endpoint)).content.decode()
    assert_no_secret(page)
    assert "2 secrets" in page and f"…{SECRET_A[-4:]}" in page and f"…{SECRET_B[-4:]}" in page
    assert_no_secret(admin_browser.get(reverse("admin:traffic_trafficendpoint_changelist")).content.decode())


def test_it_adds_a_secret_and_removes_an_old_one_for_rotation(admin_browser, endpoint):
    third = "whsec_" + "dGhpcmQgc2VjcmV0IGZvciByb3RhdGlvbg=="
    old = next(value for value, label in removal_choices(admin_browser, endpoint) if SECRET_A[-4:] in label)

    response = admin_browser.post(endpoint_url(endpoint), endpoint_form(endpoint, new_secret=third))
    assert response.status_code == 302
    endpoint.refresh_from_db()
    assert endpoint.secret_list() == [SECRET_A, SECRET_B, third]

    response = admin_browser.post(endpoint_url(endpoint), endpoint_form(endpoint, remove_secrets=[old]))
    assert response.status_code == 302
    endpoint.refresh_from_db()
    assert endpoint.secret_list() == [SECRET_B, third]
    history = admin_browser.get(endpoint_url(endpoint, "history")).content.decode()
    assert_no_secret(history) and third not in history


@pytest.mark.parametrize("bad", ["not-a-secret", "whsec_!!!", "whsec_", "whsec_dG9vIHNob3J0"])
def test_it_refuses_a_secret_that_cannot_sign(admin_browser, endpoint, bad):
    response = admin_browser.post(endpoint_url(endpoint), endpoint_form(endpoint, new_secret=bad))
    html = response.content.decode()
    assert response.status_code == 200 and "base64 of 24 to 64 random bytes" in html
    assert f'value="{bad}"' not in html  # what was typed is not sent back either
    endpoint.refresh_from_db()
    assert endpoint.secret_list() == [SECRET_A, SECRET_B]


def test_it_refuses_removing_every_secret(admin_browser, endpoint):
    every = [value for value, _label in removal_choices(admin_browser, endpoint)]
    response = admin_browser.post(endpoint_url(endpoint), endpoint_form(endpoint, remove_secrets=every))
    assert response.status_code == 200
    endpoint.refresh_from_db()
    assert endpoint.secret_list() == [SECRET_A, SECRET_B]


def test_it_asks_for_a_secret_when_an_endpoint_is_added(admin_browser, settings):
    add = reverse("admin:traffic_trafficendpoint_add")
    data = {"name": "New CAD", "url": "https://93.184.215.14/", "active": "on"}
    assert admin_browser.post(add, data).status_code == 200
    assert admin_browser.post(add, {**data, "new_secret": SECRET_A}).status_code == 302
    assert TrafficEndpoint.objects.get(name="New CAD").secret_list() == [SECRET_A]


# --- Traffic endpoints: addresses ---------------------------------------------------------------------------

PRIVATE_URLS = [
    "http://127.0.0.1:8000/hooks",
    "http://localhost/hooks",
    "http://10.1.2.3/",
    "http://172.16.0.9/",
    "http://192.168.1.20/",
    "http://169.254.169.254/latest/meta-data/",
    "http://0.0.0.0/",
    "http://224.0.0.1/",
    "http://240.0.0.1/",
    "http://100.64.0.1/",
    "http://[::1]/",
    "http://[::]/",
    "http://[::ffff:127.0.0.1]/",
    "http://[::ffff:10.0.0.1]/",
    "http://[fe80::1]/",
    "http://[fc00::1]/",
    "http://[ff02::1]/",
]


@pytest.mark.parametrize("url", PRIVATE_URLS)
def test_it_refuses_an_endpoint_on_a_private_address(admin_browser, endpoint, settings, url):
    settings.TRAFFIC_ALLOW_PRIVATE_URLS = False
    response = admin_browser.post(endpoint_url(endpoint), endpoint_form(endpoint, url=url))
    assert response.status_code == 200
    assert "private" in response.content.decode()
    endpoint.refresh_from_db()
    assert endpoint.url == "https://93.184.215.14/hooks"


def test_it_accepts_a_private_address_when_the_setting_allows_it(admin_browser, endpoint, settings):
    settings.TRAFFIC_ALLOW_PRIVATE_URLS = True
    response = admin_browser.post(endpoint_url(endpoint), endpoint_form(endpoint, url="http://127.0.0.1:9/"))
    assert response.status_code == 302
    endpoint.refresh_from_db()
    assert endpoint.url == "http://127.0.0.1:9/"


def test_it_accepts_a_public_address(admin_browser, endpoint, settings):
    settings.TRAFFIC_ALLOW_PRIVATE_URLS = False
    url = "https://[2606:2800:21f:cb07:6820:80da:af6b:8b2c]/hooks"
    assert admin_browser.post(endpoint_url(endpoint), endpoint_form(endpoint, url=url)).status_code == 302


# --- Reading a report in the admin is an access like any other ------------------------------------------


def test_it_records_a_view_event_when_a_report_is_opened_in_the_admin(admin_client, admin_user, catalog):
    report = make_report()
    before = report.staff_seen_at
    page = admin_client.get(reverse("admin:reports_report_change", args=[report.pk]))
    assert page.status_code == 200
    event = report.events.get(kind=ReportEvent.Kind.VIEWED)
    assert event.actor == admin_user and event.data == {"via": "admin"}
    report.refresh_from_db()
    assert report.staff_seen_at == before  # the staff "updated" mark is the report takers' own
    admin_client.get(reverse("admin:reports_report_changelist"))
    assert report.events.filter(kind=ReportEvent.Kind.VIEWED).count() == 1  # the list is not a view


def test_it_shows_an_endpoint_read_only_without_its_secrets(catalog, endpoint):
    viewer = make_staff("viewer", "Supervisors")
    viewer.user_permissions.add(permission("traffic.view_trafficendpoint"))
    browser = Client()
    sign_in(browser, viewer)
    page = browser.get(endpoint_url(endpoint))
    assert page.status_code == 200 and "2 secrets" in page.content.decode()
    assert_no_secret(page.content.decode())
