"""A worker keeps its database connection from one task to the next, as a web process does from one
request to the next, and gives up one past CONN_MAX_AGE (or one that failed: Django's own check).

Celery's Django fix-up closes the connection before and after every task unless CELERY_DB_REUSE_MAX is
set: a new SQLite connection (its PRAGMAs, and a WAL checkpoint when the last one closes) cost a worker a
third of its time on hand-offs, and on PostgreSQL each task started a server process."""

from __future__ import annotations

import pytest
from celery import signals
from celery.fixups.django import DjangoWorkerFixup
from django.db import connection

from portal.celery import app
from reports.tasks import run_outbox_message

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def worker_fixup():
    """What a worker installs when it starts."""
    fixup = DjangoWorkerFixup(app).install()
    yield fixup
    signals.task_prerun.disconnect(fixup.on_task_prerun)
    signals.task_postrun.disconnect(fixup.on_task_postrun)
    signals.beat_embedded_init.disconnect(fixup.close_database)


def run_a_task() -> None:
    signals.task_prerun.send(sender=run_outbox_message, task_id="t", task=run_outbox_message)
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    signals.task_postrun.send(sender=run_outbox_message, task_id="t", task=run_outbox_message)


def test_tasks_share_one_connection(worker_fixup):
    run_a_task()
    first = connection.connection
    for _ in range(5):
        run_a_task()
    assert first is not None
    assert connection.connection is first


def test_a_connection_past_its_age_is_replaced(worker_fixup):
    run_a_task()
    first = connection.connection
    connection.close_at = 0  # CONN_MAX_AGE has run out
    run_a_task()
    assert connection.connection is not None
    assert connection.connection is not first


def test_an_eager_task_leaves_the_callers_connection_alone(worker_fixup):
    run_a_task()
    first = connection.connection
    connection.close_at = 0
    run_outbox_message.push_request(is_eager=True)
    try:
        signals.task_postrun.send(sender=run_outbox_message, task_id="t", task=run_outbox_message)
    finally:
        run_outbox_message.pop_request()
    assert connection.connection is first
