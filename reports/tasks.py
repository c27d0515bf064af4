"""Thin Celery tasks: they take ids and call a service; the outbox row makes them safe to repeat."""

from __future__ import annotations

import logging

from celery import shared_task
from django.db import InterfaceError, OperationalError

from open311 import callbacks
from traffic import escalation, handoff

from . import (
    digests,
    drafts,
    evidence_jobs,
    follow_ups,
    health,
    notifications,
    outbox,
    retention,
    texts,
    workflow,
)
from .models import OutboxMessage

log = logging.getLogger(__name__)

HANDLERS = {
    OutboxMessage.Kind.EMAIL: notifications.send_outbox_email,
    OutboxMessage.Kind.SMS: texts.send_outbox_text,
    OutboxMessage.Kind.TRAFFIC_HANDOFF: handoff.deliver,
    OutboxMessage.Kind.OPEN311_CALLBACK: callbacks.deliver,
    OutboxMessage.Kind.EVIDENCE_COPIES: evidence_jobs.copies_job,
}


# The database went away under the task (a restart, a failover): try again in a few seconds, which is safe
# because the claim makes a second run do the work once. A row it had already claimed waits for its lease.
@shared_task(
    name=outbox.RUN_TASK,
    acks_late=True,
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=2,
    retry_backoff_max=60,
    retry_jitter=True,
    max_retries=8,
)
def run_outbox_message(message_id: int) -> str:
    return outbox.claim_and_run(message_id, HANDLERS)


@shared_task
def sweep_outbox() -> int:
    sent = outbox.sweep()
    if sent:
        log.info("Sweeper re-sent %d outbox messages", sent)
    return sent


@shared_task
def purge_abandoned_drafts() -> int:
    return drafts.purge_abandoned()


@shared_task
def follow_up_info_requests() -> int:
    """Remind residents whose answer is due soon; close the reports whose window has passed."""
    remind, expired = workflow.due_info_requests()
    for report in remind:
        workflow.remind_about_info(report)
    for report in expired:
        workflow.close_unanswered(report)
    return len(remind) + len(expired)


@shared_task
def escalate_overdue_tickets() -> int:
    return escalation.escalate_overdue()


@shared_task
def queue_supervisor_digests() -> int:
    return digests.queue_digests()


@shared_task
def ask_follow_up_questions() -> int:
    return follow_ups.ask_due()


@shared_task
def heartbeat() -> None:
    health.beat()


@shared_task
def purge_expired_reports() -> int:
    return retention.purge_expired().reports
