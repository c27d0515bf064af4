from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db


def sign_in(client: Client, username: str, password: str):
    return client.post(reverse("staff-login"), {"username": username, "password": password})


def test_it_locks_an_account_after_repeated_failures_from_one_address(report_taker, settings):
    attacker = Client(REMOTE_ADDR="198.51.100.7")
    answers = [sign_in(attacker, report_taker.username, "wrong-password").status_code for _ in range(5)]
    assert answers == [200, 200, 200, 200, 429]  # the fifth failure locks the account from there

    # Even the right password is refused from that address for now.
    locked = sign_in(Client(REMOTE_ADDR="198.51.100.7"), report_taker.username, "a-long-test-password")
    assert locked.status_code == 429 and "locked" in locked.content.decode()


def test_it_does_not_let_wrong_passwords_from_elsewhere_lock_the_owner_out(report_taker, settings):
    attacker, owner = Client(REMOTE_ADDR="203.0.113.66"), Client(REMOTE_ADDR="198.51.100.8")
    for _ in range(settings.AXES_FAILURE_LIMIT + 2):
        sign_in(attacker, report_taker.username, "wrong-password")
    assert sign_in(owner, report_taker.username, "a-long-test-password").status_code == 302
    assert owner.session["_auth_user_id"] == str(report_taker.pk)


def test_it_does_not_let_one_agents_typos_lock_out_the_others(report_taker, supervisor, settings):
    office = Client(REMOTE_ADDR="198.51.100.9")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in(office, report_taker.username, "wrong-password")
    response = sign_in(Client(REMOTE_ADDR="198.51.100.9"), supervisor.username, "a-long-test-password")
    assert response.status_code == 302


def test_the_lockout_counts_the_address_so_axes_needs_no_silenced_warning(settings):
    from axes.checks import axes_lockout_params_check

    assert axes_lockout_params_check(None) == []
    assert "axes.W006" not in settings.SILENCED_SYSTEM_CHECKS
