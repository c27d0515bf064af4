"""What the hand-off to Traffic Control promises, proven with real parts: nothing is ever lost.

Real Celery workers run as subprocesses (so one can be killed with SIGKILL) on the test database and the
configured broker; Traffic Control is the example receiver on loopback (see test_handoff.py). Filing goes
through reports.filing, whose transaction writes the outbox row and sends the task on commit. The
sweeper is called directly, as beat would call it. The suite runs on the embedded default (SQLite and
the filesystem broker) and on PostgreSQL + Redis (DATABASE_URL, CELERY_BROKER_URL).
"""

from __future__ import annotations

import os
import shlex
import shutil
import signal
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from itertools import pairwise
from pathlib import Path
from urllib.parse import quote

import pytest
from django.db import connection

from portal.celery import app as celery_app
from reports import tasks
from reports.models import OutboxMessage, Report, ReportEvent
from traffic.models import DeliveryAttempt, TrafficEndpoint

from .conftest import require, wait_for
from .test_handoff import (
    NEW_SECRET,
    OLD_SECRET,
    LoopbackReceiver,
    file_parking,
    free_port,
    handoffs,
    listening,
)
from .test_outbox import broker_down, reset_producers

pytestmark = pytest.mark.worker

ROOT = Path(__file__).resolve().parent.parent
CELERY = Path(sys.executable).with_name("celery")  # the one beside our Python: .venv/bin
LEASE_SECONDS = 3  # a killed worker's row is free again this soon
STUCK_SECONDS = 1  # the sweeper re-sends a row this long after it was due
RETRY_BASE_SECONDS = 2  # backoff: 1-2 s, 2-4 s, 4-8 s, ...


def database_url() -> str:
    """The test database, as the worker subprocess must reach it."""
    db = connection.settings_dict
    if db["ENGINE"] == "django.db.backends.sqlite3":
        return f"sqlite:///{db['NAME']}"
    credentials = quote(db["USER"] or "")
    if db["PASSWORD"]:
        credentials += ":" + quote(db["PASSWORD"])
    host = f"{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
    return f"postgres://{credentials}@{host}/{db['NAME']}"


SOLO = ("--pool", "solo")


def procfile_pool() -> tuple[str, ...]:
    """The pool and concurrency of the worker `make run` starts (the Procfile; the systemd unit says the
    same, which test_deploy_nginx.py checks)."""
    line = next(line for line in (ROOT / "Procfile").read_text().splitlines() if line.startswith("worker:"))
    words = shlex.split(line.removeprefix("worker:"))
    return tuple(
        word
        for option in ("--pool", "--concurrency")
        for word in (option, words[words.index(option) + 1])
        if option in words
    )


class Worker:
    """`celery worker` as a real process: solo pool unless told, so SIGKILL stops the delivery in its
    tracks."""

    def __init__(self, env: dict, log: Path, pool: tuple[str, ...] = SOLO):
        self.log = log
        self.process = subprocess.Popen(
            [str(CELERY), "--app", "portal", "worker", *pool, "--loglevel", "WARNING"]
            + ["--hostname", f"{log.stem}@%h", "--without-mingle", "--without-gossip", "--without-heartbeat"],
            cwd=ROOT,
            env=env,
            stdout=log.open("w"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def kill(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()  # warm shutdown: the task in hand is finished first
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()


class Workers:
    def __init__(self, settings, tmp_path: Path):
        self.settings, self.tmp_path, self.started = settings, tmp_path, []

    def start(self, broker_url: str | None = None, pool: tuple[str, ...] = SOLO) -> Worker:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "portal.settings",
            "VAR_DIR": str(self.settings.VAR_DIR),
            "DATABASE_URL": database_url(),
            "CELERY_BROKER_URL": broker_url or self.settings.CELERY_BROKER_URL,
            "TRAFFIC_HANDOFF": "webhook",
            "TRAFFIC_ALLOW_PRIVATE_URLS": "true",  # the receiver is on loopback
            "OUTBOX_LEASE_SECONDS": str(LEASE_SECONDS),
            "OUTBOX_STUCK_SECONDS": str(STUCK_SECONDS),
            "OUTBOX_RETRY_BASE_SECONDS": str(RETRY_BASE_SECONDS),
            "LOG_LEVEL": "WARNING",
        }
        worker = Worker(env, self.tmp_path / f"worker{len(self.started) + 1}.log", pool)
        self.started.append(worker)
        return worker

    def stop_all(self) -> None:
        for worker in self.started:  # all at once: each takes a few seconds to shut down
            if worker.process.poll() is None:
                worker.process.terminate()
        for worker in self.started:
            worker.stop()
        for worker in self.started:  # shown by pytest when the test failed
            print(f"--- {worker.log.name}\n{worker.log.read_text()[-3000:]}")


@pytest.fixture
def workers(transactional_db, catalog, settings, tmp_path):
    settings.TRAFFIC_HANDOFF = "webhook"
    settings.TRAFFIC_ALLOW_PRIVATE_URLS = True
    settings.OUTBOX_LEASE_SECONDS = LEASE_SECONDS
    settings.OUTBOX_STUCK_SECONDS = STUCK_SECONDS
    settings.OUTBOX_RETRY_BASE_SECONDS = RETRY_BASE_SECONDS
    celery_app.control.purge()  # nothing left over from other tests
    running = Workers(settings, tmp_path)
    yield running
    running.stop_all()  # before the database is flushed or dropped under them


@pytest.fixture
def receiver():
    with LoopbackReceiver(NEW_SECRET) as running:
        yield running


def add_endpoint(url: str) -> TrafficEndpoint:
    return TrafficEndpoint.objects.create(
        name="Traffic Control CAD", url=url, secrets=f"{OLD_SECRET}\n{NEW_SECRET}"
    )


def all_done(reports: list[Report]) -> bool:
    pending = OutboxMessage.objects.filter(kind=OutboxMessage.Kind.TRAFFIC_HANDOFF, report__in=reports)
    return not pending.exclude(state=OutboxMessage.State.DONE).exists()


def sweep_until(predicate, timeout: float, every: float = 1.0) -> bool:
    """What beat does in production: run the sweeper every so often until the work is done."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        tasks.sweep_outbox()
        time.sleep(every)
    return predicate()


def assert_each_delivered_once(receiver: LoopbackReceiver, reports: list[Report]) -> None:
    expected = {f"handoff_{handoffs(report).get().pk}" for report in reports}
    delivered = receiver.delivered_ids()
    assert set(delivered) == expected
    assert sorted(ticket["ticket_id"] for ticket in receiver.dispatched) == sorted(
        report.tracking_number for report in reports
    )
    handed_off = ReportEvent.objects.filter(kind=ReportEvent.Kind.HANDED_OFF, report__in=reports)
    assert sorted(handed_off.values_list("data__webhook_id", flat=True)) == sorted(expected)


def test_it_delivers_once_after_the_worker_is_killed_mid_delivery(workers, receiver):
    add_endpoint(receiver.url)
    held, release = threading.Event(), threading.Event()

    def hold_the_first_answer():  # the receiver has acted on it; our 200 is not sent yet
        if not held.is_set():
            held.set()
            release.wait(30)

    receiver.before_ok = hold_the_first_answer
    worker = workers.start()
    report = file_parking().report
    assert wait_for(held.is_set, timeout=60), "the worker never delivered"

    worker.kill()
    release.set()

    message = handoffs(report).get()
    assert message.state == "pending" and message.attempts == 1
    assert not report.events.filter(kind=ReportEvent.Kind.HANDED_OFF).exists()  # never marked sent
    workers.start()
    assert sweep_until(lambda: all_done([report]), timeout=60)

    assert_each_delivered_once(receiver, [report])
    assert [seen.webhook_id for seen in receiver.requests] == [f"handoff_{message.pk}"] * 2
    assert len(receiver.dispatched) == 1  # the receiver deduplicated the redelivery by webhook-id
    message.refresh_from_db()
    # The killed attempt left no DeliveryAttempt row (it died before it could write one); the row's
    # attempt counter, taken with the claim, still counts it.
    assert message.attempts == 2 and message.attempts_made.get().status_code == 200


def test_the_worker_make_run_starts_delivers_several_at_a_time(workers, receiver):
    """A dispatch system may take seconds to answer: the worker in the Procfile keeps sending the other
    hand-offs meanwhile. Here each request waits until four deliveries have arrived at once, which a worker
    sending one at a time never reaches."""
    add_endpoint(receiver.url)
    together = threading.Barrier(4, timeout=20)
    receiver.on_arrival = together.wait
    workers.start(pool=procfile_pool())
    reports = [file_parking().report for _ in range(4)]

    assert sweep_until(lambda: all_done(reports), timeout=40)
    assert_each_delivered_once(receiver, reports)
    assert not together.broken


def test_it_delivers_everything_in_backoff_order_when_the_receiver_returns(workers):
    port = free_port()
    add_endpoint(f"http://127.0.0.1:{port}/hooks/311")  # nothing listens there yet
    workers.start()
    reports = [file_parking().report for _ in range(3)]
    messages = [handoffs(report).get() for report in reports]

    def refused_three_times() -> bool:
        return all(m.attempts_made.count() >= 3 for m in messages)

    assert wait_for(refused_three_times, timeout=60)
    with LoopbackReceiver(NEW_SECRET, port=port) as receiver:
        # When each is due, read while none is being tried: a try under way as the receiver came up may
        # still fail (it connected before) and be put off, or succeed at once, ahead of its turn.
        def in_no_try() -> list[OutboxMessage] | None:
            rows = list(OutboxMessage.objects.filter(pk__in=[m.pk for m in messages]))
            trying = [r for r in rows if r.state == OutboxMessage.State.PENDING and r.claimed_until]
            return None if trying else rows

        rows = wait_for(in_no_try, timeout=30, interval=0.01)
        assert rows
        waiting = [r for r in rows if r.state == OutboxMessage.State.PENDING]
        delivered_before = len(rows) - len(waiting)
        assert wait_for(lambda: all_done(reports), timeout=60)

    assert_each_delivered_once(receiver, reports)
    # After it came back, each message went out when its own backoff said, not all at once.
    due = [f"handoff_{r.pk}" for r in sorted(waiting, key=lambda r: r.available_at)]
    assert receiver.delivered_ids()[delivered_before:] == due
    for message in messages:
        attempts = list(message.attempts_made.all())
        assert [a.status_code for a in attempts][-1] == 200
        assert all(a.status_code is None and "ConnectionError" in a.error for a in attempts[:-1])
        gaps = [(b.started_at - a.started_at).total_seconds() for a, b in pairwise(attempts)]
        floors = [RETRY_BASE_SECONDS * 2**n / 2 for n in range(len(gaps))]
        assert all(gap >= floor for gap, floor in zip(gaps, floors, strict=True)), gaps  # never early
        assert all(later >= earlier - 0.1 for earlier, later in pairwise(gaps)), gaps  # and growing
        assert gaps[-1] > 2 * gaps[0], gaps


@contextmanager
def private_redis(port: int):
    """A Redis of our own on a free port, which the test may kill and restart: never the shared one."""
    binary = shutil.which("redis-server") or "/usr/bin/redis-server"
    require(Path(binary).exists(), "redis-server is not installed (Debian package redis-server)")
    command = [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
    server = {"process": None}

    def start():
        server["process"] = subprocess.Popen(command, stdout=subprocess.DEVNULL, start_new_session=True)
        assert wait_for(lambda: listening(port), timeout=20), "redis-server did not start"

    def kill():
        server["process"].kill()
        server["process"].wait(timeout=20)

    start()
    try:
        yield start, kill
    finally:
        if server["process"].poll() is None:
            kill()


@contextmanager
def producer_on(broker_url: str):
    original = celery_app.conf.broker_write_url
    celery_app.conf.broker_write_url = broker_url
    reset_producers()
    try:
        yield
    finally:
        celery_app.conf.broker_write_url = original
        reset_producers()


def test_it_hands_off_everything_filed_while_the_broker_was_down(workers, receiver, settings):
    add_endpoint(receiver.url)
    if settings.CELERY_BROKER_URL.startswith("filesystem"):
        reports = file_through_a_broken_folder(workers)
    else:
        reports = file_through_a_redis_that_dies(workers)

    assert_each_delivered_once(receiver, reports)
    assert len(receiver.requests) == len(reports)


def file_through_a_broken_folder(workers: Workers) -> list[Report]:
    """The embedded default: the broker is a folder, made unreachable the way test_outbox does."""
    workers.start()
    before = [file_parking().report for _ in range(2)]
    assert wait_for(lambda: all_done(before), timeout=60)
    with broker_down():
        during = [file_parking().report for _ in range(2)]  # filing does not need the broker
        assert all(handoffs(report).get().state == "pending" for report in during)
    after = [file_parking().report for _ in range(2)]
    reports = before + during + after
    assert sweep_until(lambda: all_done(reports), timeout=90)
    return reports


def file_through_a_redis_that_dies(workers: Workers) -> list[Report]:
    """A Redis of our own, killed while reports are filed and started again empty on the same port."""
    port = free_port()
    url = f"redis://127.0.0.1:{port}/0"
    with private_redis(port) as (start_redis, kill_redis), producer_on(url):
        workers.start(broker_url=url)
        before = [file_parking().report for _ in range(2)]
        assert wait_for(lambda: all_done(before), timeout=60)
        during = [file_parking().report for _ in range(2)]  # on their way when Redis dies
        kill_redis()
        during += [file_parking().report for _ in range(2)]  # filing does not need the broker
        assert all(handoffs(report).get().state == "pending" for report in during[2:])
        start_redis()  # empty: whatever it held is gone
        reset_producers()
        after = [file_parking().report for _ in range(2)]
        reports = before + during + after
        assert sweep_until(lambda: all_done(reports), timeout=90)
    return reports


def test_it_delivers_a_thousand_reports_none_lost_none_twice(workers, receiver):
    add_endpoint(receiver.url)
    workers.start()
    workers.start()

    reports = [file_parking(vehicle_plate=f"K{n:05d}").report for n in range(1000)]

    assert sweep_until(lambda: all_done(reports), timeout=180, every=5)
    delivered = receiver.delivered_ids()
    print(
        f"1,000 parking reports: {len(set(delivered))} distinct webhook-ids delivered, "
        f"{len(receiver.requests)} requests in all, {len(receiver.dispatched)} dispatched"
    )
    assert len(set(delivered)) == 1000  # none lost
    assert len(receiver.dispatched) == 1000  # none dispatched twice
    assert_each_delivered_once(receiver, reports)
    assert DeliveryAttempt.objects.count() == len(receiver.requests)
