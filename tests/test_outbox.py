from __future__ import annotations

import time
from contextlib import contextmanager

import pytest
from django.core import mail
from kombu import pools as kombu_pools

from portal.celery import app as celery_app
from reports import outbox, tasks
from reports.models import OutboxMessage, Report, StatusLink

from .conftest import wait_for
from .flows import file_report

UNREACHABLE_BROKER = "redis://127.0.0.1:9/0"  # the discard port: nothing listens there


def reset_producers() -> None:
    # Celery and kombu keep producer pools per broker; drop them so the next send connects anew.
    celery_app.pool.force_close_all()
    celery_app._pool = None
    celery_app.amqp._producer_pool = None
    kombu_pools.reset()


@contextmanager
def broker_down():
    # Producers send through broker_write_url, which Celery filled in from CELERY_BROKER_URL at start.
    original = celery_app.conf.broker_write_url
    celery_app.conf.broker_write_url = UNREACHABLE_BROKER
    reset_producers()
    try:
        yield
    finally:
        celery_app.conf.broker_write_url = original
        reset_producers()


def confirmation_emails(report: Report) -> list:
    return [m for m in mail.outbox if report.tracking_number in m.subject]


@pytest.mark.worker
def test_it_emails_the_confirmation_once_through_a_real_worker(celery_worker, client, catalog):
    file_report(client, "theft-package")
    report = Report.objects.get()

    assert wait_for(lambda: confirmation_emails(report))
    message = OutboxMessage.objects.get()
    assert wait_for(lambda: OutboxMessage.objects.get().state == "done")

    # The broker delivers the same task again (a redelivery, a sweeper that raced): no second email.
    tasks.run_outbox_message.delay(message.pk)
    tasks.run_outbox_message.delay(message.pk)
    time.sleep(2)
    emails = confirmation_emails(report)
    assert len(emails) == 1
    assert emails[0].to == ["alex@example.org"]
    body = emails[0].body
    assert report.tracking_number in body and "/status/" in body
    token = body.split("/status/")[1].split("/")[0]
    assert StatusLink.find_report(token) == report


@pytest.mark.worker
def test_it_emails_after_the_broker_comes_back(celery_worker, client, catalog, settings):
    settings.OUTBOX_STUCK_SECONDS = 0
    with broker_down():
        response = file_report(client, "damage-graffiti")
    assert response.status_code == 302  # filing does not depend on the broker
    report = Report.objects.get()
    time.sleep(1)
    assert not confirmation_emails(report)
    assert OutboxMessage.objects.get().state == "pending"

    assert tasks.sweep_outbox() == 1

    assert wait_for(lambda: confirmation_emails(report))
    assert wait_for(lambda: OutboxMessage.objects.get().state == "done")
    assert len(confirmation_emails(report)) == 1


@pytest.mark.django_db
def test_it_retries_when_the_mail_server_is_down(client, catalog, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 2
    settings.CELERY_TASK_ALWAYS_EAGER = True
    file_report(client, "damage-other")
    message = OutboxMessage.objects.get()

    assert outbox.claim_and_run(message.pk, tasks.HANDLERS) == "retry"

    message.refresh_from_db()
    assert message.state == "pending" and message.attempts == 1
    assert message.available_at > message.created_at and "Connection" in message.last_error
    assert outbox.claim_and_run(message.pk, tasks.HANDLERS) == "skipped"  # not due yet


@pytest.mark.django_db
def test_it_gives_up_after_the_last_attempt(client, catalog, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 2
    settings.OUTBOX_EMAIL_RETRY_HOURS = 0
    file_report(client, "damage-other")
    message = OutboxMessage.objects.get()
    assert outbox.claim_and_run(message.pk, tasks.HANDLERS) == "dead"
    assert outbox.stuck_message_ids() == []


@pytest.mark.django_db
def test_it_sweeps_only_what_is_stuck(client, catalog, settings):
    file_report(client, "damage-other")
    message = OutboxMessage.objects.get()
    settings.OUTBOX_STUCK_SECONDS = 3600
    assert outbox.stuck_message_ids() == []  # just queued: its own wake-up call is on the way
    settings.OUTBOX_STUCK_SECONDS = 0
    assert outbox.stuck_message_ids() == [message.pk]
    assert outbox.claim(message.pk) is not None
    assert outbox.stuck_message_ids() == []  # a worker holds it
    assert outbox.claim(message.pk) is None


@pytest.mark.django_db
@pytest.mark.parametrize("state", [OutboxMessage.State.DONE, OutboxMessage.State.DEAD])
def test_it_never_claims_work_that_is_finished(client, catalog, state):
    file_report(client, "damage-other")
    message = OutboxMessage.objects.get()
    OutboxMessage.objects.filter(pk=message.pk).update(state=state, claimed_until=None)

    assert outbox.claim(message.pk) is None
    assert outbox.claim_and_run(message.pk, tasks.HANDLERS) == "skipped"
    assert mail.outbox == [] and OutboxMessage.objects.get().attempts == 0


@pytest.mark.django_db
def test_it_never_claims_work_another_worker_holds(client, catalog):
    file_report(client, "damage-other")
    message = OutboxMessage.objects.get()

    assert outbox.claim(message.pk) is not None
    assert outbox.claim(message.pk) is None  # the lease is not over
    assert outbox.claim_and_run(message.pk, tasks.HANDLERS) == "skipped"
    assert mail.outbox == [] and OutboxMessage.objects.get().attempts == 1


@pytest.mark.django_db
def test_it_renders_the_confirmation_in_the_residents_language(client, catalog):
    client.cookies["django_language"] = "es"
    file_report(client, "parking-fire-hydrant")
    report = Report.objects.get()
    assert report.language == "es"
    assert outbox.claim_and_run(OutboxMessage.objects.get().pk, tasks.HANDLERS) == "done"
    assert len(mail.outbox) == 1
    assert report.tracking_number in mail.outbox[0].subject


@pytest.mark.worker
def test_it_emails_the_resident_once_when_staff_act(celery_worker, client, catalog, report_taker):
    from reports import workflow

    file_report(client, "damage-other")
    report = Report.objects.get()
    workflow.request_info(report, by=report_taker, message="Which door was it?")

    def asked() -> list:
        return [m for m in mail.outbox if "more information" in m.subject]

    assert wait_for(asked)
    assert wait_for(lambda: not OutboxMessage.objects.filter(state="pending").exists())
    time.sleep(1)
    assert len(asked()) == 1 and "Which door was it?" in asked()[0].body
