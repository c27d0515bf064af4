"""Who is asking, and where their requests are counted: the client address and the rate-limit cache."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

import redis
from django.conf import settings
from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache
from django.http import HttpRequest

log = logging.getLogger(__name__)

# After a failed call this process leaves Redis alone for a while: a Redis that hangs then costs one
# request one timeout (REDIS_TIMEOUT_MS), not every request several.
PAUSE_SECONDS = 5.0
_paused_until = 0.0


def client_address(request: HttpRequest) -> str:
    # X-Forwarded-For is believed only as far as our own proxies wrote it: with N trusted proxies the
    # client is the N-th address from the right; anything further left may be forged.
    count = settings.TRUSTED_PROXY_COUNT
    if count:
        hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
        if len(hops) >= count:
            return hops[-count]
    return request.META.get("REMOTE_ADDR", "")


class FailOpenRedisCache(RedisCache):
    """Django's Redis cache, for counts that must never cost a resident their report.

    django-ratelimit's RATELIMIT_FAIL_OPEN lets a request through only when a count comes back empty; a
    Redis that is down raises from add() instead, and the resident got an error page. Here a call that
    fails answers "nothing counted" (and the limiter lets the request through), with a warning, and Redis
    is not asked again for PAUSE_SECONDS. Timeouts come from OPTIONS (settings.cache_from_url)."""

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._or(False, super().add, key, value, timeout, version)

    def get(self, key, default=None, version=None):
        return self._or(default, super().get, key, default, version)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._or(None, super().set, key, value, timeout, version)

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        return self._or(False, super().touch, key, timeout, version)

    def delete(self, key, version=None):
        return self._or(False, super().delete, key, version)

    def get_many(self, keys, version=None):
        return self._or({}, super().get_many, keys, version)

    def has_key(self, key, version=None):
        return self._or(False, super().has_key, key, version)

    def incr(self, key, delta=1, version=None):
        # None, not an exception: django-ratelimit reads it as "no count" and fails open.
        return self._or(None, super().incr, key, delta, version)

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        return self._or(list(data), super().set_many, data, timeout, version)

    def delete_many(self, keys, version=None):
        return self._or(None, super().delete_many, keys, version)

    def clear(self):
        return self._or(False, super().clear)

    def ping(self) -> bool:
        """For /healthz: asks Redis even during a pause, and raises when it does not answer."""
        return self._cache.get_client(write=False).ping()

    def _or(self, fallback: Any, call: Callable[..., Any], *args: Any) -> Any:
        global _paused_until
        if time.monotonic() < _paused_until:
            return fallback
        try:
            return call(*args)
        except redis.RedisError as exc:
            _paused_until = time.monotonic() + PAUSE_SECONDS
            log.warning(
                "Rate-limit cache unreachable, rate limits are not counted for %.0f s: %s: %s",
                PAUSE_SECONDS,
                type(exc).__name__,
                exc,
            )
            return fallback
