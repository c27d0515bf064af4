"""The record of work for Celery: written with the change that causes it, sent after commit.

The broker is only the wake-up call. A worker claims a row before doing its work (so a task that is
delivered twice does the work once), marks it done or schedules a retry, and the periodic sweeper
re-sends whatever is still pending after the broker lost it: at once when the wake-up call never reached
the broker or the worker holding the row died, after OUTBOX_STUCK_SECONDS when the broker lost it.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

from celery import current_app
from django.conf import settings
from django.db import DatabaseError, IntegrityError, transaction
from django.db.models import DateTimeField, Expression, F, Q
from django.utils import timezone

from .models import OutboxMessage, Report

log = logging.getLogger(__name__)

# The Celery task that runs one message (reports.tasks.run_outbox_message).
RUN_TASK = "reports.tasks.run_outbox_message"


@dataclass(frozen=True)
class RetryPolicy:
    cap_seconds: int
    window_setting: str
    lease_setting: str

    @property
    def window(self) -> timedelta:
        return timedelta(hours=getattr(settings, self.window_setting))

    @property
    def lease(self) -> timedelta:
        return timedelta(seconds=getattr(settings, self.lease_setting))


# Emails give up after a day; hand-offs keep trying for at least 24 hours (TRAFFIC_RETRY_HOURS), up to
# four hours apart, because a dispatch system down over a night must still get every ticket.
# Each kind has its own lease: an email takes seconds, so a killed worker's email is sent again soon; a
# hand-off may wait out the client's timeouts, and must never be taken over while it may still be running.
RETRY_POLICIES = {
    OutboxMessage.Kind.EMAIL: RetryPolicy(
        cap_seconds=3600,
        window_setting="OUTBOX_EMAIL_RETRY_HOURS",
        lease_setting="OUTBOX_EMAIL_LEASE_SECONDS",
    ),
    # A text is as quick as an email, and as useless after a day.
    OutboxMessage.Kind.SMS: RetryPolicy(
        cap_seconds=3600,
        window_setting="OUTBOX_SMS_RETRY_HOURS",
        lease_setting="OUTBOX_EMAIL_LEASE_SECONDS",
    ),
    OutboxMessage.Kind.TRAFFIC_HANDOFF: RetryPolicy(
        cap_seconds=4 * 3600, window_setting="TRAFFIC_RETRY_HOURS", lease_setting="OUTBOX_LEASE_SECONDS"
    ),
    # Making a filed photo's copies takes seconds; a storage that refused them is tried again for a day.
    OutboxMessage.Kind.EVIDENCE_COPIES: RetryPolicy(
        cap_seconds=3600,
        window_setting="OUTBOX_EMAIL_RETRY_HOURS",
        lease_setting="OUTBOX_EMAIL_LEASE_SECONDS",
    ),
    # A client's callback is retried like a hand-off: its server may be down over a night too.
    OutboxMessage.Kind.OPEN311_CALLBACK: RetryPolicy(
        cap_seconds=4 * 3600,
        window_setting="OPEN311_CALLBACK_RETRY_HOURS",
        lease_setting="OUTBOX_LEASE_SECONDS",
    ),
}


class RetryLater(Exception):
    """The work failed in a way worth trying again (a timeout, a 5xx, a mail server down)."""


class GiveUp(Exception):
    """The work can never succeed as it is (a 4xx, an invalid address): dead-letter it."""


def enqueue(kind: str, *, report: Report | None, dedupe_key: str, payload: dict) -> OutboxMessage:
    # Inserted first, read only when the key is taken: get_or_create's read before every insert cost a
    # statement of each filing's transaction for a row that is almost never there.
    try:
        with transaction.atomic():
            message = OutboxMessage.objects.create(
                dedupe_key=dedupe_key, kind=kind, report=report, payload=payload
            )
    except IntegrityError as refused:
        existing = OutboxMessage.objects.filter(dedupe_key=dedupe_key).first()
        if existing is None:  # refused for another reason than the key (a report deleted meanwhile)
            raise refused
        return existing
    transaction.on_commit(partial(wake_worker, message.pk))
    return message


def enqueue_each_time(kind: str, *, report: Report | None, key_prefix: str, payload: dict) -> OutboxMessage:
    """Work a person may ask for again (a resume link, a status link by text): each request its own row,
    numbered after the ones before it."""
    asked = OutboxMessage.objects.filter(dedupe_key__startswith=key_prefix).count()
    return enqueue(kind, report=report, dedupe_key=f"{key_prefix}{asked + 1}", payload=payload)


def wake_worker(message_id: int, countdown: float | None = None) -> bool:
    """Send the task that runs the message; False when the broker could not take it (the row is then
    marked, and the sweeper's next run after the broker is back sends it)."""
    # By name: the task module builds on this one, not the other way round. One try, with short timeouts
    # (CELERY_BROKER_TRANSPORT_OPTIONS): this runs while the resident waits for their confirmation page.
    try:
        current_app.send_task(RUN_TASK, (message_id,), countdown=countdown, retry=False)
    except Exception as exc:  # the broker is down: the row is safe and the sweeper will send it
        log.warning("Broker unreachable, outbox message %s waits for the sweeper: %s", message_id, exc)
        mark_wake_failed(message_id)
        return False
    return True


def mark_wake_failed(message_id: int) -> None:
    try:
        pending = OutboxMessage.objects.filter(pk=message_id, state=OutboxMessage.State.PENDING)
        pending.update(wake_failed=True)
    except DatabaseError:  # unmarked, it still goes out: OUTBOX_STUCK_SECONDS later
        log.warning("Could not mark outbox message %s for the sweeper", message_id, exc_info=True)


class LeaseEnds(Expression):
    """When a claim made at `now` runs out: now plus the lease of the row's kind, or the longest lease for
    a kind without a policy (never taken over while it may run). The SQL that Case(When(kind=...)) builds,
    written out: Django resolving a filter per kind took about 1.2 ms of CPU of every claim, twice the rest
    of its UPDATE."""

    output_field = DateTimeField()

    def __init__(self, now: datetime) -> None:
        super().__init__()
        self.now = now

    def as_sql(self, compiler, connection) -> tuple[str, list]:
        quote, adapt = connection.ops.quote_name, connection.ops.adapt_datetimefield_value
        params = []
        for kind, policy in RETRY_POLICIES.items():
            params += [kind.value, adapt(self.now + policy.lease)]
        params.append(adapt(self.now + timedelta(seconds=settings.OUTBOX_LEASE_SECONDS)))
        sql = "CASE {}.{} {} ELSE %s END".format(
            quote(OutboxMessage._meta.db_table),
            quote("kind"),
            " ".join(["WHEN %s THEN %s"] * len(RETRY_POLICIES)),
        )
        # As Case does: PostgreSQL would read parameters of unknown type in a CASE as text.
        return connection.ops.unification_cast_sql(self.output_field) % sql, params


def claim(message_id: int) -> OutboxMessage | None:
    now = timezone.now()
    claimed = (
        OutboxMessage.objects.filter(pk=message_id, state=OutboxMessage.State.PENDING, available_at__lte=now)
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
        .update(claimed_until=LeaseEnds(now), attempts=F("attempts") + 1)
    )
    if not claimed:
        return None
    return OutboxMessage.objects.select_related("report").get(pk=message_id)


def mark_done(message: OutboxMessage) -> None:
    message.state = OutboxMessage.State.DONE
    message.done_at = timezone.now()
    message.claimed_until = None
    message.last_error = ""
    message.save(update_fields=["state", "done_at", "claimed_until", "last_error"])


def backoff(attempts: int, cap_seconds: int) -> timedelta:
    # Exponential with jitter: somewhere between half and all of base * 2^(n-1), capped.
    ceiling = min(cap_seconds, settings.OUTBOX_RETRY_BASE_SECONDS * 2 ** max(attempts - 1, 0))
    return timedelta(seconds=random.uniform(ceiling / 2, ceiling))


def mark_failed(message: OutboxMessage, error: str, *, retry: bool) -> None:
    policy = RETRY_POLICIES[message.kind]
    next_try = timezone.now() + backoff(message.attempts, policy.cap_seconds)
    message.last_error = error[:2000]
    message.claimed_until = None
    if retry and next_try <= message.created_at + policy.window:
        message.available_at = next_try
    else:
        message.state = OutboxMessage.State.DEAD
    message.save(update_fields=["last_error", "claimed_until", "available_at", "state"])
    if message.state == OutboxMessage.State.PENDING:
        delay = (message.available_at - timezone.now()).total_seconds()
        transaction.on_commit(partial(wake_worker, message.pk, max(delay, 0)))


def retry_now(message: OutboxMessage) -> bool:
    """A supervisor's "retry now": one more try at once; if it fails past its window it is dead again."""
    # Only dead or waiting rows: one a worker finished since the page was drawn stays done.
    requeued = OutboxMessage.objects.filter(
        pk=message.pk, state__in=[OutboxMessage.State.DEAD, OutboxMessage.State.PENDING]
    ).update(state=OutboxMessage.State.PENDING, available_at=timezone.now(), claimed_until=None)
    if requeued:
        transaction.on_commit(partial(wake_worker, message.pk))
    return bool(requeued)


def cancel_pending(report: Report, kinds: tuple[str, ...]) -> int:
    """Work for this report that makes no sense any more (it was withdrawn) is never sent. A row a worker
    holds at this moment is left to finish: it may be on its way already."""
    now = timezone.now()
    return (
        OutboxMessage.objects.filter(report=report, kind__in=kinds, state=OutboxMessage.State.PENDING)
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
        .update(state=OutboxMessage.State.CANCELLED, last_error="cancelled: the report was withdrawn")
    )


def claim_and_run(message_id: int, handlers: dict[str, Callable[[OutboxMessage], None]]) -> str:
    """Claim the row, run its handler, record the outcome. Returns what happened, for logs and tests."""
    message = claim(message_id)
    if message is None:
        return "skipped"
    try:
        handlers[message.kind](message)
    except (RetryLater, GiveUp) as exc:
        mark_failed(message, str(exc), retry=isinstance(exc, RetryLater))
    except Exception as exc:
        log.exception("Outbox message %s failed", message.pk)
        mark_failed(message, f"{type(exc).__name__}: {exc}", retry=True)
    else:
        mark_done(message)
        return "done"
    return "retry" if message.state == OutboxMessage.State.PENDING else "dead"


def stuck_message_ids(limit: int = 500) -> list[int]:
    """Pending rows that are due, that nobody holds, and whose wake-up call is lost: it never reached the
    broker, or the worker that took it died (its lease ran out), or it is OUTBOX_STUCK_SECONDS overdue and
    was not sent again in that time (so a long queue is not flooded with copies)."""
    now = timezone.now()
    grace = now - timedelta(seconds=settings.OUTBOX_STUCK_SECONDS)
    not_resent_since = Q(resent_at__isnull=True) | Q(resent_at__lt=F("claimed_until"))
    lost = (
        Q(wake_failed=True)
        | (Q(claimed_until__isnull=False) & not_resent_since)
        | (Q(available_at__lte=grace) & (Q(resent_at__isnull=True) | Q(resent_at__lte=grace)))
    )
    # The outbox_due index (state, available_at) narrows this to pending rows that are due: cheap enough to
    # run every few seconds.
    return list(
        OutboxMessage.objects.filter(state=OutboxMessage.State.PENDING, available_at__lte=now)
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
        .filter(lost)
        .order_by("available_at")
        .values_list("pk", flat=True)[:limit]
    )


def sweep(limit: int = 500) -> int:
    """Send the stuck rows' tasks again; stop at the first the broker refuses (the next sweep goes on)."""
    sent = []
    for message_id in stuck_message_ids(limit):
        if not wake_worker(message_id):
            break
        sent.append(message_id)
    if sent:
        OutboxMessage.objects.filter(pk__in=sent).update(wake_failed=False, resent_at=timezone.now())
    return len(sent)
