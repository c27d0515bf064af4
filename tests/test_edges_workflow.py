"""Edges of reports/workflow.py found by mutation testing: what each staff decision keeps in its event (who,
the note, the reason, the prepared message and what was missing) and hands to the resident's email, and
the reminder's guards and the one field it saves, the photos a reply lists, and duplicates; which file a
staff member downloaded, named in the access log's event.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from reports import evidence, submission, workflow
from reports.models import Evidence, OutboxMessage, ReferralReason, RejectionReason, Report, ResponseTemplate
from reports.statuses import Status

from . import samples
from .conftest import sign_in
from .factories import file_parking, make_report
from .flows import file_report

pytestmark = pytest.mark.django_db


@pytest.fixture
def report(catalog) -> Report:
    return make_report(contact_email="resident@example.org")


def emails(report: Report) -> list[dict]:
    return [m.payload for m in OutboxMessage.objects.filter(report=report, kind=OutboxMessage.Kind.EMAIL)]


def refer(report, **kwargs):
    return workflow.refer_to_police(report, reason=ReferralReason.objects.get(code="suspect-known"), **kwargs)


def reject(report, **kwargs):
    return workflow.reject(report, reason=RejectionReason.objects.get(code="civil-matter"), **kwargs)


def request_info(report, **kwargs):
    if "note" in kwargs:
        kwargs["message"] = kwargs.pop("note")
    return workflow.request_info(report, **kwargs)


DECISIONS = {
    # name: (service, status, email template or None, what the reason adds to the event and the email)
    "approve": (workflow.approve, Status.APPROVED, "report-approved", {}),
    "request_info": (request_info, Status.NEEDS_INFO, "info-requested", {}),
    "reject": (reject, Status.REJECTED, "report-rejected", {"reason": "civil-matter"}),
    "refer": (refer, Status.REFERRED, "report-referred", {"reason": "suspect-known"}),
    "close": (workflow.close, Status.CLOSED, None, {}),
}


@pytest.mark.parametrize("name", DECISIONS)
def test_it_keeps_who_decided_why_and_the_prepared_message_in_the_event(report, report_taker, name):
    decide, status, template, reason = DECISIONS[name]
    prepared = ResponseTemplate.objects.first()

    event = decide(report, by=report_taker, note="See the note.", template=prepared, missing=" receipt ")

    event.refresh_from_db()
    assert (event.actor, event.note, event.to_status) == (report_taker, "See the note.", status)
    assert event.data == {**reason, "template": prepared.code, "missing": "receipt"}
    if template:
        assert emails(report) == [{"template": template, "event": event.pk, **reason}]


@pytest.mark.parametrize("name", DECISIONS)
def test_it_keeps_no_note_and_nothing_missing_when_none_is_given(report, report_taker, name):
    decide, _status, _template, reason = DECISIONS[name]
    prepared = ResponseTemplate.objects.first()

    event = decide(report, by=report_taker, template=prepared)

    event.refresh_from_db()
    assert event.note == ""
    assert event.data == {**reason, "template": prepared.code, "missing": ""}


def test_it_sends_no_reminder_for_a_report_that_was_never_asked(report):
    assert workflow.remind_about_info(report) is None
    assert not report.events.exists() and emails(report) == []


def test_it_sends_one_reminder_only_and_shows_it_to_the_resident(report, report_taker):
    workflow.request_info(report, by=report_taker, message="Which window?")
    first = workflow.remind_about_info(report)

    assert first is not None and workflow.remind_about_info(report) is None
    assert report.events.filter(kind=first.kind).count() == 1
    assert first.is_public  # on the resident's status page too
    reminders = [email for email in emails(report) if email["template"] == "info-reminder"]
    assert reminders == [{"template": "info-reminder", "event": first.pk}]


def test_it_saves_only_the_reminders_own_fields(report, report_taker):
    workflow.request_info(report, by=report_taker, message="Which window?")
    # Changed elsewhere since this copy of the report was read; the reminder must not write it back.
    Report.objects.filter(pk=report.pk).update(address="400 S 4th St")
    before = timezone.now() - timedelta(seconds=1)

    workflow.remind_about_info(report)

    report.refresh_from_db()
    assert report.address == "400 S 4th St" and report.info_reminder_sent_at > before


def test_it_names_the_closing_event_in_the_email_when_no_reply_came(report, report_taker):
    workflow.request_info(report, by=report_taker, message="Which window?")

    event = workflow.close_unanswered(report)

    closing = [email for email in emails(report) if email["template"] == "report-closed-no-reply"]
    assert closing == [{"template": "report-closed-no-reply", "event": event.pk}]


def test_it_finds_the_requests_due_a_reminder_and_those_expired_in_one_query(
    catalog, django_assert_num_queries
):
    now = timezone.now()
    make_report(status=Status.NEEDS_INFO, info_due_at=now + timedelta(days=30))  # not yet
    remind = make_report(status=Status.NEEDS_INFO, info_due_at=now + timedelta(hours=1))
    expired = make_report(status=Status.NEEDS_INFO, info_due_at=now - timedelta(hours=1))
    make_report(status=Status.CLOSED, info_due_at=now - timedelta(hours=1))  # closed while it waited
    make_report(status=Status.NEEDS_INFO, info_due_at=None)  # a row from before due dates

    with django_assert_num_queries(1):
        due = workflow.due_info_requests()
        reminder_days = [r.report_type.info_reminder_days for r in due[0]]

    assert due == ([remind], [expired]) and reminder_days


def test_it_lists_the_photos_of_a_reply_in_its_event(report, report_taker):
    workflow.request_info(report, by=report_taker, message="A photo of the window, please.")
    rows = submission.evidence_rows(
        report,
        [evidence.store_upload(samples.upload("window.jpg", samples.jpeg_bytes()))],
        Evidence.Source.REPLY,
    )

    event = workflow.receive_reply(report, text="Here it is.", evidence=rows)

    event.refresh_from_db()
    assert event.data == {"evidence": [str(report.evidence.get().public_id)]}


def test_it_refuses_a_duplicate_of_itself_in_words_staff_read(report, report_taker):
    with pytest.raises(workflow.NotAllowed) as refused:
        workflow.mark_duplicate(report, by=report_taker, original=report)

    assert str(refused.value) == "A report cannot be a duplicate of itself."


def test_it_records_who_marked_a_duplicate_and_of_what(report, report_taker, catalog):
    original = make_report()

    event = workflow.mark_duplicate(report, by=report_taker, original=original)

    event.refresh_from_db()
    assert event.actor == report_taker and event.data == {"original": original.tracking_number}
    report.refresh_from_db()
    assert report.duplicate_of == original and report.status == Status.DUPLICATE


def test_it_asks_staff_to_say_what_they_need_when_they_said_nothing(report, report_taker):
    with pytest.raises(workflow.NotAllowed) as refused:
        workflow.request_info(report, by=report_taker, message="  ")

    assert str(refused.value) == "Say what you need from the resident, or pick a prepared message."
    assert not report.events.exists()


def test_it_names_both_statuses_when_a_move_is_not_allowed(report, report_taker):
    reject(report, by=report_taker)

    with pytest.raises(workflow.IllegalMove) as refused:
        workflow.approve(report, by=report_taker)

    assert str(refused.value) == "A report that is “Not accepted” cannot become “Approved”."


def test_it_names_the_file_a_download_of_an_original_opened_in_the_access_log(client, report_taker):
    file_report(client, "damage-vehicle", files=[samples.upload("photo.jpg", samples.jpeg_bytes())])
    report = Report.objects.get()
    item = report.evidence.get()
    taker = Client()
    sign_in(taker, report_taker)

    taker.get(reverse("staff-evidence", args=[report.tracking_number, item.public_id, "original"]))

    event = report.events.get(kind="evidence_viewed")
    assert event.actor == report_taker
    assert event.data == {"evidence": str(item.public_id), "name": "photo.jpg", "action": "download"}


def test_a_note_keeps_who_wrote_it_and_what_they_wrote(catalog, report_taker):
    report = make_report()

    workflow.add_note(report, by=report_taker, text="Called the resident, no answer.")

    note = report.events.get(kind="note")
    assert (note.actor, note.note) == (report_taker, "Called the resident, no answer.")


def test_a_view_marks_the_report_seen_in_the_database_and_on_the_page_s_copy(catalog, report_taker):
    report = make_report()
    before = timezone.now()

    workflow.record_view(report, by=report_taker)

    # The staff page goes on with the same object: its "updated by the resident" mark must see the view.
    assert report.staff_seen_at is not None and report.staff_seen_at >= before
    assert Report.objects.get(pk=report.pk).staff_seen_at == report.staff_seen_at


def test_a_closure_keeps_who_closed_it_and_no_note_when_none_was_written(catalog, traffic_agent):
    report = file_parking(vehicle_plate="WHO0001").report
    workflow.dispatch(report, by=traffic_agent, unit="PE-14")

    event = workflow.resolve(report, by=traffic_agent, outcome="citation_issued")

    stored = report.events.get(pk=event.pk)
    assert (stored.actor, stored.note, stored.to_status) == (traffic_agent, "", Status.RESOLVED)


def test_the_lock_reads_again_what_a_transition_decides_on_in_one_statement(
    report, report_taker, django_assert_num_queries
):
    """Another click changed the report after this page read it: the lock brings the status, queue and
    assignee up to date, all three in the one locking read (a field left out would be read again after,
    outside what the lock decided on)."""
    from reports.models import Queue

    other_queue = Queue.objects.exclude(pk=report.queue_id).first()
    Report.objects.filter(pk=report.pk).update(
        status=Status.IN_REVIEW, queue=other_queue, assignee=report_taker
    )

    with django_assert_num_queries(1):
        workflow.lock(report)

    assert (report.status, report.queue_id, report.assignee_id) == (
        Status.IN_REVIEW,
        other_queue.pk,
        report_taker.pk,
    )


def test_only_a_person_s_action_counts_as_staff_s_first(catalog, traffic_agent):
    """The figures time staff's first action on a report: a change nobody made (Traffic Control's system
    through the API, the clock) leaves it unset; the first by a person sets it, and a later one keeps it."""
    report = file_parking(vehicle_plate="FIRST01").report

    workflow.dispatch(report, by=None, unit="PE-14")
    assert Report.objects.get(pk=report.pk).first_action_at is None

    workflow.arrive(report, by=traffic_agent)
    first = Report.objects.get(pk=report.pk).first_action_at
    assert first is not None

    workflow.resolve(report, by=traffic_agent, outcome="citation_issued")
    assert Report.objects.get(pk=report.pk).first_action_at == first
