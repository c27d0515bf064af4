"""Is this installation able to take and process reports? Answers for /healthz and operators."""

from __future__ import annotations

import shutil
import time
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as NoAnswer
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.core.cache import caches
from django.core.files.storage import FileSystemStorage, storages
from django.db import connection
from django.utils import timezone

from .models import WorkerHeartbeat
from .ratelimits import FailOpenRedisCache

WORKER = "worker"
# The broker and the cache are asked side by side, each in a thread, and given up on after this long: a
# Redis that hangs makes /healthz answer 503 at once instead of keeping the load balancer waiting.
ANSWER_SECONDS = 1.5
_askers = ThreadPoolExecutor(max_workers=4, thread_name_prefix="healthz")


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str
    # Something a person must act on soon that does not stop the service: /healthz still answers 200.
    warning: bool = False


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
            conn.ensure_connection(max_retries=0, timeout=ANSWER_SECONDS)
    except Exception as exc:
        return Check("broker", False, type(exc).__name__)
    return Check("broker", True, url.split("://", 1)[0])


def shared_cache() -> FailOpenRedisCache | None:
    """The rate-limit cache when it is a service of its own (Redis); the embedded one needs no check."""
    cache = caches["default"]
    return cache if isinstance(cache, FailOpenRedisCache) else None


def cache() -> Check:
    try:
        shared_cache().ping()
    except Exception as exc:
        return Check("cache", False, type(exc).__name__)
    return Check("cache", True, "redis")


def _writable(folder: Path) -> bool:
    import os

    return os.access(folder, os.W_OK)


def evidence_space() -> Check:
    """Free space where evidence is written (a folder only: a bucket does not fill up)."""
    storage = storages["evidence"]
    if not isinstance(storage, FileSystemStorage):
        return Check("evidence_space", True, type(storage).__name__)
    folder = Path(storage.location)
    while not folder.exists() and folder != folder.parent:  # made on the first upload: measure its parent
        folder = folder.parent
    try:
        free_mb = shutil.disk_usage(folder).free // (1024 * 1024)
    except OSError as exc:
        return Check("evidence_space", False, type(exc).__name__)
    low = free_mb < settings.EVIDENCE_MIN_FREE_MB
    return Check("evidence_space", True, f"{free_mb} MB free", warning=low)


def worker() -> Check:
    beat = WorkerHeartbeat.objects.filter(name=WORKER).first()
    if beat is None:
        return Check("worker", False, "no heartbeat yet")
    age = timezone.now() - beat.seen_at
    fresh = age <= timedelta(seconds=settings.HEALTH_WORKER_MAX_AGE_SECONDS)
    return Check("worker", fresh, f"last heartbeat {int(age.total_seconds())} s ago")


def all_checks() -> list[Check]:
    deadline = time.monotonic() + ANSWER_SECONDS
    asked = {"broker": _askers.submit(broker)}
    if shared_cache() is not None:
        asked["cache"] = _askers.submit(cache)
    first = database()
    # Without a database the worker's heartbeat cannot be read either.
    last = worker() if first.ok else Check("worker", False, "database unavailable")
    answers = [answer(name, future, deadline) for name, future in asked.items()]
    return [first, *answers, last, evidence_space()]


def answer(name: str, future: Future[Check], deadline: float) -> Check:
    try:
        return future.result(timeout=max(deadline - time.monotonic(), 0))
    except NoAnswer:
        return Check(name, False, f"no answer within {ANSWER_SECONDS} s")


def beat() -> None:
    WorkerHeartbeat.objects.update_or_create(name=WORKER, defaults={"seen_at": timezone.now()})
