"""Running it for years: health, retention, structured logs, security headers, the deploy check."""

from __future__ import annotations

import json
import logging
import logging.config
import os
import secrets
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.urls import reverse
from django.utils import timezone

from reports import health, retention, tasks
from reports.evidence import evidence_storage
from reports.models import Report, ReportEvent, RetentionPurge, WorkerHeartbeat
from reports.statuses import Status

from . import samples
from .conftest import sign_in, wait_for
from .flows import copies_made, file_report
from .test_outbox import broker_down

ROOT = Path(django_settings.BASE_DIR)


# --- /healthz ---------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_it_is_healthy_when_the_database_broker_and_a_worker_answer(client):
    health.beat()
    response = client.get("/healthz")
    assert response.status_code == 200
    answered = {name for name, check in response.json().items() if check["ok"]}
    assert answered == set(response.json())  # "cache" too when the cache is Redis
    assert {"database", "broker", "worker", "evidence_space"} <= answered


@pytest.mark.django_db
def test_it_is_unhealthy_without_a_recent_worker_heartbeat(client, settings):
    assert client.get("/healthz").status_code == 503  # no worker has ever beaten
    WorkerHeartbeat.objects.create(name=health.WORKER, seen_at=timezone.now() - timedelta(minutes=10))
    body = client.get("/healthz")
    assert body.status_code == 503 and not body.json()["worker"]["ok"]


@pytest.mark.django_db
def test_it_is_unhealthy_when_the_broker_is_gone(client):
    health.beat()
    with broker_down():
        response = client.get("/healthz")
    assert response.status_code == 503 and not response.json()["broker"]["ok"]
    assert client.get("/healthz").status_code == 200


@pytest.mark.worker
def test_it_sees_a_real_worker_beat_and_then_go_quiet(client, settings, transactional_db):
    from .conftest import running_worker

    settings.HEALTH_WORKER_MAX_AGE_SECONDS = 2
    with running_worker():
        tasks.heartbeat.delay()
        assert wait_for(lambda: client.get("/healthz").status_code == 200)
    time.sleep(3)  # the worker is gone and no heartbeat comes
    assert client.get("/healthz").status_code == 503


# --- Retention -------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_it_purges_exactly_what_is_past_its_retention(client, catalog, settings):
    settings.RETENTION_DAYS = 365
    for subtype in ("theft-other", "damage-other", "theft-bicycle", "damage-vehicle"):
        file_report(client, subtype, files=[samples.upload("p.jpg", samples.jpeg_bytes(), "image/jpeg")])
    copies_made()
    old_closed, old_open, recent_closed, old_approved = Report.objects.order_by("id")
    long_ago = timezone.now() - timedelta(days=400)
    Report.objects.filter(pk__in=[old_closed.pk, old_approved.pk]).update(closed_at=long_ago)
    Report.objects.filter(pk=old_closed.pk).update(status=Status.CLOSED)
    Report.objects.filter(pk=old_approved.pk).update(status=Status.APPROVED)
    Report.objects.filter(pk=old_open.pk).update(created_at=long_ago)  # old but still open: kept
    Report.objects.filter(pk=recent_closed.pk).update(status=Status.CLOSED, closed_at=timezone.now())
    doomed_files = [
        name
        for report in (old_closed, old_approved)
        for e in report.evidence.all()
        for name in (e.original.name, e.derived.name, e.thumbnail.name)
    ]

    assert tasks.purge_expired_reports() == 2

    assert set(Report.objects.values_list("pk", flat=True)) == {old_open.pk, recent_closed.pk}
    assert not ReportEvent.objects.filter(report_id__in=[old_closed.pk, old_approved.pk]).exists()
    assert not any(evidence_storage().exists(name) for name in doomed_files)
    assert all(evidence_storage().exists(e.original.name) for e in old_open.evidence.all())
    run = RetentionPurge.objects.get()
    assert (run.reports, run.evidence_files) == (2, 2) and run.events >= 2
    assert retention.purge_expired().reports == 0


# --- Logs -------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_it_logs_the_tracking_number_as_json_and_never_the_token(client, catalog, caplog):

    caplog.set_level(logging.INFO)
    file_report(client, "theft-other")
    report = Report.objects.get()
    [record] = [r for r in caplog.records if r.getMessage() == "Report filed"]
    # The formatter exactly as LOG_FORMAT=json configures it.
    configurator = logging.config.DictConfigurator(django_settings.LOGGING)
    formatter = configurator.configure_formatter(dict(django_settings.LOGGING["formatters"]["json"]))
    line = json.loads(formatter.format(record))
    assert line["tracking_number"] == report.tracking_number and line["level"] == "INFO"
    assert "alex@example.org" not in caplog.text and "Alex Resident" not in caplog.text


# --- Headers and the deploy check ---------------------------------------------------------------------


def production_env(**extra) -> dict:
    return {
        **os.environ,
        "DEBUG": "false",
        "SECURE": "true",
        "SECRET_KEY": secrets.token_urlsafe(64),
        "ALLOWED_HOSTS": "311.example.gov",
        "CSRF_TRUSTED_ORIGINS": "https://311.example.gov",
        "SITE_URL": "https://311.example.gov",
        "TRUSTED_PROXY_COUNT": "1",
        "LOG_FORMAT": "json",
        **extra,
    }


def test_it_passes_the_deploy_check_with_production_settings():
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=production_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.django_db
@pytest.mark.parametrize("page", ["home", "staff-login", "staff-home"])
def test_it_sends_the_security_headers(client, catalog, settings, page, report_taker):
    if page == "staff-home":  # a staff page behind both sign-in steps
        sign_in(client, report_taker)
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_HSTS_SECONDS, settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = 31536000, True
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = True
    assert client.get(reverse(page)).status_code == 301  # plain http goes to https

    response = client.get(reverse(page), secure=True)

    assert response.status_code == 200
    assert response["Strict-Transport-Security"].startswith("max-age=31536000")
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    policy = response["Content-Security-Policy"]
    assert (
        "default-src 'self'" in policy
        and "frame-ancestors 'none'" in policy
        and "unsafe-inline" not in policy
    )
    assert response.cookies["csrftoken"]["secure"]
