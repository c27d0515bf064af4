"""Is this installation able to take and process reports? Answers for /healthz and operators."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.db import connection
from django.utils import timezone

from .models import WorkerHeartbeat

WORKER = "worker"


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str


def database() -> Check:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as exc:
        return Check("database", False, type(exc).__name__)
    return Check("database", True, connection.vendor)


def broker() -> Check:
    from portal.celery import app

    url = app.conf.broker_write_url or app.conf.broker_url
    if url.startswith("filesystem"):
        folder = Path(app.conf.broker_transport_options["data_folder_in"])
        return Check("broker", folder.is_dir() and _writable(folder), "filesystem")
    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
    except Exception as exc:
        return Check("broker", False, type(exc).__name__)
    return Check("broker", True, url.split("://", 1)[0])


def _writable(folder: Path) -> bool:
    import os

    return os.access(folder, os.W_OK)


def worker() -> Check:
    beat = WorkerHeartbeat.objects.filter(name=WORKER).first()
    if beat is None:
        return Check("worker", False, "no heartbeat yet")
    age = timezone.now() - beat.seen_at
    fresh = age <= timedelta(seconds=settings.HEALTH_WORKER_MAX_AGE_SECONDS)
    return Check("worker", fresh, f"last heartbeat {int(age.total_seconds())} s ago")


def all_checks() -> list[Check]:
    first = database()
    if not first.ok:  # without a database the worker's heartbeat cannot be read either
        return [first, broker(), Check("worker", False, "database unavailable")]
    return [first, broker(), worker()]


def beat() -> None:
    WorkerHeartbeat.objects.update_or_create(name=WORKER, defaults={"seen_at": timezone.now()})
