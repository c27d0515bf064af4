from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db


def sign_in(client: Client, username: str, password: str):
    return client.post(reverse("staff-login"), {"username": username, "password": password})


def test_it_locks_an_account_after_repeated_failures(report_taker, settings):
    attacker, colleague = Client(REMOTE_ADDR="198.51.100.7"), Client(REMOTE_ADDR="198.51.100.8")
    answers = [sign_in(attacker, report_taker.username, "wrong-password").status_code for _ in range(5)]
    assert answers == [200, 200, 200, 200, 429]  # the fifth failure locks the account

    # Locked whatever the address: even the right password from another machine is refused for now.
    locked = sign_in(colleague, report_taker.username, "a-long-test-password")
    assert locked.status_code == 429 and "locked" in locked.content.decode()
    assert "_auth_user_id" not in colleague.session


def test_it_does_not_let_one_agents_typos_lock_out_the_others(report_taker, supervisor, settings):
    office = Client(REMOTE_ADDR="198.51.100.9")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in(office, report_taker.username, "wrong-password")
    response = sign_in(Client(REMOTE_ADDR="198.51.100.9"), supervisor.username, "a-long-test-password")
    assert response.status_code == 302
