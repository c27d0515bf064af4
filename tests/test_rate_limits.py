"""Rate limits: counted together by every process, per client address, and not escaped by a forged header.

The counters live in the cache named by CACHE_URL: Redis in production, and by default one SQLite file
(diskcache's Django cache, a folder of SQLite files) that every process on the machine shares.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.core.cache import cache
from django.test import Client, RequestFactory
from django.urls import reverse
from django_ratelimit.core import get_usage

from portal.settings import cache_from_url
from reports.models import Draft, Report

from .conftest import require
from .factories import status_link
from .flows import SAFE_ANSWERS, details_for, file_report

ROOT = Path(__file__).resolve().parent.parent
REDIS_URL = "redis://127.0.0.1:6379/3"
HITS_PER_PROCESS = 400
LIMIT_GROUP = dict(group="cross-process", key="ip", rate="1000000/d")  # a day: no window ends mid-test

# Each process sets Django up, says it is ready, waits for the go, then counts as fast as it can through
# django-ratelimit itself, the way a rate-limited view does.
COUNTER = """
import sys, time
from pathlib import Path
import django
django.setup()
from django.test import RequestFactory
from django_ratelimit.core import is_ratelimited

hits, ready, go = int(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
request = RequestFactory().post("/", REMOTE_ADDR="198.51.100.20")
ready.touch()
deadline = time.monotonic() + 60
while not go.exists() and time.monotonic() < deadline:
    time.sleep(0.001)
for _ in range(hits):
    is_ratelimited(request, group="cross-process", key="ip", rate="1000000/d", increment=True)
"""


def redis_reachable() -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


def count_in_two_processes(cache_url: str, tmp_path: Path) -> None:
    env = {**os.environ, "CACHE_URL": cache_url, "DJANGO_SETTINGS_MODULE": "portal.settings"}
    go = tmp_path / "go"
    ready = [tmp_path / f"ready-{n}" for n in range(2)]
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", COUNTER, str(HITS_PER_PROCESS), str(flag), str(go)], cwd=ROOT, env=env
        )
        for flag in ready
    ]
    try:
        deadline = time.monotonic() + 60
        while not all(flag.exists() for flag in ready) and time.monotonic() < deadline:
            time.sleep(0.01)
        go.touch()
        assert [process.wait(timeout=120) for process in processes] == [0, 0]
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()


@pytest.mark.parametrize("store", ["embedded", "redis"])
def test_two_processes_counting_at_once_lose_no_hit(store, settings, tmp_path):
    if store == "redis":
        require(redis_reachable(), f"Redis is not reachable at {REDIS_URL}")
        cache_url = REDIS_URL
    else:
        cache_url = f"diskcache://{tmp_path / 'cache'}"
    settings.CACHES = {"default": cache_from_url(cache_url)}
    cache.clear()

    count_in_two_processes(cache_url, tmp_path)

    request = RequestFactory().post("/", REMOTE_ADDR="198.51.100.20")
    assert get_usage(request, increment=False, **LIMIT_GROUP)["count"] == 2 * HITS_PER_PROCESS
    cache.clear()


def test_the_embedded_store_is_the_default_and_keeps_django_s_cache_contract(settings, tmp_path):
    from portal.caches import KeptDiskCache

    assert cache_from_url("diskcache:///var/x/cache")["LOCATION"] == "/var/x/cache"
    assert settings.CACHES["default"]["BACKEND"] == "portal.caches.KeptDiskCache" or os.environ.get(
        "CACHE_URL"
    )
    store = KeptDiskCache(str(tmp_path / "cache"), {})
    assert store.add("n", 1) and not store.add("n", 5)
    assert store.incr("n") == 2 and store.incr("n", 10) == 12 and store.get("n") == 12
    store.set("things", {"a": [1, 2]})
    store.set("flag", True)
    assert store.get("things") == {"a": [1, 2]} and store.get("flag") is True
    with pytest.raises(ValueError):
        store.incr("missing")
    with pytest.raises(TypeError):  # as Django's own caches do
        store.incr("things")
    store.set("gone", 1, timeout=0)
    assert store.get("gone", "default") == "default" and store.add("gone", 7) and store.get("gone") == 7
    assert store.delete("n") and not store.has_key("n")
    store.clear()
    assert store.get("things") is None


def test_the_embedded_store_keeps_its_connections_when_a_request_ends_and_still_sees_others_writes(
    tmp_path,
):
    from portal.caches import KeptDiskCache

    store, other_process = (KeptDiskCache(str(tmp_path / "cache"), {}) for _ in range(2))
    store.set("version", "one")
    store.get("version")

    def connections() -> list:
        return [getattr(shard._local, "con", None) for shard in store._cache._shards]

    before = connections()
    store.close()  # what Django's close_caches does at the end of every request
    other_process.set("version", "two")

    assert store.get("version") == "two"
    assert any(before) and connections() == before


# --- Per client address, and the header that could be forged -----------------------------------------


CLIENT, NEIGHBOUR, PROXY = "203.0.113.5", "203.0.113.6", "10.0.0.1"


def browser_at(address: str, trusted_proxies: int) -> tuple[Client, dict]:
    """A browser, and the headers its requests arrive with: straight from the client, or via our proxy."""
    if trusted_proxies == 0:
        return Client(REMOTE_ADDR=address), {}
    return Client(REMOTE_ADDR=PROXY), {"HTTP_X_FORWARDED_FOR": address}


def forged(headers: dict, n: int) -> dict:
    # The client writes any X-Forwarded-For it likes; a trusted proxy appends the address it saw.
    fake = f"198.51.100.{n % 250}, 192.0.2.{n % 200}"
    real = headers.get("HTTP_X_FORWARDED_FOR")
    return {"HTTP_X_FORWARDED_FOR": f"{fake}, {real}" if real else fake}


class Filing:
    limit = 10  # FILING_RATE: reports filed, not attempts
    allowed = (302,)  # filed

    def prepare(self, browser, headers):
        pass

    def send(self, browser, headers):
        screen = reverse("report-eligibility", args=["parking-double-parked"])
        assert browser.post(screen, SAFE_ANSWERS, **headers).status_code == 302
        details = details_for("parking-double-parked")
        assert browser.post(reverse("report-details"), details, **headers).status_code == 302
        return browser.post(reverse("report-review"), {"confirm": "on", "send": "1"}, **headers).status_code


class StatusReply:
    limit = 300  # FILING_STEP_RATE
    allowed = (302,)

    def prepare(self, browser, headers):
        if not Draft.objects.exists():
            assert file_report(Client(REMOTE_ADDR="192.0.2.99"), "theft-other").status_code == 302
        self.token = status_link(Report.objects.get())

    def send(self, browser, headers):
        url = reverse("report-status-reply", args=[self.token])
        return browser.post(url, {"text": "More detail."}, **headers).status_code


class Open311Post:
    limit = 5  # OPEN311_RATE, set in the test
    allowed = (403,)

    def prepare(self, browser, headers):
        pass

    def send(self, browser, headers):
        # No key: counted per address, then refused for want of a key.
        params = {"service_code": "parking-fire-hydrant", "address_string": "350 S 5th St"}
        url = reverse("open311-requests", kwargs={"fmt": "json"})
        return browser.post(url, params, **headers).status_code


ENDPOINTS = {"filing form": Filing, "status reply": StatusReply, "open311 post": Open311Post}


@pytest.mark.parametrize("trusted_proxies", [0, 1])
@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_a_forged_forwarded_for_does_not_escape_the_limit(catalog, settings, endpoint, trusted_proxies):
    settings.TRUSTED_PROXY_COUNT = trusted_proxies
    settings.OPEN311_RATE = "5/m"
    flow = ENDPOINTS[endpoint]()
    browser, headers = browser_at(CLIENT, trusted_proxies)
    flow.prepare(browser, headers)

    statuses = [flow.send(browser, forged(headers, n)) for n in range(flow.limit + 1)]

    assert set(statuses[: flow.limit]) <= set(flow.allowed), statuses
    assert statuses[-1] == 429
    # Another resident, at another address (or behind the same proxy), is not held back.
    neighbour, neighbour_headers = browser_at(NEIGHBOUR, trusted_proxies)
    flow.prepare(neighbour, neighbour_headers)
    assert flow.send(neighbour, neighbour_headers) in flow.allowed


def test_behind_one_trusted_proxy_the_right_most_address_is_the_client(settings):
    from reports.ratelimits import client_address

    settings.TRUSTED_PROXY_COUNT = 1
    request = RequestFactory().get("/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=f"6.6.6.6, 7.7.7.7, {CLIENT}")
    assert client_address(request) == CLIENT
    settings.TRUSTED_PROXY_COUNT = 0
    assert client_address(request) == PROXY


@pytest.mark.django_db
def test_it_limits_status_link_lookups_per_address():
    from django.test import Client

    # STATUS_LOOKUP_RATE is 120/h: the 121st lookup from one address is refused.
    prober = Client(REMOTE_ADDR="203.0.113.50")
    codes = [prober.get(f"/status/{'x' * 30}{n}/").status_code for n in range(121)]
    assert set(codes[:120]) == {404} and codes[120] == 429
    assert Client(REMOTE_ADDR="203.0.113.51").get(f"/status/{'y' * 32}/").status_code == 404
