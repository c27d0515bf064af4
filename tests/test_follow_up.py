"""The follow-up question (issue 15): a few days after a report closes, its resident is asked once, by
email or text in their language, whether it was easy to report and whether they are satisfied; each
answer is one tap, kept once however often a link is used; an opt-out is respected; the answers by type
and channel are on the supervisors' and the public figures pages."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from reports import follow_ups, outbox, tasks
from reports.models import Channel, FollowUp, FollowUpOptOut, OutboxMessage, Report, UpdatesBy

from .conftest import sign_in
from .factories import make_report
from .test_texts import NUMBER, texts_sent

pytestmark = pytest.mark.django_db


def closed(days_ago: float, subtype: str = "theft-bicycle", **fields) -> Report:
    fields = {"status": "approved", "contact_email": "ana@example.org", "language": "en", **fields}
    return make_report(subtype, closed_at=timezone.now() - timedelta(days=days_ago), **fields)


def send_all() -> list[str]:
    due = OutboxMessage.objects.filter(state=OutboxMessage.State.PENDING).order_by("pk")
    return [outbox.claim_and_run(pk, tasks.HANDLERS) for pk in due.values_list("pk", flat=True)]


def follow_up_emails() -> list:
    return [email for email in mail.outbox if "Two quick questions" in email.subject]


def link(body: str, label: str) -> str:
    """The path of the one-tap link after `label` ("Yes" or "No") under the question it answers."""
    return re.search(rf"{label}: https?://[^/\s]+(/status/\S+/)", body)[1]


def test_a_resident_is_asked_once_a_few_days_after_the_report_closed(catalog, settings):
    settings.FOLLOW_UP_DAYS = 3
    due = closed(4)
    too_soon, too_old = closed(2), closed(3 + follow_ups.ASK_WITHIN_DAYS + 1)
    still_open = make_report(contact_email="bo@example.org", created_at=timezone.now() - timedelta(days=9))

    assert tasks.ask_follow_up_questions() == 1
    assert tasks.ask_follow_up_questions() == 0  # beat runs every hour: nobody is asked twice
    send_all()

    assert list(FollowUp.objects.values_list("report", flat=True)) == [due.pk]
    (email,) = follow_up_emails()
    assert email.to == ["ana@example.org"] and due.tracking_number in email.subject
    assert "Was this easy to report?" in email.body and "Are you satisfied with what happened?" in email.body
    assert not FollowUp.objects.filter(report__in=[too_soon, too_old, still_open]).exists()


def test_the_answer_is_recorded_once_however_often_the_link_is_tapped(catalog):
    report = closed(4)
    follow_ups.ask_due()
    send_all()
    body = follow_up_emails()[0].body
    easy_yes, easy_no = link(body, "Yes"), link(body, "No")
    resident = Client()

    page = resident.get(easy_yes).content.decode()  # what a link checker sees: nothing is answered yet
    assert "Send my answer: Yes" in page and "data-autosubmit" in page
    assert FollowUp.objects.get(report=report).easy is None
    answered = resident.post(
        easy_yes.rsplit("easy/", 1)[0], {"question": "easy", "answer": "yes"}, follow=True
    )
    assert "Your answer was recorded" in answered.content.decode()

    for _ in range(3):  # the same tap again, the other answer, and straight at the form
        resident.post(easy_yes.rsplit("easy/", 1)[0], {"question": "easy", "answer": "yes"})
    again = resident.post(easy_no.rsplit("easy/", 1)[0], {"question": "easy", "answer": "no"}, follow=True)
    assert "We already have your answer" in again.content.decode()
    assert resident.get(easy_no)["Location"].endswith("/feedback/")  # answered: no second form

    follow_up = FollowUp.objects.get(report=report)
    assert (follow_up.easy, follow_up.satisfied) == (True, None)
    first = follow_up.answered_at
    resident.post(easy_yes.rsplit("easy/", 1)[0], {"question": "satisfied", "answer": "no"})
    follow_up.refresh_from_db()
    assert (follow_up.easy, follow_up.satisfied, follow_up.answered_at) == (True, False, first)


def test_bad_answers_and_reports_never_asked_change_nothing(catalog):
    asked, never = closed(4), closed(4, contact_email="")
    follow_ups.ask_due()
    token = follow_ups_token(asked)
    resident = Client()

    assert resident.get(f"/status/{token}/feedback/easy/maybe/").status_code == 404
    assert resident.get(f"/status/{token}/feedback/price/yes/").status_code == 404
    wrong = resident.post(f"/status/{token}/feedback/", {"question": "easy", "answer": "maybe"}, follow=True)
    assert "Please choose Yes or No." in wrong.content.decode()
    assert resident.post(f"/status/{token}/feedback/", {"question": "x" * 5000}).status_code == 302
    assert FollowUp.objects.get(report=asked).answered_at is None

    never_token = follow_ups_token(never)
    assert resident.get(f"/status/{never_token}/feedback/").status_code == 404
    assert (
        resident.post(f"/status/{never_token}/feedback/", {"question": "easy", "answer": "yes"}).status_code
        == 404
    )
    assert Client().get("/status/not-a-token/feedback/").status_code == 404


def follow_ups_token(report: Report) -> str:
    from reports.models import StatusLink

    return StatusLink.issue(report)


def test_an_opt_out_is_respected_for_the_next_report(catalog):
    first = closed(4, contact_email="Ana@Example.org")
    follow_ups.ask_due()
    token = follow_ups_token(first)
    answered = Client().post(f"/status/{token}/feedback/stop/", follow=True).content.decode()
    assert "We will not send you questions like these again." in answered
    assert FollowUpOptOut.objects.count() == 1
    assert "ana@example.org" not in str(list(FollowUpOptOut.objects.values_list("contact_hash", flat=True)))

    later = closed(4, contact_email="ana@example.org ")
    mail.outbox.clear()
    OutboxMessage.objects.all().delete()
    assert follow_ups.ask_due() == 0
    send_all()
    assert follow_up_emails() == []
    assert FollowUp.objects.get(report=later).asked_at is None  # decided, not sent, not counted as asked


def test_a_resident_who_chose_texts_is_asked_by_text_in_their_language(catalog, sms_outbox):
    report = closed(
        4,
        contact_email="",
        contact_phone=NUMBER,
        updates_by=UpdatesBy.TEXT,
        sms_consent_at=timezone.now() - timedelta(days=9),
        language="es",
    )
    follow_ups.ask_due()
    assert send_all() == ["done"]

    (text,) = texts_sent(sms_outbox)
    assert report.tracking_number in text and "/feedback/" in text
    page = Client().get(re.search(r"https?://[^/\s]+(/status/\S+/)", text)[1]).content.decode()
    assert "¿Fue fácil hacer este reporte?" in page and "¿Está satisfecho con lo que pasó?" in page


def test_the_email_speaks_the_residents_language(catalog):
    closed(4, language="es")
    follow_ups.ask_due()
    send_all()
    (email,) = mail.outbox
    assert email.subject.startswith("Dos preguntas rápidas sobre su reporte")
    assert "¿Fue fácil hacer este reporte?" in email.body and "Sí: http" in email.body


def test_the_answers_by_type_and_channel_are_on_both_figures_pages(catalog, supervisor):
    answers = [(True, True), (True, False), (False, None)]
    for easy, satisfied in answers:
        report = closed(4, channel=Channel.WEB)
        FollowUp.objects.create(
            report=report, asked_at=timezone.now(), easy=easy, satisfied=satisfied, answered_at=timezone.now()
        )
    FollowUp.objects.create(
        report=closed(4, "parking-fire-hydrant", channel=Channel.PHONE), asked_at=timezone.now()
    )
    FollowUp.objects.create(report=closed(4), asked_at=None)  # opted out: not asked, not counted

    figures = follow_ups.answers(timezone.now() - timedelta(days=1), timezone.now() + timedelta(minutes=1))
    assert [
        (row.channel, row.asked, row.answered, row.easy_percent, row.satisfied_percent)
        for row in figures.rows
    ] == [
        ("Web", 3, 3, 67, 50),
        ("Phone", 1, 0, None, None),
    ]
    assert (figures.total.asked, figures.total.answered, figures.total.easy_yes) == (4, 3, 2)

    staff = Client()
    sign_in(staff, supervisor)
    for page in (staff.get("/staff/figures/"), Client().get("/figures/")):
        html = page.content.decode()
        assert 'id="table-follow-up"' in html
        assert 'id="figure-easy">67%' in html and 'id="figure-satisfied">50%' in html
        assert "2 of 3" in html and "1 of 2" in html


def test_staff_see_what_the_resident_answered_on_the_report_page(catalog, report_taker):
    answered, unasked = closed(4), closed(4)
    follow_ups.ask_due()
    FollowUp.objects.filter(report=unasked).delete()
    follow_ups.answer(answered, "satisfied", False)
    staff = Client()
    sign_in(staff, report_taker)

    page = staff.get(f"/staff/reports/{answered.tracking_number}/").content.decode()
    shown = re.search(r"<p data-follow-up>(.*?)</p>", page, re.S)[1]
    assert "Easy to report: no answer" in " ".join(shown.split())
    assert "Satisfied with what happened: No" in " ".join(shown.split())
    assert "data-follow-up" not in staff.get(f"/staff/reports/{unasked.tracking_number}/").content.decode()
