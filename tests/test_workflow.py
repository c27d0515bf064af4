from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from reports import outbox, tasks, workflow
from reports.models import (
    AppendOnly,
    OutboxMessage,
    Queue,
    ReferralReason,
    RejectionReason,
    Report,
    ReportEvent,
)
from reports.statuses import Status

from .flows import file_report

pytestmark = pytest.mark.django_db


@pytest.fixture
def report(client, catalog) -> Report:
    file_report(client, "theft-from-vehicle")
    return Report.objects.get()


def emails_queued(report: Report, template: str) -> list[OutboxMessage]:
    return [m for m in OutboxMessage.objects.filter(report=report) if m.payload["template"] == template]


def last_event(report: Report) -> ReportEvent:
    return report.events.order_by("-id").first()


def test_it_approves_with_a_case_number_from_its_own_series(report, report_taker, client):
    event = workflow.approve(report, by=report_taker, note="Thanks for the receipts.")

    report.refresh_from_db()
    year = timezone.localdate().year % 100
    assert report.status == Status.APPROVED and report.case_number == f"MP{year:02d}-000001"
    assert report.closed_at and report.first_action_at
    assert (event.kind, event.from_status, event.to_status) == ("status_changed", "submitted", "approved")
    assert event.actor == report_taker and event.is_public
    assert len(emails_queued(report, "report-approved")) == 1

    file_report(client, "damage-other")
    second = Report.objects.exclude(pk=report.pk).get()
    workflow.approve(second, by=report_taker)
    second.refresh_from_db()
    assert second.case_number == f"MP{year:02d}-000002"


def test_it_refuses_to_approve_a_rejected_report(report, report_taker):
    reason = RejectionReason.objects.first()
    workflow.reject(report, by=report_taker, reason=reason)
    events = report.events.count()

    with pytest.raises(workflow.IllegalMove):
        workflow.approve(report, by=report_taker)

    report.refresh_from_db()
    assert report.status == Status.REJECTED and report.case_number is None
    assert report.events.count() == events
    assert not emails_queued(report, "report-approved")


def test_it_rejects_with_a_reason_the_resident_is_told(report, report_taker):
    reason = RejectionReason.objects.get(code="civil-matter")
    event = workflow.reject(
        report, by=report_taker, reason=reason, note="This is between you and the landlord."
    )
    assert event.to_status == Status.REJECTED and event.data == {"reason": "civil-matter"}
    [message] = emails_queued(report, "report-rejected")
    assert outbox.claim_and_run(message.pk, tasks.HANDLERS) == "done"
    assert reason.explanation in mail.outbox[0].body
    assert "landlord" in mail.outbox[0].body


def test_it_refers_to_police_with_how_to_reach_them(report, report_taker):
    reason = ReferralReason.objects.get(code="suspect-known")
    workflow.refer_to_police(report, by=report_taker, reason=reason)
    [message] = emails_queued(report, "report-referred")
    outbox.claim_and_run(message.pk, tasks.HANDLERS)
    assert "612-673-5335" in mail.outbox[0].body and reason.explanation in mail.outbox[0].body
    with pytest.raises(workflow.IllegalMove):
        workflow.request_info(report, by=report_taker, message="More?")


def test_it_asks_for_more_and_takes_the_reply_back_to_the_queue(report, report_taker):
    workflow.assign(report, to=report_taker, by=report_taker)
    event = workflow.request_info(report, by=report_taker, message="Please send the receipt for the laptop.")
    report.refresh_from_db()
    assert report.status == Status.NEEDS_INFO and event.note.startswith("Please send")
    assert report.info_due_at.date() == (timezone.now() + timedelta(days=15)).date()
    assert len(emails_queued(report, "info-requested")) == 1

    reply = workflow.receive_reply(report, text="Receipt attached.", evidence=[])

    report.refresh_from_db()
    assert report.status == Status.IN_REVIEW and report.assignee == report_taker
    assert (
        report.updated_by_resident and reply.kind == ReportEvent.Kind.RESIDENT_REPLY and reply.actor is None
    )
    workflow.record_view(report, by=report_taker)
    report.refresh_from_db()
    assert not report.updated_by_resident
    with pytest.raises(workflow.IllegalMove):
        workflow.receive_reply(report, text="again", evidence=[])


def test_it_reminds_and_then_closes_an_unanswered_request(report, report_taker):
    workflow.request_info(report, by=report_taker, message="Which window was broken?")
    assert tasks.follow_up_info_requests() == 0  # not due yet

    Report.objects.filter(pk=report.pk).update(info_due_at=timezone.now() + timedelta(days=1))
    assert tasks.follow_up_info_requests() == 1
    assert tasks.follow_up_info_requests() == 0  # one reminder only
    assert len(emails_queued(report, "info-reminder")) == 1
    assert last_event(report).kind == ReportEvent.Kind.REMINDER

    Report.objects.filter(pk=report.pk).update(info_due_at=timezone.now() - timedelta(minutes=1))
    assert tasks.follow_up_info_requests() == 1
    report.refresh_from_db()
    assert report.status == Status.CLOSED and report.closed_at
    assert last_event(report).actor is None and last_event(report).data == {"reason": "no-reply"}
    assert len(emails_queued(report, "report-closed-no-reply")) == 1


def test_it_marks_a_duplicate_but_not_of_itself(report, report_taker, client):
    file_report(client, "theft-from-vehicle")
    copy = Report.objects.exclude(pk=report.pk).get()
    with pytest.raises(workflow.NotAllowed):
        workflow.mark_duplicate(copy, by=report_taker, original=copy)
    event = workflow.mark_duplicate(copy, by=report_taker, original=report)
    copy.refresh_from_db()
    assert copy.status == Status.DUPLICATE and copy.duplicate_of == report
    assert event.data == {"original": report.tracking_number}


def test_it_moves_to_another_queue_and_unassigns(report, report_taker):
    workflow.assign(report, to=report_taker, by=report_taker)
    traffic = Queue.objects.get(code="traffic-control")
    event = workflow.move_to_queue(report, by=report_taker, queue=traffic, note="It is a parking matter.")
    report.refresh_from_db()
    assert report.queue == traffic and report.assignee is None and report.status == Status.SUBMITTED
    assert event.kind == ReportEvent.Kind.MOVED and not event.is_public
    with pytest.raises(workflow.NotAllowed):
        workflow.move_to_queue(report, by=report_taker, queue=traffic)


def test_it_closes_and_then_refuses_every_move(report, report_taker, supervisor):
    workflow.close(report, by=report_taker, note="Resident withdrew it by phone.")
    for attempt in (
        lambda: workflow.approve(report, by=report_taker),
        lambda: workflow.assign(report, to=supervisor, by=supervisor),
        lambda: workflow.move_to_queue(
            report, by=report_taker, queue=Queue.objects.get(code="traffic-control")
        ),
    ):
        with pytest.raises(workflow.IllegalMove):
            attempt()


def test_it_keeps_internal_notes_internal(report, report_taker):
    event = workflow.add_note(report, by=report_taker, text="Called the resident, no answer.")
    assert event.kind == ReportEvent.Kind.NOTE and not event.is_public
    assert not OutboxMessage.objects.filter(report=report).exclude(payload__template="report-filed").exists()


def test_it_takes_the_oldest_unassigned_report(client, catalog, report_taker):
    for subtype in ("theft-other", "damage-other", "theft-bicycle"):
        file_report(client, subtype)
    oldest = Report.objects.order_by("created_at").first()
    queue = Queue.objects.get(code="theft-damage")
    taken = workflow.take_next(queue, by=report_taker)
    assert taken == oldest
    taken.refresh_from_db()
    assert taken.assignee == report_taker and taken.status == Status.IN_REVIEW
    assert workflow.take_next(queue, by=report_taker) != oldest


def test_it_never_rewrites_the_audit_trail(report):
    event = report.events.get()
    with pytest.raises(AppendOnly):
        event.delete()
    with pytest.raises(AppendOnly):
        ReportEvent.objects.filter(pk=event.pk).update(note="changed")
    with pytest.raises(AppendOnly):
        ReportEvent.objects.all().delete()
    event.note = "changed"
    with pytest.raises(AppendOnly):
        event.save()
