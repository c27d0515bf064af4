"""Redis goes away or hangs: residents still file, quickly, and the work goes out once the broker is back.

The deploy guide puts the broker (db 0) and the rate-limit cache (db 1) on one Redis. Each test starts its
own redis-server on a free port and stops it (SIGKILL) or freezes it (SIGSTOP) as the fault did; the web
server is gunicorn on a private PostgreSQL (see test_faults_database.py); workers and beat are processes.
"""

from __future__ import annotations

import time

import pytest
import requests
from django.urls import reverse

from . import test_faults_database as faults
from .conftest import wait_for
from .test_faults_database import (
    REQUEST_TIMEOUT,
    STAFF_PASSWORD,
    STAFF_USERNAME,
    Browser,
    Filing,
    RedisServer,
    confirmations,
    file_over_http,
    portal_environment,
    report_on,
    timed,
)

# Its own PostgreSQL/Redis or only files: the same whatever DATABASE_URL says (pyproject.toml markers).
pytestmark = pytest.mark.backend_independent

# The shared fixtures: the private PostgreSQL, the processes a test starts, the mail relay.
postgres, processes, relay = faults.postgres, faults.processes, faults.relay


def on_one_redis(redis: RedisServer) -> dict:
    """Broker and cache on one Redis, as docs/deploy.md lays them out."""
    return {"CELERY_BROKER_URL": redis.url(0), "CACHE_URL": redis.url(1)}


def staff_sign_in(base_url: str) -> int | None:
    browser = Browser(base_url)
    credentials = {"username": STAFF_USERNAME, "password": STAFF_PASSWORD}
    return timed("sign in", lambda: browser.post(reverse("staff-login"), credentials)).status


def waiting_for_the_sweeper(pg, name: str) -> int:
    """Outbox rows whose wake-up call never reached the broker, marked for the sweeper to send at once."""
    rows = pg.execute(
        name, "SELECT COUNT(*) FROM reports_outboxmessage WHERE state = 'pending' AND wake_failed"
    )
    return rows[0][0]


def sends(filings: list[Filing]) -> str:
    return ", ".join(
        f"{filing.steps[-1].seconds:.2f} s" if filing.filed else f"(stopped at {filing.steps[-1].name})"
        for filing in filings
    )


def test_it_files_and_signs_staff_in_while_redis_is_down(postgres, processes, catalog, tmp_path):
    pg, name = postgres
    with RedisServer() as redis:
        web = processes.gunicorn(portal_environment(tmp_path / "var", pg.url(name), **on_one_redis(redis)))
        warm = file_over_http(web.url)
        assert warm.filed, report_on("with Redis up", [warm])

        redis.kill()
        down = [file_over_http(web.url) for _ in range(3)]
        signed_in = staff_sign_in(web.url)

    print(f"Redis down: Send took {sends(down)}; staff sign-in answered {signed_in}")
    assert not report_on("Redis down", down), "filing needs Redis"
    assert signed_in == 302  # django-axes counts failures in the database, not in Redis
    # The limiter said why it let them through, and the work waits in the outbox for the broker.
    assert "rate limits are not counted" in web.output()
    assert waiting_for_the_sweeper(pg, name) == len(down)


def test_it_answers_within_seconds_while_redis_hangs(postgres, processes, catalog, tmp_path):
    pg, name = postgres
    with RedisServer() as redis:
        web = processes.gunicorn(portal_environment(tmp_path / "var", pg.url(name), **on_one_redis(redis)))
        warm = file_over_http(web.url)  # every pool now holds a connection that will hang
        assert warm.filed, report_on("with Redis up", [warm])

        redis.freeze()
        hung = [file_over_http(web.url) for _ in range(3)]
        health = timed("healthz", lambda: requests.get(web.url + "/healthz", timeout=REQUEST_TIMEOUT))

    steps = [step for filing in hung for step in filing.steps]
    print(
        f"Redis hung: slowest step {max(step.seconds for step in steps):.2f} s, Send took {sends(hung)}; "
        f"/healthz answered {health.status} in {health.seconds:.2f} s: {health.body}"
    )
    assert not report_on("Redis hung", hung), "a request waited on a frozen Redis"
    assert health.status == 503 and '"broker": {"ok": false' in health.body


def test_it_sends_what_was_filed_while_the_broker_was_down_soon_after_it_returns(
    postgres, processes, relay, catalog, tmp_path
):
    pg, name = postgres
    outage = 20  # seconds, as measured in issue 11
    with RedisServer() as redis:
        # Broker only: the cache stays the embedded default. Every OUTBOX_* setting keeps its default.
        env = portal_environment(
            tmp_path / "var", pg.url(name), CELERY_BROKER_URL=redis.url(0), **relay.environment()
        )
        web = processes.gunicorn(env)
        processes.worker(env)
        processes.beat(env)
        warm = file_over_http(web.url)
        assert warm.filed, report_on("with the broker up", [warm])
        assert wait_for(lambda: all(confirmations(pg, name, relay).values()), timeout=90)

        redis.kill()
        went_down = time.monotonic()
        down = [file_over_http(web.url) for _ in range(3)]
        assert not report_on("broker down", down)
        time.sleep(max(0.0, outage - (time.monotonic() - went_down)))
        redis.start()  # empty, as after a restart
        came_back = time.monotonic()
        assert wait_for(lambda: all(confirmations(pg, name, relay).values()), timeout=60), (
            "what was filed during the outage did not go out within a minute of the broker's return"
        )

    sent = confirmations(pg, name, relay)
    print(
        f"broker down {outage} s: Send took {sends(down)}; after it came back the confirmations went out in "
        + ", ".join(f"{min(c.at for c in copies) - came_back:.1f} s" for copies in list(sent.values())[1:])
    )
    assert all(len(copies) == 1 for copies in sent.values())
