"""Edges of reports/outbox.py found by mutation testing: the task each wake-up call puts on the broker
(read back from the filesystem broker's folder, as a worker would find it), what a refused wake-up call
leaves for the sweeper, the leases by kind, the backoff's range, which rows the sweeper sends again, and
which rows a withdrawn report's cancellation reaches.
"""

from __future__ import annotations

import json
import logging
import random
from base64 import b64decode
from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest
from django.conf import settings
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from reports import outbox
from reports.models import OutboxMessage

from .factories import make_report
from .test_outbox import broker_down

pytestmark = pytest.mark.django_db
# These read the tasks back from the filesystem broker's folder: the default setup's, so .ci/run's second
# pass (a Redis broker) leaves them out.
FILESYSTEM_BROKER = pytest.mark.backend_independent

Kind, State = OutboxMessage.Kind, OutboxMessage.State


@dataclass(frozen=True)
class Sent:
    task: str
    args: list
    eta: datetime | None


class Broker:
    """The tasks put on the filesystem broker since it was made (no worker takes them in these tests)."""

    def __init__(self) -> None:
        self.folder = settings.BROKER_DIR / "queue"
        self.before = self.names()

    def names(self) -> set[str]:
        return set(p.name for p in self.folder.iterdir()) if self.folder.exists() else set()

    def sent(self) -> list[Sent]:
        tasks = []
        for name in sorted(self.names() - self.before):
            message = json.loads((self.folder / name).read_text())
            args, _kwargs, _embed = json.loads(b64decode(message["body"]))
            eta = message["headers"]["eta"]
            tasks.append(Sent(message["headers"]["task"], args, eta and datetime.fromisoformat(eta)))
        return tasks


@pytest.fixture
def broker():
    # Nothing takes these tasks here; a worker in a later test would, so they are taken off again.
    tasks = Broker()
    yield tasks
    for name in tasks.names() - tasks.before:
        (tasks.folder / name).unlink(missing_ok=True)


def message(key: str = "k", kind: str = Kind.EMAIL, **fields) -> OutboxMessage:
    return OutboxMessage.objects.create(kind=kind, dedupe_key=key, payload={}, **fields)


def refuse_updates(execute, sql, params, many, context):
    if sql.startswith("UPDATE"):
        raise DatabaseError("database is locked")
    return execute(sql, params, many, context)


def warnings_of(caplog) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "reports.outbox" and r.levelno == logging.WARNING]


# --- Waking a worker ---------------------------------------------------------------------------------


@FILESYSTEM_BROKER
def test_it_sends_the_run_task_with_the_message_id_and_its_delay(broker):
    before = timezone.now()

    assert outbox.wake_worker(41, 90) is True
    assert outbox.wake_worker(42) is True

    # The broker's file names order tasks sent in the same instant at random: each is found by its message.
    sent = {task.args[0]: task for task in broker.sent()}
    later, now = sent[41], sent[42]
    assert later.task == outbox.RUN_TASK and len(sent) == 2
    assert before + timedelta(seconds=90) <= later.eta <= timezone.now() + timedelta(seconds=90)
    assert now == Sent(outbox.RUN_TASK, [42], None)  # no countdown: at once


@FILESYSTEM_BROKER
def test_it_marks_a_pending_message_for_the_sweeper_when_the_broker_is_down(broker, caplog):
    refused, finished = message("refused"), message("finished", state=State.DONE)
    message("other")

    with broker_down(), caplog.at_level(logging.WARNING, logger="reports.outbox"):
        assert outbox.wake_worker(refused.pk) is False
        assert outbox.wake_worker(finished.pk) is False

    marked = set(OutboxMessage.objects.filter(wake_failed=True).values_list("dedupe_key", flat=True))
    assert marked == {"refused"}  # not the other pending row, not a row already done
    assert broker.sent() == []
    prefix = f"Broker unreachable, outbox message {refused.pk} waits for the sweeper: "
    first = warnings_of(caplog)[0].getMessage()
    assert first.startswith(prefix)
    assert first.removeprefix(prefix) not in ("", "None")  # the broker's own reason


def test_it_logs_a_refused_wake_up_call_it_could_not_mark(caplog):
    refused = message("refused")

    # A savepoint stands for the autocommit a web request or a worker runs in: the failed UPDATE spoils
    # only it, not the test's transaction.
    with broker_down(), connection.execute_wrapper(refuse_updates), transaction.atomic():
        with caplog.at_level(logging.WARNING, logger="reports.outbox"):
            assert outbox.wake_worker(refused.pk) is False

    assert OutboxMessage.objects.get().wake_failed is False  # it still goes out, OUTBOX_STUCK_SECONDS later
    last = warnings_of(caplog)[-1]
    assert last.getMessage() == f"Could not mark outbox message {refused.pk} for the sweeper"
    assert "database is locked" in (last.exc_text or "")


# --- Enqueueing --------------------------------------------------------------------------------------


@FILESYSTEM_BROKER
def test_it_wakes_a_worker_once_for_a_message_queued_twice(broker, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        first = outbox.enqueue(Kind.EMAIL, report=None, dedupe_key="email:x", payload={"a": 1})
        again = outbox.enqueue(Kind.EMAIL, report=None, dedupe_key="email:x", payload={"a": 2})

    assert again.pk == first.pk and OutboxMessage.objects.get().payload == {"a": 1}
    assert broker.sent() == [Sent(outbox.RUN_TASK, [first.pk], None)]


def test_a_new_message_is_written_without_a_read_first(django_capture_on_commit_callbacks):
    with CaptureQueriesContext(connection) as written, django_capture_on_commit_callbacks() as wake_ups:
        outbox.enqueue(Kind.EMAIL, report=None, dedupe_key="email:new", payload={})

    statements = [query["sql"].split()[0] for query in written.captured_queries]
    assert statements.count("INSERT") == 1 and "SELECT" not in statements
    assert len(wake_ups) == 1


def test_a_row_refused_for_another_reason_than_its_key_is_not_taken_for_a_duplicate():
    outbox.enqueue(Kind.EMAIL, report=None, dedupe_key="email:y", payload={})

    with pytest.raises(IntegrityError):
        outbox.enqueue(Kind.EMAIL, report=None, dedupe_key="email:z", payload=None)  # payload is NOT NULL

    assert list(OutboxMessage.objects.values_list("dedupe_key", flat=True)) == ["email:y"]


def test_it_numbers_each_request_after_the_ones_before_it():
    message("resume:7:1")
    message("resume:8:1")

    second = outbox.enqueue_each_time(Kind.EMAIL, report=None, key_prefix="resume:7:", payload={})
    third = outbox.enqueue_each_time(Kind.SMS, report=None, key_prefix="resume:7:", payload={"n": 3})

    assert (second.dedupe_key, second.kind) == ("resume:7:2", Kind.EMAIL)
    assert (third.dedupe_key, third.kind, third.payload) == ("resume:7:3", Kind.SMS, {"n": 3})


# --- Claiming, leases, outcomes ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "kind, lease_setting",
    [
        (Kind.EMAIL, "OUTBOX_EMAIL_LEASE_SECONDS"),
        (Kind.SMS, "OUTBOX_EMAIL_LEASE_SECONDS"),
        (Kind.TRAFFIC_HANDOFF, "OUTBOX_LEASE_SECONDS"),
        ("pdf", "OUTBOX_LEASE_SECONDS"),  # a kind without a policy (a row from an older release)
    ],
)
def test_it_holds_each_kind_for_its_own_lease(settings, kind, lease_setting):
    settings.OUTBOX_EMAIL_LEASE_SECONDS, settings.OUTBOX_LEASE_SECONDS = 60, 300
    row = message(kind=kind, attempts=2)
    lease = timedelta(seconds=getattr(settings, lease_setting))
    before = timezone.now()

    claimed = outbox.claim(row.pk)

    assert claimed.attempts == 3
    assert before + lease <= claimed.claimed_until <= timezone.now() + lease


def test_it_takes_over_a_message_whose_lease_ran_out():
    row = message(claimed_until=timezone.now() - timedelta(seconds=1), attempts=1)

    assert outbox.claim(row.pk).attempts == 2


def test_it_clears_the_last_error_when_a_retried_message_is_done():
    row = message()
    attempts = []

    def fail_once(msg: OutboxMessage) -> None:
        attempts.append(msg.pk)
        if len(attempts) == 1:
            raise outbox.RetryLater("mail server down")

    assert outbox.claim_and_run(row.pk, {Kind.EMAIL: fail_once}) == "retry"
    OutboxMessage.objects.filter(pk=row.pk).update(available_at=timezone.now())
    before = timezone.now()
    assert outbox.claim_and_run(row.pk, {Kind.EMAIL: fail_once}) == "done"

    row.refresh_from_db()
    assert (row.state, row.last_error, row.claimed_until, row.attempts) == (State.DONE, "", None, 2)
    assert before <= row.done_at <= timezone.now()


def test_it_records_an_unexpected_error_with_its_type_and_retries(caplog):
    row = message()

    def broken(msg: OutboxMessage) -> None:
        raise KeyError("template")

    with caplog.at_level(logging.ERROR, logger="reports.outbox"):
        assert outbox.claim_and_run(row.pk, {Kind.EMAIL: broken}) == "retry"

    row.refresh_from_db()
    assert (row.state, row.last_error) == (State.PENDING, "KeyError: 'template'")
    [record] = [r for r in caplog.records if r.name == "reports.outbox"]
    assert record.getMessage() == f"Outbox message {row.pk} failed"
    assert "KeyError: 'template'" in (record.exc_text or "")  # with its traceback


def test_it_dead_letters_what_can_never_succeed_at_once(settings):
    settings.OUTBOX_EMAIL_RETRY_HOURS = 24
    row = message()

    def invalid(msg: OutboxMessage) -> None:
        raise outbox.GiveUp("550 no such mailbox")

    assert outbox.claim_and_run(row.pk, {Kind.EMAIL: invalid}) == "dead"
    row.refresh_from_db()
    assert (row.state, row.last_error, row.claimed_until) == (State.DEAD, "550 no such mailbox", None)


def test_it_keeps_the_first_2000_characters_of_an_error():
    row = message()
    row.attempts = 1
    outbox.mark_failed(row, "x" * 1999 + "yz" + "w" * 500, retry=True)

    row.refresh_from_db()
    assert row.last_error == "x" * 1999 + "y"


def test_it_keeps_a_mark_for_the_sweeper_made_while_the_work_ran():
    row = message()
    claimed = outbox.claim(row.pk)
    # Meanwhile a supervisor's "retry now" could not reach the broker: the row is marked for the sweeper.
    outbox.mark_wake_failed(row.pk)

    outbox.mark_failed(claimed, "timeout", retry=True)

    row.refresh_from_db()
    assert row.wake_failed is True and row.last_error == "timeout" and row.state == State.PENDING


@FILESYSTEM_BROKER
def test_it_wakes_a_worker_when_the_retry_is_due(broker, settings, django_capture_on_commit_callbacks):
    settings.OUTBOX_RETRY_BASE_SECONDS = 600
    row = message()
    row.attempts = 1

    with django_capture_on_commit_callbacks(execute=True):
        outbox.mark_failed(row, "timeout", retry=True)

    row.refresh_from_db()
    assert row.state == State.PENDING and row.claimed_until is None
    [sent] = broker.sent()
    assert (sent.task, sent.args) == (outbox.RUN_TASK, [row.pk])
    # Sent for when it is due (300-600 s from now), not at once.
    assert row.available_at <= sent.eta <= row.available_at + timedelta(seconds=60)


def test_it_keeps_each_backoff_between_half_and_all_of_its_doubling_ceiling(settings):
    settings.OUTBOX_RETRY_BASE_SECONDS = 30
    rng = random.getstate()
    try:
        random.seed(311)
        for attempts, ceiling in [(0, 30), (1, 30), (2, 60), (3, 120), (4, 240), (7, 1000), (30, 1000)]:
            delays = [outbox.backoff(attempts, 1000).total_seconds() for _ in range(200)]
            assert ceiling / 2 <= min(delays) and max(delays) <= ceiling, attempts
            # Spread over the whole range, not stuck at one end of it.
            assert min(delays) < ceiling * 0.6 and max(delays) > ceiling * 0.9, attempts
    finally:
        random.setstate(rng)


# --- A supervisor's retry ----------------------------------------------------------------------------


@pytest.mark.parametrize("state", [State.DEAD, State.PENDING])
@FILESYSTEM_BROKER
def test_it_retries_now_a_dead_or_waiting_message(broker, state, django_capture_on_commit_callbacks):
    row = message(state=state, available_at=timezone.now() + timedelta(hours=1), claimed_until=timezone.now())
    other = message("other", state=State.DEAD)
    before = timezone.now()

    with django_capture_on_commit_callbacks(execute=True):
        assert outbox.retry_now(row) is True

    row.refresh_from_db()
    assert row.state == State.PENDING and row.claimed_until is None
    assert before <= row.available_at <= timezone.now()
    assert broker.sent() == [Sent(outbox.RUN_TASK, [row.pk], None)]
    other.refresh_from_db()
    assert other.state == State.DEAD


@FILESYSTEM_BROKER
def test_it_leaves_a_message_done_since_the_page_was_drawn(broker, django_capture_on_commit_callbacks):
    row = message(state=State.DONE)

    with django_capture_on_commit_callbacks(execute=True):
        assert outbox.retry_now(row) is False

    assert OutboxMessage.objects.get().state == State.DONE and broker.sent() == []


# --- The sweeper -------------------------------------------------------------------------------------


def ago(seconds: float) -> datetime:
    return timezone.now() - timedelta(seconds=seconds)


def test_it_sweeps_at_once_a_message_whose_wake_up_call_failed(settings):
    settings.OUTBOX_STUCK_SECONDS = 3600
    refused = message("refused", wake_failed=True)
    message("sent")  # its wake-up call is on its way
    message("later", wake_failed=True, available_at=ago(-60))  # not due yet
    message("held", wake_failed=True, claimed_until=ago(-60))  # a worker holds it
    message("done", wake_failed=True, state=State.DONE)

    assert outbox.stuck_message_ids() == [refused.pk]


def test_it_sweeps_at_once_a_message_whose_worker_died(settings):
    settings.OUTBOX_STUCK_SECONDS = 3600
    died = message("died", claimed_until=ago(10))
    died_after_resend = message("died-again", claimed_until=ago(10), resent_at=ago(20))
    message("resent", claimed_until=ago(10), resent_at=ago(5))  # sent again since its lease ran out
    lease_ended = ago(10)
    message("resent-then", claimed_until=lease_ended, resent_at=lease_ended)

    assert sorted(outbox.stuck_message_ids()) == sorted([died.pk, died_after_resend.pk])


def test_it_sweeps_a_message_the_broker_lost_once_it_is_overdue(settings):
    settings.OUTBOX_STUCK_SECONDS = 120
    lost = message("lost", available_at=ago(200))
    resent_long_ago = message("resent-long-ago", available_at=ago(400), resent_at=ago(200))
    message("resent-lately", available_at=ago(400), resent_at=ago(60))
    message("recent", available_at=ago(60))

    assert outbox.stuck_message_ids() == [resent_long_ago.pk, lost.pk]  # the longest overdue first
    assert outbox.stuck_message_ids(limit=1) == [resent_long_ago.pk]


@FILESYSTEM_BROKER
def test_it_sends_at_most_500_messages_a_sweep(broker, settings):
    settings.OUTBOX_STUCK_SECONDS = 3600
    rows = [OutboxMessage(kind=Kind.EMAIL, dedupe_key=f"k{i}", wake_failed=True) for i in range(501)]
    OutboxMessage.objects.bulk_create(rows)

    assert len(outbox.stuck_message_ids()) == 500
    assert outbox.sweep() == 500  # the next sweep, seconds later, sends the rest

    assert len(broker.sent()) == 500 and OutboxMessage.objects.filter(wake_failed=True).count() == 1


@FILESYSTEM_BROKER
def test_it_sends_each_stuck_message_again_and_notes_when(broker, settings):
    settings.OUTBOX_STUCK_SECONDS = 3600
    first = message("first", wake_failed=True, available_at=ago(20))
    second = message("second", wake_failed=True, available_at=ago(10))
    waiting = message("waiting")
    before = timezone.now()

    assert outbox.sweep(limit=1) == 1
    assert broker.sent() == [Sent(outbox.RUN_TASK, [first.pk], None)]  # the longest stuck first
    assert outbox.sweep() == 1

    assert sorted(broker.sent(), key=lambda task: task.args) == [
        Sent(outbox.RUN_TASK, [first.pk], None),
        Sent(outbox.RUN_TASK, [second.pk], None),
    ]
    for row in (first, second):
        row.refresh_from_db()
        assert row.wake_failed is False and before <= row.resent_at <= timezone.now()
    waiting.refresh_from_db()
    assert waiting.resent_at is None


def test_it_stops_sweeping_while_the_broker_is_down(settings):
    settings.OUTBOX_STUCK_SECONDS = 3600
    message("refused", wake_failed=True)

    with broker_down():
        assert outbox.sweep() == 0

    row = OutboxMessage.objects.get()
    assert row.wake_failed is True and row.resent_at is None


def test_it_cancels_only_the_withdrawn_reports_pending_messages_of_the_kinds_asked(catalog):
    report, other = make_report(), make_report()
    now = timezone.now()
    waiting = message("waiting", report=report)
    lease_ran_out = message("lease-ran-out", report=report, claimed_until=now - timedelta(seconds=1))
    other_kind = message("other-kind", Kind.SMS, report=report)
    untouched = [
        message(
            "held", report=report, claimed_until=now + timedelta(minutes=5)
        ),  # a worker may be sending it
        message("done", report=report, state=State.DONE),
        message("dead", report=report, state=State.DEAD),
        other_kind,
        message("other-report", report=other),
    ]

    cancelled = outbox.cancel_pending(report, (Kind.EMAIL, Kind.TRAFFIC_HANDOFF))

    assert cancelled == 2
    for row in (waiting, lease_ran_out):
        row.refresh_from_db()
        assert row.state == State.CANCELLED
        assert row.last_error == "cancelled: the report was withdrawn"
    before = {row.pk: (row.state, row.last_error) for row in untouched}
    assert {
        row.pk: (row.state, row.last_error) for row in OutboxMessage.objects.filter(pk__in=before)
    } == before
