"""Edit or withdraw before review, send more after (issue 17, part 2), through the status link's views:
until a report taker takes the report the resident can change its details, add files or withdraw it, and
staff see what changed; after, the status page says so and offers "send more information" instead."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from reports import follow_ups, outbox, tasks, workflow
from reports.models import Evidence, OutboxMessage, Report, ReportEvent
from reports.statuses import Status

from .conftest import sign_in
from .factories import file_parking, make_report, status_link
from .flows import details_for, file_report, status_token
from .samples import jpeg_bytes, upload

pytestmark = pytest.mark.django_db


def filed_theft(resident, **details) -> tuple[Report, str]:
    file_report(resident, "theft-other", **details)
    return Report.objects.get(), status_token(resident)


def edit_post(report: Report, **changes) -> dict:
    """What the change page posts: the filed details (contact included, as the browser would not send
    them), with `changes` on top."""
    data = details_for(report.subtype.code)
    for name in ("contact_name", "contact_email", "contact_phone"):
        data.pop(name)
    return {**data, **changes}


def test_the_resident_changes_the_details_before_review_and_staff_see_what_changed(
    resident, catalog, report_taker
):
    report, token = filed_theft(resident)
    page = resident.get(reverse("report-status", args=[token])).content.decode()
    assert "data-can-change" in page and reverse("report-status-change", args=[token]) in page

    form = resident.get(reverse("report-status-change", args=[token])).content.decode()
    assert "It happened overnight." in form and "ThinkPad X1" in form  # opens on what was filed

    response = resident.post(
        reverse("report-status-change", args=[token]),
        edit_post(
            report, description="It happened overnight, by the back door.", **{"items-0-value": "1350"}
        ),
        follow=True,
    )
    assert "Your changes were saved" in response.content.decode()
    report.refresh_from_db()
    assert report.description == "It happened overnight, by the back door."
    assert [str(item.value) for item in report.items.all()] == ["1350.00"]
    assert report.contact_email == "alex@example.org" and report.status == Status.SUBMITTED
    assert report.updated_by_resident
    (event,) = report.events.filter(kind=ReportEvent.Kind.EDITED)
    assert event.is_public and event.actor is None
    changed = {label: (before, after) for label, before, after in event.data["changes"]}
    assert changed == {
        "Description": ("It happened overnight.", "It happened overnight, by the back door."),
        "Stolen items": ("Laptop (ThinkPad X1, SN123, $1200.00)", "Laptop (ThinkPad X1, SN123, $1350.00)"),
    }
    assert "You changed the details" in response.content.decode()

    staff = Client()
    sign_in(staff, report_taker)
    staff_page = staff.get(reverse("staff-report-detail", args=[report.tracking_number])).content.decode()
    assert "data-changes" in staff_page and "$1200.00" in staff_page and "by the back door" in staff_page


def test_saving_without_a_change_records_nothing(resident, catalog):
    report, token = filed_theft(resident)
    response = resident.post(reverse("report-status-change", args=[token]), edit_post(report), follow=True)
    assert "Nothing was changed" in response.content.decode()
    assert not report.events.filter(kind=ReportEvent.Kind.EDITED).exists()


def test_a_change_page_keeps_the_contact_details_as_filed(resident, catalog):
    report, token = filed_theft(resident)
    resident.post(
        reverse("report-status-change", args=[token]),
        edit_post(report, contact_email="mallory@example.org", description="Changed."),
    )
    report.refresh_from_db()
    assert report.contact_email == "alex@example.org" and report.description == "Changed."


def test_a_bad_change_is_refused_with_a_message_and_changes_nothing(resident, catalog):
    report, token = filed_theft(resident)
    response = resident.post(
        reverse("report-status-change", args=[token]),
        edit_post(report, description="", occurred_from="0001-01-01T00:00"),
    )
    assert response.status_code == 200
    assert "is-invalid" in response.content.decode()
    report.refresh_from_db()
    assert report.description == "It happened overnight." and not report.events.filter(kind="edited").exists()


def test_once_a_report_taker_has_it_the_resident_can_only_send_more(resident, catalog, report_taker):
    report, token = filed_theft(resident)
    workflow.take_next(report.queue, by=report_taker)

    page = resident.get(reverse("report-status", args=[token])).content.decode()
    assert "data-can-change" not in page and "data-taken" in page and "data-more-form" in page
    refused = resident.get(reverse("report-status-change", args=[token]), follow=True).content.decode()
    assert "A report taker has started on this report" in refused
    resident.post(reverse("report-status-change", args=[token]), edit_post(report, description="Late."))
    resident.post(reverse("report-status-withdraw", args=[token]), {"reason": "Found it."})
    report.refresh_from_db()
    assert report.description == "It happened overnight." and report.status == Status.IN_REVIEW

    sent = resident.post(
        reverse("report-status-more", args=[token]),
        {
            "text": "The serial number is SN123-B.",
            "files": [upload("receipt.jpg", jpeg_bytes(), "image/jpeg")],
        },
        follow=True,
    )
    assert "What you sent was added to the report" in sent.content.decode()
    (event,) = report.events.filter(kind=ReportEvent.Kind.MORE_INFO)
    assert event.note == "The serial number is SN123-B."
    (photo,) = report.evidence.all()
    assert event.data["evidence"] == [str(photo.public_id)] and photo.source == Evidence.Source.REPLY
    report.refresh_from_db()
    assert report.status == Status.IN_REVIEW and report.updated_by_resident


def test_sending_nothing_is_refused_with_a_message(resident, catalog):
    report, token = filed_theft(resident)
    response = resident.post(reverse("report-status-more", args=[token]), {"text": "  "})
    assert "Write something, or add a photo or document." in response.content.decode()
    assert not report.events.filter(kind=ReportEvent.Kind.MORE_INFO).exists()


def test_a_withdrawn_report_leaves_the_queue_and_its_pending_messages_are_cancelled(
    resident, catalog, report_taker
):
    report, token = filed_theft(resident)
    (filed_email,) = OutboxMessage.objects.filter(kind=OutboxMessage.Kind.EMAIL)  # not sent yet
    copies = OutboxMessage.objects.filter(kind=OutboxMessage.Kind.EVIDENCE_COPIES)

    empty = resident.post(reverse("report-status-withdraw", args=[token]), {"reason": ""})
    assert empty.status_code == 200 and "This field is required." in empty.content.decode()
    response = resident.post(
        reverse("report-status-withdraw", args=[token]), {"reason": "The laptop turned up."}, follow=True
    )
    assert "Your report was withdrawn" in response.content.decode()

    report.refresh_from_db()
    assert report.status == Status.WITHDRAWN and report.closed_at is not None
    event = report.events.get(to_status=Status.WITHDRAWN)
    assert event.note == "The laptop turned up." and event.actor is None
    filed_email.refresh_from_db()
    assert filed_email.state == OutboxMessage.State.CANCELLED
    assert all(job.state == OutboxMessage.State.PENDING for job in copies)  # photos are still cleaned
    (goodbye,) = OutboxMessage.objects.filter(
        kind=OutboxMessage.Kind.EMAIL, state=OutboxMessage.State.PENDING
    )
    assert goodbye.payload["template"] == "report-withdrawn"
    assert outbox.claim_and_run(filed_email.pk, tasks.HANDLERS) == "skipped"  # a late wake-up sends nothing

    staff = Client()
    sign_in(staff, report_taker)
    queue_page = staff.get(reverse("staff-queue", args=[report.queue.code])).content.decode()
    assert report.tracking_number not in queue_page
    assert workflow.take_next(report.queue, by=report_taker) is None

    again = resident.post(reverse("report-status-withdraw", args=[token]), {"reason": "Twice."}, follow=True)
    assert "This report is closed" in again.content.decode()
    assert report.events.filter(to_status=Status.WITHDRAWN).count() == 1


def test_parking_reports_are_traffic_controls_at_once_and_cannot_be_changed_here(resident, catalog):
    report = file_parking().report
    token = status_link(report)
    page = resident.get(reverse("report-status", args=[token])).content.decode()
    assert "data-can-change" not in page and "data-more-form" not in page
    refused = resident.get(reverse("report-status-withdraw", args=[token]), follow=True).content.decode()
    assert "Traffic Control already has this report" in refused
    report.refresh_from_db()
    assert report.status == Status.SUBMITTED


def test_a_withdrawn_report_gets_no_follow_up_question(resident, catalog, settings):
    report, token = filed_theft(resident)
    resident.post(reverse("report-status-withdraw", args=[token]), {"reason": "Found it."})
    Report.objects.filter(pk=report.pk).update(
        closed_at=timezone.now() - timedelta(days=settings.FOLLOW_UP_DAYS, hours=1)
    )
    approved = make_report(
        status=Status.APPROVED,
        contact_email="bo@example.org",
        closed_at=timezone.now() - timedelta(days=settings.FOLLOW_UP_DAYS, hours=1),
    )
    assert list(follow_ups.due()) == [approved]


def test_add_another_item_on_the_change_page_saves_nothing_yet(resident, catalog):
    report, token = filed_theft(resident)
    page = resident.post(
        reverse("report-status-change", args=[token]), edit_post(report, add_item="1", description="Later.")
    ).content.decode()
    assert 'id="item-2"' in page and "Later." in page
    report.refresh_from_db()
    assert report.description == "It happened overnight." and report.items.count() == 1


def test_the_residents_own_words_show_on_their_page_as_theirs(catalog, resident):
    report = make_report(language="es", contact_email="ana@example.org")
    token = status_link(report)
    resident.post(reverse("report-status-more", args=[token]), {"text": "El número de serie es SN123-B."})
    page = resident.get(reverse("report-status", args=[token])).content.decode()
    assert "El número de serie es SN123-B." in page
    assert "agregó lo siguiente, en inglés" not in page  # not introduced as a staff member's words


def test_an_answer_cleared_on_the_change_page_is_saved_and_shown_as_a_change(resident, catalog):
    report, token = filed_theft(resident, **{"q_other-damage": "The window was broken."})
    assert report.answers["other-damage"] == "The window was broken."
    response = resident.post(
        reverse("report-status-change", args=[token]),
        edit_post(report, **{"q_other-damage": ""}),
        follow=True,
    )
    assert "Your changes were saved" in response.content.decode()
    report.refresh_from_db()
    assert not report.answers.get("other-damage")
    (event,) = report.events.filter(kind=ReportEvent.Kind.EDITED)
    [(_label, before, after)] = event.data["changes"]
    assert (before, after) == ("The window was broken.", "")
