"""Versions in the shared cache: how a process knows that its copy of something many requests read and
few change (the catalog, the staff's permissions, their second factors) is still current.

A version is a value in the shared cache (CACHES: diskcache on one machine, Redis in a deployment).
Whatever changes the thing gives it a new version, and every process reads the thing afresh at its next
request. A request reads each version once, at its first use, and keeps it until the request ends: the
page is built from one copy, and a page that asks three times costs one cache read, not three. Outside a
request (a Celery task, a management command) every read goes to the cache.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from typing import Generic, TypeVar

from django.core.cache import cache
from django.core.signals import request_finished, request_started
from django.db import transaction

# Each thread serves one request at a time (gunicorn's threads, the development server's): the versions
# the current request has read, or None outside a request.
_request = threading.local()


class Version:
    def __init__(self, key: str) -> None:
        self.key = key

    def get(self) -> str:
        read = getattr(_request, "read", None)
        if read is not None and self.key in read:
            return read[self.key]
        current = cache.get(self.key)
        if current is None:  # a new or cleared cache: any copy a process holds may be stale
            cache.add(self.key, uuid.uuid4().hex, timeout=None)
            current = cache.get(self.key)
        if read is not None:
            read[self.key] = current
        return current

    def bump(self) -> None:
        """A new version: every process, this request included, reads the thing afresh."""
        new = uuid.uuid4().hex
        cache.set(self.key, new, timeout=None)
        read = getattr(_request, "read", None)
        if read is not None:
            read[self.key] = new

    def changed(self) -> None:
        """The thing changed: a new version now, for this transaction's own reads, and once more after
        the commit, so that no process keeps what it read before the change was visible."""
        self.bump()
        transaction.on_commit(self.bump)


T = TypeVar("T")


class PerVersion(Generic[T]):
    """A process's copy of something (made empty by `fresh`, filled as it is read), started afresh whenever
    the version moves. One per process, shared by its threads: add to what it holds, never change what
    is already in it (another request may be reading it)."""

    def __init__(self, version: Version, fresh: Callable[[], T]) -> None:
        self.version, self.fresh = version, fresh
        self._kept: tuple[str | None, T] = (None, fresh())
        self._lock = threading.Lock()

    def current(self) -> T:
        latest = self.version.get()
        with self._lock:
            if self._kept[0] != latest:
                self._kept = (latest, self.fresh())
            return self._kept[1]


def request_began(**kwargs) -> None:
    _request.read = {}


def request_ended(**kwargs) -> None:
    _request.read = None


def connect() -> None:
    request_started.connect(request_began, dispatch_uid="versions-request-began")
    request_finished.connect(request_ended, dispatch_uid="versions-request-ended")
