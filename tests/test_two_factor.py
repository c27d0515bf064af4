"""The staff second factor: every staff URL refuses a session that has passed only the password step.

The walk reuses the permission matrix of test_permissions, which is itself checked against the URL
patterns, so a new staff URL is walked here too.
"""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import URLResolver, get_resolver, reverse
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from .conftest import backup_codes_device, sign_in
from .test_permissions import STAFF, cases, let_in, reports, staff_url_names  # noqa: F401 (reports: the fixture)

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-test-password"
CODE_PAGE = reverse("staff-2fa-verify")
ENROL_PAGE = reverse("staff-2fa-enrol")


def password_only(user: User | str, password: str = PASSWORD) -> Client:
    """A browser that has typed the right password, through the real sign-in form, and nothing more."""
    browser = Client()
    username = user if isinstance(user, str) else user.username
    response = browser.post(reverse("staff-login"), {"username": username, "password": password})
    assert response.status_code == 302, response.content.decode()[:2000]
    return browser


def app_code(device: TOTPDevice, steps_ahead: int = 0) -> str:
    return f"{totp(device.bin_key, step=device.step, drift=steps_ahead):06d}"


def wrong_app_code(device: TOTPDevice) -> str:
    accepted = {app_code(device, steps) for steps in (-1, 0, 1)}
    return next(code for code in (f"{n:06d}" for n in range(1_000_000)) if code not in accepted)


# --- Every staff URL ---------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", sorted(STAFF))
def test_it_sends_every_staff_url_to_the_code_page_after_the_password_alone(request, persona):
    filed, user = request.getfixturevalue("reports"), request.getfixturevalue(persona)
    backup_codes_device(user, "walkcode")  # has a second factor, has not used it in this session
    browser = password_only(user)
    walked = set()
    for name, method, url, _allowed in cases(*filed):
        response = getattr(browser, method)(url, {"note": "checked"} if method == "post" else None)
        where = f"{persona} {method.upper()} {url}"
        assert response.status_code == 302, where
        assert response["Location"].startswith(CODE_PAGE), where
        if method == "get":
            assert response["Location"] == f"{CODE_PAGE}?next={url.replace('/', '%2F')}", where
        walked.add(name)
    assert walked == staff_url_names()


@pytest.mark.parametrize("persona", sorted(STAFF))
def test_it_gives_every_staff_url_its_normal_answer_once_the_code_is_entered(request, persona):
    filed, user = request.getfixturevalue("reports"), request.getfixturevalue(persona)
    backup_codes_device(user, "walkcode")
    browser = password_only(user)
    assert browser.post(CODE_PAGE, {"code": "walkcode"}).status_code == 302
    for name, method, url, allowed in cases(*filed):
        response = getattr(browser, method)(url, {"note": "checked"} if method == "post" else None)
        where = f"{persona} {method.upper()} {url}"
        if persona in allowed:
            assert let_in(name, response.status_code), where
            assert not response.get("Location", "").startswith((CODE_PAGE, reverse("staff-login"))), where
        else:
            assert response.status_code == 403, where


def test_it_asks_a_person_without_a_second_factor_to_set_one_up(report_taker):
    browser = password_only(report_taker)
    response = browser.get(reverse("staff-home"))
    assert response["Location"] == f"{CODE_PAGE}?next=%2Fstaff%2F"
    response = browser.get(response["Location"])
    assert response["Location"] == f"{ENROL_PAGE}?next=%2Fstaff%2F"


@pytest.mark.parametrize("enrolled", [True, False], ids=["code page", "enrolment page"])
def test_a_password_alone_is_not_shown_the_staff_menu(report_taker, enrolled):
    """The code and enrolment pages do not tell someone with only the password which queues the account
    works; the same account sees them once the code is in."""
    from reports.access import menu_queues

    if enrolled:
        backup_codes_device(report_taker, "123456")
    browser = password_only(report_taker)
    queues = menu_queues(report_taker)
    assert queues
    page = browser.get(CODE_PAGE, follow=True).content.decode()
    assert 'name="code"' in page  # the code page, or the enrolment page's confirmation code
    for queue in queues:
        assert queue.name not in page and reverse("staff-queue", args=[queue.code]) not in page
    assert "Sign out" in page

    sign_in(browser, report_taker)
    home = browser.get(reverse("staff-home")).content.decode()
    assert all(reverse("staff-queue", args=[queue.code]) in home for queue in queues)


def test_it_sends_an_anonymous_visitor_to_the_password_step_first(request):
    for _name, method, url, _allowed in cases(*request.getfixturevalue("reports")):
        response = getattr(Client(), method)(url)
        assert response["Location"].startswith(reverse("staff-login")), url
    assert Client().get(CODE_PAGE)["Location"].startswith(reverse("staff-login"))
    assert Client().get(ENROL_PAGE)["Location"].startswith(reverse("staff-login"))


# --- Enrolment -----------------------------------------------------------------------------------------


def test_it_enrols_an_authenticator_app_and_shows_the_backup_codes_once(report_taker, settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 0  # a wrong code first, then the right one at once
    browser = password_only(report_taker)
    page = browser.get(ENROL_PAGE, {"next": "/staff/"})
    html = page.content.decode()
    device = TOTPDevice.objects.get(user=report_taker, confirmed=False)

    assert page.status_code == 200
    assert 'src="data:image/svg+xml' in html  # an image, no inline SVG styling or script (strict CSP)
    assert not re.search(r"<script(?![^>]*\bsrc=)|\sstyle=", html)
    setup_key = re.search(r"data-setup-key>([A-Z2-7 ]+)<", html).group(1)
    assert len(setup_key.replace(" ", "")) == 32  # the 20-byte key in base32, for typing in by hand
    assert browser.get(ENROL_PAGE).content.decode().count(setup_key) == 1  # the same key on reload

    wrong = browser.post(ENROL_PAGE, {"code": wrong_app_code(device), "next": "/staff/"})
    assert wrong.status_code == 200 and "That code is not right" in wrong.content.decode()
    assert not TOTPDevice.objects.get(pk=device.pk).confirmed
    assert browser.get(reverse("staff-home"))["Location"].startswith(CODE_PAGE)

    done = browser.post(ENROL_PAGE, {"code": app_code(device), "next": "/staff/"})
    shown = re.findall(r"<li>([a-z2-7]{8})</li>", done.content.decode())

    assert done.status_code == 200 and "no-store" in done["Cache-Control"]
    assert len(shown) == 10
    assert sorted(shown) == sorted(
        StaticToken.objects.filter(device__user=report_taker).values_list("token", flat=True)
    )
    assert TOTPDevice.objects.get(pk=device.pk).confirmed
    assert browser.get(reverse("staff-home")).status_code == 200
    # Set up once: the enrolment page now leads to the code page, and the codes are never shown again.
    other_browser = password_only(report_taker)
    assert other_browser.get(ENROL_PAGE)["Location"].startswith(CODE_PAGE)


def test_it_signs_in_with_the_app_and_refuses_a_code_used_twice(report_taker, settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    device = TOTPDevice.objects.create(user=report_taker, name="Authenticator app", confirmed=True)
    code = app_code(device)

    first = password_only(report_taker)
    spaced = code[:3] + " " + code[3:]
    assert first.post(CODE_PAGE, {"code": spaced, "next": "/staff/"})["Location"] == "/staff/"
    second = password_only(report_taker)
    replay = second.post(CODE_PAGE, {"code": code, "next": "/staff/"})
    assert replay.status_code == 200 and "That code is not right" in replay.content.decode()
    assert second.get(reverse("staff-home"))["Location"].startswith(CODE_PAGE)
    assert second.post(CODE_PAGE, {"code": app_code(device, steps_ahead=1)}).status_code == 302


def test_it_slows_down_guessing_codes(report_taker):
    TOTPDevice.objects.create(user=report_taker, name="Authenticator app", confirmed=True)
    browser = password_only(report_taker)
    browser.post(CODE_PAGE, {"code": "123456"})
    device = TOTPDevice.objects.get(user=report_taker)
    response = browser.post(CODE_PAGE, {"code": app_code(device)})  # right, but too soon after a wrong one
    assert response.status_code == 200 and "Too many wrong codes" in response.content.decode()
    assert browser.get(reverse("staff-home"))["Location"].startswith(CODE_PAGE)


# --- Backup codes -------------------------------------------------------------------------------------


def test_a_backup_code_works_once(report_taker):
    TOTPDevice.objects.create(user=report_taker, name="Authenticator app", confirmed=True)
    backup_codes_device(report_taker, "abcd2345", "efgh6723")

    first = password_only(report_taker)
    assert first.post(CODE_PAGE, {"code": "ABCD 2345", "next": "/staff/"})["Location"] == "/staff/"
    assert first.get(reverse("staff-home")).status_code == 200

    second = password_only(report_taker)
    again = second.post(CODE_PAGE, {"code": "abcd2345"})
    assert again.status_code == 200 and "not right" in again.content.decode()
    assert list(StaticToken.objects.values_list("token", flat=True)) == ["efgh6723"]


def test_someone_who_came_in_with_a_backup_code_may_set_up_an_app(report_taker):
    backup_codes_device(report_taker, "abcd2345")
    browser = password_only(report_taker)
    assert browser.get(ENROL_PAGE)["Location"].startswith(CODE_PAGE)  # not with the password alone
    browser.post(CODE_PAGE, {"code": "abcd2345"})
    assert browser.get(ENROL_PAGE).status_code == 200


def test_used_up_backup_codes_do_not_reopen_enrolment(report_taker):
    backup_codes_device(report_taker)  # enrolled once; every code since used, and no app
    browser = password_only(report_taker)
    assert browser.get(ENROL_PAGE)["Location"].startswith(CODE_PAGE)
    assert browser.post(ENROL_PAGE, {"code": "123456"})["Location"].startswith(CODE_PAGE)
    page = browser.get(CODE_PAGE, {"next": "/staff/"})
    assert page.status_code == 200 and "You have used all your backup codes" in page.content.decode()
    assert not TOTPDevice.objects.filter(user=report_taker).exists()
    assert browser.get(reverse("staff-home"))["Location"].startswith(CODE_PAGE)


def test_an_administrators_reset_lets_the_person_enrol_again(catalog, admin_client, report_taker):
    TOTPDevice.objects.create(user=report_taker, name="Authenticator app", confirmed=True)
    codes = backup_codes_device(report_taker)  # lost the phone, and the codes are used up
    lost = TOTPDevice.objects.get(user=report_taker)
    for name, device in (("otp_totp_totpdevice", lost), ("otp_static_staticdevice", codes)):
        admin_client.post(reverse(f"admin:{name}_delete", args=[device.pk]), {"post": "yes"})
    assert password_only(report_taker).get(CODE_PAGE)["Location"].startswith(ENROL_PAGE)


# --- Where the code page sends people ----------------------------------------------------------------


@pytest.mark.parametrize("goal", ["https://evil.example/staff/", "//evil.example/", "javascript:alert(1)"])
def test_it_never_sends_people_off_the_site_after_the_code(report_taker, goal):
    backup_codes_device(report_taker, "abcd2345")
    browser = password_only(report_taker)
    response = browser.post(CODE_PAGE, {"code": "abcd2345", "next": goal})
    assert response["Location"] == reverse("staff-home")


def test_a_verified_session_passes_the_code_page_straight_through(report_taker):
    browser = Client()
    sign_in(browser, report_taker)
    assert browser.get(CODE_PAGE, {"next": "/staff/queues/theft-damage/"})["Location"] == (
        "/staff/queues/theft-damage/"
    )


def test_it_forgets_the_second_factor_on_sign_out(report_taker):
    browser = Client()
    sign_in(browser, report_taker)
    browser.post(reverse("staff-logout"))
    browser.force_login(report_taker)
    assert browser.get(reverse("staff-home"))["Location"].startswith(CODE_PAGE)


# --- The password step keeps its lockout ----------------------------------------------------------------


def test_the_lockout_still_applies_before_the_second_factor(report_taker, settings):
    backup_codes_device(report_taker, "abcd2345")
    browser = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        browser.post(reverse("staff-login"), {"username": "taker", "password": "wrong-password"})
    response = browser.post(reverse("staff-login"), {"username": "taker", "password": PASSWORD})
    assert response.status_code == 429
    assert "locked" in response.content.decode()
    assert browser.get(reverse("staff-home"))["Location"].startswith(reverse("staff-login"))
    assert browser.post(CODE_PAGE, {"code": "abcd2345"})["Location"].startswith(reverse("staff-login"))


# --- The admin ----------------------------------------------------------------------------------------


def test_the_admin_refuses_a_session_without_the_second_factor(catalog, admin_user):
    backup_codes_device(admin_user, "abcd2345")
    browser = Client()
    browser.force_login(admin_user)
    for url in ("/admin/", "/admin/reports/queue/", "/admin/auth/user/"):
        response = browser.get(url, follow=True)
        assert response.redirect_chain[-1][0].startswith(CODE_PAGE), url
        assert response.status_code == 200 and "Second step of sign-in" in response.content.decode()
    response = browser.post(CODE_PAGE, {"code": "abcd2345", "next": "/admin/reports/queue/"})
    assert response["Location"] == "/admin/reports/queue/"
    assert browser.get("/admin/reports/queue/").status_code == 200


def test_the_admin_sends_an_anonymous_visitor_to_the_staff_sign_in(db):
    response = Client().get("/admin/", follow=True)
    assert response.redirect_chain[-1][0].startswith(reverse("staff-login"))


def test_an_administrator_resets_a_lost_device_in_the_admin(catalog, admin_client, report_taker):
    device = TOTPDevice.objects.create(user=report_taker, name="Authenticator app", confirmed=True)
    page = admin_client.get(reverse("admin:otp_totp_totpdevice_change", args=[device.pk]))
    assert page.status_code == 200 and device.key not in page.content.decode()  # the secret stays hidden
    admin_client.post(reverse("admin:otp_totp_totpdevice_delete", args=[device.pk]), {"post": "yes"})
    assert not TOTPDevice.objects.exists()
    # At the next sign-in the person sets up a new app.
    assert password_only(report_taker).get(CODE_PAGE)["Location"].startswith(ENROL_PAGE)


# --- Residents never meet any of this --------------------------------------------------------------------


def test_residents_and_their_status_link_are_never_asked_for_a_code(client, catalog, report_taker):
    from .flows import file_report, status_token

    assert file_report(client, "theft-other").status_code == 302
    token = status_token(client)
    staff_browser = password_only(report_taker)  # a half-signed-in staff member browsing the public site
    for browser in (client, Client(), staff_browser):
        for url in (reverse("home"), reverse("report-start"), reverse("report-status", args=[token])):
            assert browser.get(url).status_code == 200, url


def test_it_can_be_turned_off_for_a_demo(report_taker, settings):
    settings.STAFF_REQUIRE_2FA = False
    browser = Client()
    browser.force_login(report_taker)
    assert browser.get(reverse("staff-home")).status_code == 200


def test_the_demo_accounts_sign_in_with_the_printed_backup_codes(db):
    from django.core.management import call_command

    call_command("seed", "--demo", verbosity=0)
    browser = password_only("taker", "demo-pass-311")
    assert browser.post(CODE_PAGE, {"code": "311311"})["Location"] == reverse("staff-home")
    assert password_only("taker", "demo-pass-311").post(CODE_PAGE, {"code": "311311"}).status_code == 200
    call_command("seed", "--demo", verbosity=0)  # every `make run` puts the codes back
    browser = password_only("taker", "demo-pass-311")
    assert browser.post(CODE_PAGE, {"code": "311311"})["Location"] == reverse("staff-home")


# --- Every view behind staff_required, wherever it is mounted ------------------------------------------

SAMPLE_VALUES = {"IntConverter": 1, "UUIDConverter": "6f1c1f0e-0000-4000-8000-000000000000"}


def staff_views(resolver=None, converters=None) -> list[tuple[str, dict]]:
    """(url name, sample kwargs) for every URL whose view went through access.staff_required."""
    found = []
    for entry in (resolver or get_resolver()).url_patterns:
        here = {**(converters or {}), **getattr(entry.pattern, "converters", {})}
        if isinstance(entry, URLResolver):
            found += staff_views(entry, here)
        elif getattr(entry.callback, "staff_page", False):
            kwargs = {name: SAMPLE_VALUES.get(type(conv).__name__, "x1") for name, conv in here.items()}
            found.append((entry.name, kwargs))
    return found


def test_every_staff_view_in_the_urlconf_refuses_a_password_only_session(catalog, report_taker):
    backup_codes_device(report_taker, "walkcode")
    browser = password_only(report_taker)
    views = staff_views()
    # Every staff/ URL is behind staff_required, and so are the staff pages mounted elsewhere.
    assert staff_url_names() <= {name for name, _kwargs in views}
    for name, kwargs in views:
        url = reverse(name, kwargs=kwargs)
        response = browser.get(url)
        if response.status_code == 405:  # a POST-only view answers the method before anything else
            response = browser.post(url)
        assert response.status_code == 302 and response["Location"].startswith(CODE_PAGE), url
