"""The device a verified session names is kept per process (reports/second_factor.py, OTPMiddleware) and
read again whenever any device is saved or deleted. A session whose device is deleted, unconfirmed or
given to another account is sent back to the code page at its next request, as it was when the device
was read on every request."""

from __future__ import annotations

import django_otp
import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from reports import second_factor

from .conftest import backup_codes_device, sign_in

pytestmark = pytest.mark.django_db

QUEUE = reverse("staff-queue", args=["theft-damage"])
CODE_PAGE = reverse("staff-2fa-verify")


def signed_in(user: User) -> Client:
    browser = Client()
    sign_in(browser, user)
    assert browser.get(QUEUE).status_code == 200  # and its device is kept from here on
    return browser


def sent_to_the_code_page(browser: Client) -> bool:
    response = browser.get(QUEUE)
    return response.status_code == 302 and response["Location"].startswith(CODE_PAGE)


def test_a_kept_device_is_not_read_again(report_taker):
    browser = signed_in(report_taker)

    with CaptureQueriesContext(connection) as ran:
        assert browser.get(QUEUE).status_code == 200

    assert not any("otp_static_staticdevice" in query["sql"] for query in ran), [q["sql"][:80] for q in ran]


def test_a_session_whose_device_is_deleted_is_sent_to_the_code_page(report_taker):
    browser = signed_in(report_taker)

    StaticDevice.objects.filter(user=report_taker).delete()  # as an administrator's reset does

    assert sent_to_the_code_page(browser)


def test_a_device_deleted_in_the_admin_stops_verifying_at_the_next_request(report_taker, admin_client):
    browser = signed_in(report_taker)
    device = StaticDevice.objects.get(user=report_taker)

    admin_client.post(reverse("admin:otp_static_staticdevice_delete", args=[device.pk]), {"post": "yes"})

    assert sent_to_the_code_page(browser)


@pytest.mark.parametrize("change", ["unconfirmed", "given to another account"])
def test_a_device_unconfirmed_or_given_away_stops_verifying(report_taker, supervisor, change):
    browser = signed_in(report_taker)
    device = StaticDevice.objects.get(user=report_taker)

    if change == "unconfirmed":
        device.confirmed = False
    else:
        device.user = supervisor
    device.save()

    assert sent_to_the_code_page(browser)


def test_the_account_deleted_takes_its_device_and_its_session_with_it(report_taker, supervisor):
    # Another account's session keeps working; the deleted one's device is gone from every copy.
    browser, other = signed_in(report_taker), signed_in(supervisor)
    persistent_id = StaticDevice.objects.get(user=report_taker).persistent_id

    report_taker.delete()

    assert browser.get(QUEUE).status_code == 302
    assert other.get(QUEUE).status_code == 200
    assert persistent_id not in second_factor._kept.current()


def test_a_new_authenticator_moves_the_version_and_other_sessions_keep_working(report_taker, supervisor):
    browser = signed_in(supervisor)
    before = second_factor.DEVICES.get()

    TOTPDevice.objects.create(user=report_taker, name="Authenticator app", confirmed=True)

    assert second_factor.DEVICES.get() != before
    assert browser.get(QUEUE).status_code == 200


def test_each_request_gets_its_own_copy_of_the_device(report_taker):
    # A view that verifies a code changes its device's throttle and saves it; no other request may see
    # that half-done change through the kept copy.
    device = backup_codes_device(report_taker)
    middleware = second_factor.OTPMiddleware(lambda request: None)

    first = middleware._device_from_persistent_id(device.persistent_id)
    first.throttling_failure_count = 5
    second = middleware._device_from_persistent_id(device.persistent_id)

    assert first == second and first is not second
    assert second.throttling_failure_count == 0


def test_a_session_naming_a_device_that_never_existed_is_not_verified(report_taker):
    browser = Client()
    browser.force_login(report_taker)
    session = browser.session
    session[django_otp.DEVICE_ID_SESSION_KEY] = "otp_static.staticdevice/999999"
    session.save()

    assert sent_to_the_code_page(browser)
    assert "otp_static.staticdevice/999999" not in second_factor._kept.current()
