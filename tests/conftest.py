from __future__ import annotations

import os
import shutil
import threading
import time
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import django_otp
import pytest
from celery.contrib.testing.worker import start_worker
from celery.signals import task_postrun
from django.contrib.auth.models import Group, User
from django.core.management import call_command
from django.db import connections
from django.utils import timezone, translation
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

from portal.celery import app as celery_app

IN_CI = os.environ.get("CI", "").lower() == "true"

# Fuzzing (tests/test_fuzz.py): a few dozen examples a test in CI and by default, far more overnight.
# The examples share one test database per test function, which is what the invariants check.
FUZZ_HEALTH = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large]
hypothesis_settings.register_profile("ci", max_examples=40, deadline=None, suppress_health_check=FUZZ_HEALTH)
hypothesis_settings.register_profile(
    "night", max_examples=2500, deadline=None, suppress_health_check=FUZZ_HEALTH
)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def require(condition: bool, why: str) -> None:
    """Skip a test whose service or browser is missing; under CI=true, fail instead."""
    if condition:
        return
    if IN_CI:
        pytest.fail(f"{why} (CI=true: a missing service fails the run)")
    pytest.skip(why)


def pytest_collection_modifyitems(config, items):
    """Tests marked postgresql test what only PostgreSQL can do: on SQLite they are deselected, visibly
    (pytest counts them), never skipped. CI runs the suite on PostgreSQL too, where they must pass."""
    from django.db import connection

    if connection.vendor == "postgresql":
        return
    postgresql_only = [item for item in items if item.get_closest_marker("postgresql")]
    if postgresql_only:
        config.hook.pytest_deselected(items=postgresql_only)
        items[:] = [item for item in items if not item.get_closest_marker("postgresql")]


@pytest.fixture(scope="session", autouse=True)
def collected_static(django_db_blocker):
    # Pages are rendered with the production manifest storage, so the files must be collected.
    call_command("collectstatic", "--noinput", verbosity=0)


@pytest.fixture(autouse=True)
def private_evidence_storage(settings, tmp_path):
    storages = {**settings.STORAGES}
    storages["evidence"] = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(tmp_path / "evidence"), "base_url": None},
    }
    settings.STORAGES = storages
    yield tmp_path / "evidence"
    shutil.rmtree(tmp_path / "evidence", ignore_errors=True)


@pytest.fixture(autouse=True)
def sms_outbox(settings, tmp_path):
    """The file backend's folder for this test: every text the test sent, one file each."""
    settings.SMS_BACKEND = "reports.sms.FileBackend"
    settings.SMS_FILE_PATH = tmp_path / "sms"
    return tmp_path / "sms"


@pytest.fixture(scope="session")
def signing_pair(tmp_path_factory) -> tuple[Path, Path]:
    """A throwaway key and self-signed certificate for the approved copies: (certificate, key)."""
    from reports.signing import self_signed_pair

    folder = tmp_path_factory.mktemp("signing")
    key, certificate = self_signed_pair("Test 311 signing certificate", years=1)
    (folder / "key.pem").write_bytes(key)
    (folder / "certificate.pem").write_bytes(certificate)
    return folder / "certificate.pem", folder / "key.pem"


@pytest.fixture(autouse=True)
def signing_key(settings, signing_pair):
    # Every test signs with the throwaway pair, never with one a dev machine keeps under VAR_DIR.
    settings.REPORT_SIGNING_CERT, settings.REPORT_SIGNING_KEY = map(str, signing_pair)
    return signing_pair


@pytest.fixture(autouse=True)
def fresh_cache():
    # Rate-limit counters live in the cache; each test starts with none.
    from django.core.cache import cache

    cache.clear()
    yield


@pytest.fixture(autouse=True)
def still_rate_windows(monkeypatch):
    # django-ratelimit counts in fixed windows, each key's ending at its own second of the minute (or
    # hour). A window that ended mid-test started the count again, so "3/m" let a fourth request through
    # about once in a hundred runs. The windows' clock stands still for the length of a test.
    import django_ratelimit.core

    now = time.time()
    monkeypatch.setattr(django_ratelimit.core, "time", SimpleNamespace(time=lambda: now))


@pytest.fixture(autouse=True)
def english_again():
    # A request in Spanish activates it for the thread; the next test must start in English.
    yield
    translation.deactivate()


# The seeds (catalog, reasons, staff groups) go into the test database once for the run, not once a test:
# seeding takes most of a second and some 800 tests ask for it. A test's own changes to them are rolled
# back with its transaction. A test that commits (transactional_db, the live server) has the database
# flushed afterwards, and the seeds are put back for the tests that follow (pytest_runtest_teardown).
@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        call_command("seed", verbosity=0)


@pytest.fixture
def catalog(db):
    """The seeded catalog. Seeded here only if a test before this one left the database without it."""
    from reports.models import ReportType

    if not ReportType.objects.exists():
        call_command("seed", verbosity=0)


def commits(item: pytest.Item) -> bool:
    marker = item.get_closest_marker("django_db")
    return bool(
        {"transactional_db", "live_server"} & set(getattr(item, "fixturenames", ()))
        or (marker and marker.kwargs.get("transaction"))
    )


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None):
    yield  # every fixture of the test torn down: a committing test's database is flushed by now
    if commits(item) and nextitem is not None:
        from pytest_django.plugin import blocking_manager_key

        with item.config.stash[blocking_manager_key].unblock():
            call_command("seed", verbosity=0)


def sign_in(client, user: User) -> None:
    """Sign a test client in with both steps: the password (force_login) and the second factor.

    force_login alone leaves a session that staff pages send to the code page, as they would a person
    who has typed only a password."""
    client.force_login(user)
    device = backup_codes_device(user)
    session = client.session
    session[django_otp.DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()


def backup_codes_device(user: User, *codes: str):
    """The user's backup-codes device (created confirmed if missing), with the given codes added."""
    from django_otp.plugins.otp_static.models import StaticDevice

    device, _created = StaticDevice.objects.get_or_create(
        user=user, name="Backup codes", defaults={"confirmed": True}
    )
    for code in codes:
        device.token_set.create(token=code)
    return device


@pytest.fixture
def admin_client(client, admin_user):
    """pytest-django's admin_client, signed in with the second factor as the admin requires."""
    sign_in(client, admin_user)
    return client


def make_staff(username: str, group: str) -> User:
    user = User.objects.create_user(
        username, f"{username}@example.org", "a-long-test-password", is_staff=True
    )
    user.groups.add(Group.objects.get(name=group))
    return user


@pytest.fixture
def report_taker(catalog):
    return make_staff("taker", "Report takers")


@pytest.fixture
def agent_311(catalog):
    return make_staff("agent", "311 agents")


@pytest.fixture
def traffic_agent(catalog):
    return make_staff("traffic", "Traffic Control")


@pytest.fixture
def supervisor(catalog):
    return make_staff("supervisor", "Supervisors")


@pytest.fixture
def resident(client):
    """A resident is anonymous: a browser session and nothing else."""
    return client


@pytest.fixture
def another_resident():
    from django.test import Client

    return Client()


@contextmanager
def running_worker():
    """A real Celery worker (in a thread) consuming from the configured broker."""
    celery_app.control.purge()  # nothing left over from an earlier run
    task_postrun.connect(close_worker_connections)
    try:
        with start_worker(
            celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=30, loglevel="WARNING"
        ) as worker:
            yield worker
    finally:
        task_postrun.disconnect(close_worker_connections)


@pytest.fixture
def celery_worker(transactional_db):
    with running_worker() as worker:
        yield worker


def close_worker_connections(**kwargs):
    # The worker thread's own database connections; left open they would keep PostgreSQL from
    # dropping the test database at the end.
    if threading.current_thread() is not threading.main_thread():
        connections.close_all()


def wait_for(predicate, timeout: float = 20.0, interval: float = 0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(interval)
    return predicate()


def past(**kwargs) -> str:
    return (timezone.localtime() - timedelta(**kwargs)).strftime("%Y-%m-%dT%H:%M")
