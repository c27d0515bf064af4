"""Text messages: filing with a mobile number confirmed by a code, every update by text, STOP/START/HELP,
the agent's status-link text, and the provider (Twilio) faked on loopback at its own wire format."""

from __future__ import annotations

import re
import time
from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation
from twilio.request_validator import RequestValidator

from reports import notifications, outbox, sms, tasks, texts, workflow
from reports.models import (
    Disposition,
    OutboxMessage,
    PhoneCode,
    Report,
    ReportEvent,
    ResponseTemplate,
    SmsOptOut,
    UploadLink,
)

from .conftest import sign_in, wait_for
from .factories import file_parking, make_report
from .fake_twilio import AUTH_TOKEN, FROM_NUMBER, FakeTwilio, use_fake
from .flows import details_for, pass_screen, send

pytestmark = pytest.mark.django_db

NUMBER = "+16125550123"
TYPED_NUMBER = "612-555-0123"


def run_outbox() -> list[str]:
    """Run every due text and email once, in order, as a worker would (each task's own logic)."""
    due = OutboxMessage.objects.filter(state=OutboxMessage.State.PENDING).order_by("pk")
    return [outbox.claim_and_run(pk, tasks.HANDLERS) for pk in due.values_list("pk", flat=True)]


def texts_sent(folder) -> list[str]:
    """The file backend's texts, oldest first: what the resident's phone received."""
    files = sorted(folder.glob("*.txt"), key=lambda path: path.stat().st_mtime_ns) if folder.exists() else []
    return [path.read_text(encoding="utf-8").split("\n\n", 1)[1].strip() for path in files]


def code_in(text: str) -> str:
    return re.search(r"\b(\d{6})\b", text)[1]


def choose_texts(client: Client, subtype: str = "theft-bicycle", **overrides):
    assert pass_screen(client, subtype).status_code == 302
    choice = {"contact_email": "", "contact_phone": TYPED_NUMBER, "updates_by": "text", **overrides}
    return client.post(reverse("report-details"), details_for(subtype, **choice))


def confirm(client: Client, sms_outbox) -> None:
    run_outbox()
    response = client.post(reverse("report-phone"), {"code": code_in(texts_sent(sms_outbox)[-1])})
    assert response.status_code == 302 and response["Location"] == reverse("report-review")


def filed_by_text(client: Client, sms_outbox, language: str = "en", **overrides) -> Report:
    client.cookies["django_language"] = language
    assert choose_texts(client, **overrides)["Location"] == reverse("report-phone")
    confirm(client, sms_outbox)
    assert send(client).status_code == 302
    return Report.objects.get()


# --- Filing with a mobile number ---------------------------------------------------------------------------


def test_a_resident_files_a_theft_report_with_only_a_mobile_number(client, catalog, sms_outbox):
    response = choose_texts(client)
    assert response["Location"] == reverse("report-phone")
    assert run_outbox() == ["done"]
    (code_text,) = texts_sent(sms_outbox)
    page = client.get(reverse("report-phone")).content.decode()
    assert "(612) 555-0123" in page and "Reply STOP to stop" in page

    wrong = client.post(
        reverse("report-phone"), {"code": "000000" if code_in(code_text) != "000000" else "1"}
    )
    assert "That code is not right" in wrong.content.decode()
    confirm(client, sms_outbox)
    assert send(client).status_code == 302

    report = Report.objects.get()
    assert (report.contact_phone, report.contact_email, report.updates_by) == (NUMBER, "", "text")
    assert report.sms_consent_text == "Message and data rates may apply. Reply STOP to stop, HELP for help."
    assert report.sms_consent_at is not None
    assert run_outbox() == ["done"]  # the "filed" text, and no email (there is no address)
    filed = texts_sent(sms_outbox)[-1]
    assert report.tracking_number in filed and "/status/" in filed
    assert "Alex" not in filed and "Laptop" not in filed  # nothing the resident told us
    assert sms.segments(filed) <= 2 and sms.is_gsm7(filed)
    assert not mail.outbox
    submitted = client.get(reverse("report-submitted")).content.decode()
    assert "We are texting this link to (612) 555-0123" in submitted


def test_the_review_page_sends_an_unconfirmed_number_back_to_the_code(client, catalog, sms_outbox):
    choose_texts(client)

    shown = client.get(reverse("report-review"))
    sent = send(client)

    assert shown["Location"] == reverse("report-phone") and sent["Location"] == reverse("report-phone")
    assert not Report.objects.exists()


def test_a_number_changed_after_confirming_needs_a_new_code(client, catalog, sms_outbox):
    choose_texts(client)
    confirm(client, sms_outbox)
    data = details_for("theft-bicycle", contact_email="", contact_phone="612-555-0199", updates_by="text")

    response = client.post(reverse("report-details"), data)

    assert response["Location"] == reverse("report-phone")
    assert client.get(reverse("report-review"))["Location"] == reverse("report-phone")


def test_texts_need_a_mobile_number_and_email_needs_an_address(client, catalog):
    pass_screen(client, "theft-bicycle")
    no_number = details_for("theft-bicycle", contact_email="", contact_phone="", updates_by="text")
    no_email = details_for("theft-bicycle", contact_email="", contact_phone="", updates_by="email")
    toll_free = details_for("theft-bicycle", contact_phone="800-555-1212", updates_by="both")

    pages = [client.post(reverse("report-details"), data).content.decode() for data in (no_number, no_email)]
    third = client.post(reverse("report-details"), toll_free).content.decode()

    assert "Enter your mobile number to get text messages." in pages[0]
    assert "Enter your email, or choose text messages." in pages[1]
    assert "Enter a mobile number that can get texts" in third
    assert not PhoneCode.objects.exists()


def test_a_number_that_cannot_get_texts_is_kept_as_typed_when_texts_are_not_chosen(client, catalog):
    pass_screen(client, "theft-bicycle")
    client.post(reverse("report-details"), details_for("theft-bicycle", contact_phone="1-800-555-1212 ext 4"))

    assert send(client).status_code == 302
    report = Report.objects.get()
    assert (report.contact_phone, report.updates_by, report.wants_texts) == (
        "1-800-555-1212 ext 4",
        "email",
        False,
    )


def test_both_email_and_texts(client, catalog, sms_outbox):
    report = filed_by_text(client, sms_outbox, contact_email="alex@example.org", updates_by="both")

    run_outbox()

    assert report.wants_email and report.wants_texts
    assert len(mail.outbox) == 1 and report.tracking_number in texts_sent(sms_outbox)[-1]


# --- The code's limits ------------------------------------------------------------------------------------


def test_a_code_expires_and_allows_only_a_few_guesses(client, catalog, sms_outbox, settings):
    settings.SMS_CODE_ATTEMPTS = 3
    choose_texts(client)
    run_outbox()
    right = code_in(texts_sent(sms_outbox)[-1])
    wrong = "111111" if right != "111111" else "222222"

    for _ in range(3):
        client.post(reverse("report-phone"), {"code": wrong})
    blocked = client.post(reverse("report-phone"), {"code": right}).content.decode()
    assert "Too many wrong tries" in blocked

    PhoneCode.objects.update(attempts=0, expires_at=timezone.now() - timedelta(seconds=1))
    expired = client.post(reverse("report-phone"), {"code": right}).content.decode()
    assert "That code has expired" in expired
    assert client.get(reverse("report-review"))["Location"] == reverse("report-phone")  # not confirmed
    assert not Report.objects.exists()


def test_codes_are_limited_per_number_and_per_address(client, catalog, sms_outbox, settings):
    settings.SMS_CODE_RESEND_SECONDS = 0
    settings.SMS_CODES_PER_NUMBER = 2
    settings.SMS_CODES_PER_ADDRESS = 3
    choose_texts(client)  # code 1

    client.post(reverse("report-phone"), {"resend": "1"})  # code 2
    refused = client.post(reverse("report-phone"), {"resend": "1"}, follow=True).content.decode()
    assert "We have sent this number too many codes" in refused
    assert PhoneCode.objects.count() == 2

    other = Client()  # another number from the same address: one more, then no more
    choose_texts(other, contact_phone="612-555-0177")
    stopped = other.post(reverse("report-phone"), {"resend": "1"}, follow=True).content.decode()
    assert "Too many codes were asked for from here" in stopped
    assert PhoneCode.objects.count() == 3


def test_a_second_press_of_send_again_within_seconds_sends_nothing(client, catalog, sms_outbox):
    choose_texts(client)

    response = client.post(reverse("report-phone"), {"resend": "1"}, follow=True).content.decode()

    assert "We just sent a code" in response
    assert PhoneCode.objects.count() == 1


def test_a_code_in_other_digits_is_a_wrong_code_not_an_error(client, catalog, sms_outbox):
    choose_texts(client)

    response = client.post(reverse("report-phone"), {"code": "١٢٣٤٥٦"})

    assert response.status_code == 200 and "That code is not right" in response.content.decode()


def test_a_double_click_sends_one_code_and_any_live_code_confirms(client, catalog, sms_outbox, settings):
    choose_texts(client)
    choose_texts(client)  # Continue pressed twice: the second is inside the resend window
    assert PhoneCode.objects.count() == 1
    settings.SMS_CODE_RESEND_SECONDS = 0
    client.post(reverse("report-phone"), {"resend": "1"})  # a second code, on purpose
    run_outbox()

    first = code_in(texts_sent(sms_outbox)[0])  # the first to arrive still works
    response = client.post(reverse("report-phone"), {"code": first})

    assert response["Location"] == reverse("report-review")


def test_a_number_that_replied_stop_gets_no_code_and_is_told_why(client, catalog, sms_outbox):
    texts.record_reply(NUMBER, "STOP")

    page = client.get(choose_texts(client)["Location"]).content.decode()

    assert "This number replied STOP to our texts" in page
    assert not PhoneCode.objects.exists()


def test_the_code_is_not_stored(client, catalog, sms_outbox):
    choose_texts(client)
    run_outbox()
    code = code_in(texts_sent(sms_outbox)[-1])

    row = PhoneCode.objects.get()
    message = OutboxMessage.objects.get(kind=OutboxMessage.Kind.SMS)

    assert code not in str(row.__dict__) and code not in str(message.payload)
    assert row.code == code  # derived from the nonce and the secret key
    assert len(row.nonce) <= PhoneCode._meta.get_field("nonce").max_length  # PostgreSQL holds to it


# --- Every update by text ---------------------------------------------------------------------------------


def test_the_approval_text_links_to_the_pdf(client, catalog, sms_outbox, report_taker):
    report = filed_by_text(client, sms_outbox)
    run_outbox()

    workflow.approve(report, by=report_taker)
    run_outbox()

    approved = texts_sent(sms_outbox)[-1]
    report.refresh_from_db()
    assert report.case_number in approved
    pdf_path = re.search(r"https?://[^/\s]+(/status/\S+/report\.pdf)", approved)[1]
    pdf = Client().get(pdf_path)
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert sms.segments(approved) <= 2


def test_a_staff_template_reaches_a_hmong_speaking_resident_in_hmong_by_text(
    client, catalog, sms_outbox, report_taker
):
    report = filed_by_text(client, sms_outbox, language="hmn")
    run_outbox()
    staff = Client()
    sign_in(staff, report_taker)
    serial = ResponseTemplate.objects.get(code="serial-number-needed")

    staff.post(
        reverse("staff-report-action", args=[report.tracking_number, "request-info"]),
        {"template": serial.pk, "missing": "Trek FX 3", "note": ""},
    )
    run_outbox()

    # The text says it in Hmong, in two segments: the prepared message itself is too long for a text,
    # and waits behind the link, in Hmong and filled in.
    asked = texts_sent(sms_outbox)[-1]
    assert report.tracking_number in asked and "needs more information" not in asked
    assert sms.segments(asked) <= 2
    status = Client().get(re.search(r"https?://[^/\s]+(/status/\S+/)", asked)[1]).content.decode()
    assert "Thov xa tus lej serial ntawm: Trek FX 3." in status and "serial number of" not in status


@pytest.mark.parametrize("language", ["en", "es", "so", "hmn"])
def test_every_text_fits_two_segments_in_every_language(catalog, language, settings):
    settings.SITE_URL = "https://311.minneapolismn.gov"
    report = make_report(language=language, case_number="MP26-000123", info_due_at=timezone.now())
    bodies = []
    for template in sorted(texts.TEMPLATES - {"parking-resolved", "upload-link"}):
        bodies.append(texts.report_text(report, template))
        assert report.tracking_number in bodies[-1]
    link = UploadLink.objects.create(report=report, expires_at=timezone.now() + timedelta(days=3))
    event = ReportEvent.objects.create(
        report=report, kind=ReportEvent.Kind.UPLOAD_LINK, data={"link": link.pk}
    )
    bodies.append(texts.report_text(report, "upload-link", event_id=event.pk))
    assert link.token in bodies[-1] and report.tracking_number in bodies[-1]
    for outcome in Disposition.objects.values_list("code", flat=True):
        report.outcome = outcome
        bodies.append(texts.report_text(report, "parking-resolved"))
    bodies.append(
        texts.render("code", language, {"code": "123456", "minutes": 10, "CITY_NAME": "Minneapolis"})
    )
    with translation.override(language):
        bodies += [texts.handle_reply(NUMBER, "HELP"), texts.handle_reply(NUMBER, "START")]
    bodies += [
        texts.still_there_reply(report, NUMBER, hours=24),
        texts.still_there_reply(None, NUMBER, hours=24),
    ]
    for body in bodies:
        assert sms.segments(body) <= texts.MAX_SEGMENTS, body
        assert sms.is_gsm7(body), body  # GSM-7 in all four: Spanish loses only its accents
    assert sms.segments(bodies[-5]) == 1  # the code


def test_the_provider_sees_one_request_per_text_even_when_the_task_runs_twice(
    client, catalog, sms_outbox, settings
):
    with FakeTwilio() as fake:
        use_fake(settings, fake)
        choose_texts(client)
        message = OutboxMessage.objects.get(kind=OutboxMessage.Kind.SMS)

        first = tasks.run_outbox_message(message.pk)
        second = tasks.run_outbox_message(message.pk)

    assert (first, second) == ("done", "skipped")
    (sent,) = fake.requests
    assert sent["path"] == f"/2010-04-01/Accounts/{settings.TWILIO_ACCOUNT_SID}/Messages.json"
    assert sent["auth"] == f"{settings.TWILIO_ACCOUNT_SID}:{AUTH_TOKEN}"
    assert sent["form"]["To"] == NUMBER and sent["form"]["From"] == FROM_NUMBER
    assert re.search(r"\b\d{6}\b", sent["form"]["Body"])


@pytest.mark.worker
def test_a_real_worker_sends_the_code_and_the_filed_text_once_each(celery_worker, client, catalog, settings):
    with FakeTwilio() as fake:
        use_fake(settings, fake)
        choose_texts(client)
        assert wait_for(lambda: len(fake.requests) == 1)
        client.post(reverse("report-phone"), {"code": code_in(fake.texts[0]["Body"])})
        send(client)
        report = Report.objects.get()
        assert wait_for(lambda: len(fake.requests) == 2)
        # The broker delivers the same task again (a redelivery, a sweeper that raced): no second text.
        message = OutboxMessage.objects.get(payload__template="report-filed")
        tasks.run_outbox_message.delay(message.pk)
        tasks.run_outbox_message.delay(message.pk)
        time.sleep(2)

    assert len(fake.requests) == 2
    assert report.tracking_number in fake.texts[1]["Body"] and fake.texts[1]["To"] == NUMBER


def test_a_provider_failure_is_retried_and_a_refusal_is_dead_lettered(
    client, catalog, sms_outbox, settings, supervisor
):
    with FakeTwilio(script=[(503, 0), (400, 21211)]) as fake:
        use_fake(settings, fake)
        choose_texts(client)
        message = OutboxMessage.objects.get(kind=OutboxMessage.Kind.SMS)

        assert outbox.claim_and_run(message.pk, tasks.HANDLERS) == "retry"
        OutboxMessage.objects.filter(pk=message.pk).update(available_at=timezone.now())
        assert outbox.claim_and_run(message.pk, tasks.HANDLERS) == "dead"

    message.refresh_from_db()
    assert "21211" in message.last_error and len(fake.requests) == 2
    desk = Client()
    sign_in(desk, supervisor)
    dead = desk.get(reverse("staff-deliveries")).content.decode()
    assert f"#{message.pk}" in dead and "Text message to the resident" in dead  # with Retry now


def test_a_wrong_account_or_token_is_retried_not_dead_lettered(client, catalog, sms_outbox, settings):
    with FakeTwilio(script=[(401, 20003), (404, 20404)]) as fake:
        use_fake(settings, fake)
        choose_texts(client)
        message = OutboxMessage.objects.get(kind=OutboxMessage.Kind.SMS)
        assert outbox.claim_and_run(message.pk, tasks.HANDLERS) == "retry"
        OutboxMessage.objects.filter(pk=message.pk).update(available_at=timezone.now())
        assert outbox.claim_and_run(message.pk, tasks.HANDLERS) == "retry"


def test_email_still_goes_when_texts_were_chosen_but_never_confirmed(catalog):
    report = make_report(contact_email="alex@example.org", contact_phone=NUMBER, updates_by="text")

    notifications.notify(report, "report-filed")

    assert not report.wants_texts
    assert [m.kind for m in OutboxMessage.objects.all()] == [OutboxMessage.Kind.EMAIL]


def test_a_provider_that_says_the_number_opted_out_records_it(client, catalog, sms_outbox, settings):
    with FakeTwilio(script=[(400, 21610)]) as fake:
        use_fake(settings, fake)
        choose_texts(client)
        assert run_outbox() == ["dead"]

    assert SmsOptOut.stopped(NUMBER)


# --- STOP, START, HELP ------------------------------------------------------------------------------------


def reply(client: Client, settings, body: str, *, signature: str | None = None, sender: str = NUMBER):
    settings.TWILIO_AUTH_TOKEN = AUTH_TOKEN
    url = settings.SITE_URL + reverse("sms-inbound")
    params = {"From": sender, "To": FROM_NUMBER, "Body": body, "MessageSid": "SM" + "1" * 32}
    signed = RequestValidator(AUTH_TOKEN).compute_signature(url, params)
    return client.post(reverse("sms-inbound"), params, HTTP_X_TWILIO_SIGNATURE=signature or signed)


def test_a_stop_reply_stops_the_next_text_and_staff_see_it(
    client, catalog, sms_outbox, settings, report_taker
):
    report = filed_by_text(client, sms_outbox)
    run_outbox()
    before = len(texts_sent(sms_outbox))

    response = reply(Client(), settings, "Stop")
    workflow.approve(report, by=report_taker)
    outcomes = run_outbox()

    assert response.status_code == 200 and "<Message>" not in response.content.decode()
    assert outcomes == ["dead"] and len(texts_sent(sms_outbox)) == before  # nothing more was sent
    staff = Client()
    sign_in(staff, report_taker)
    page = staff.get(reverse("staff-report-detail", args=[report.tracking_number])).content.decode()
    assert "No texts: the resident replied STOP" in page

    started = reply(Client(), settings, "START")
    assert "start again" in started.content.decode() and not SmsOptOut.stopped(NUMBER)


def test_help_answers_with_the_city_lines_in_the_residents_language(client, catalog, sms_outbox, settings):
    filed_by_text(client, sms_outbox, language="es")

    response = reply(Client(), settings, "help")

    assert response.status_code == 200
    assert "911" in response.content.decode() and "STOP" in response.content.decode()
    assert "Responda" in response.content.decode()


def test_a_still_reply_sends_the_parking_ticket_back_to_traffic_control_once(
    catalog, sms_outbox, settings, traffic_agent
):
    report = file_parking().report
    texts_only = {
        "contact_email": "",
        "contact_phone": NUMBER,
        "updates_by": "text",
        "sms_consent_at": timezone.now(),
    }
    Report.objects.filter(pk=report.pk).update(**texts_only)
    report.refresh_from_db()
    workflow.resolve(report, by=traffic_agent, outcome="gone_on_arrival")
    run_outbox()
    assert "Reply STILL within 24 hours" in texts_sent(sms_outbox)[-1]

    answer = reply(Client(), settings, "still").content.decode()
    report.refresh_from_db()
    assert f"Report {report.tracking_number} is back with Traffic Control" in answer
    assert report.status == "submitted" and report.reopened_at is not None
    assert report.events.filter(kind="still_there").count() == 1

    workflow.resolve(report, by=traffic_agent, outcome="citation_issued")
    again = reply(Client(), settings, "STILL").content.decode()
    report.refresh_from_db()
    assert "can be reopened" in again and report.status == "resolved"
    assert report.events.filter(kind="still_there").count() == 1


def test_a_still_reply_from_a_number_with_no_resolved_ticket_changes_nothing(catalog, settings):
    other = make_report("theft-bicycle", contact_phone=NUMBER, status="approved", closed_at=timezone.now())
    answer = reply(Client(), settings, "STILL").content.decode()
    assert "none of your parking reports" in answer
    assert not other.events.exists()


def test_a_reply_with_a_bad_signature_is_refused_and_changes_nothing(catalog, settings):
    wrong = reply(Client(), settings, "STOP", signature="bm90IGEgc2lnbmF0dXJl")
    settings.TWILIO_AUTH_TOKEN = ""  # no token configured: not even a request signed with no key passes
    params = {"From": NUMBER, "Body": "STOP"}
    empty_key = RequestValidator("").compute_signature(settings.SITE_URL + reverse("sms-inbound"), params)
    unconfigured = Client().post(reverse("sms-inbound"), params, HTTP_X_TWILIO_SIGNATURE=empty_key)

    assert wrong.status_code == 401 and unconfigured.status_code == 401
    assert not SmsOptOut.objects.exists()


# --- The 311 agent texts the caller their status link -----------------------------------------------------


def test_an_agent_texts_the_caller_their_status_link(catalog, sms_outbox, agent_311):
    desk = Client()
    sign_in(desk, agent_311)
    desk.post(
        reverse("intake-eligibility", args=["theft-bicycle"]),
        {**{k: "no" for k in ("in_danger", "happening_now", "suspect_known")}, "inside_city": "yes"}
        | {"excluded_items": "no", "over_value_cap": "no", "channel": "phone"},
    )
    desk.post(reverse("intake-details"), details_for("theft-bicycle", contact_email=""))
    desk.post(reverse("intake-review"), {"confirm": "on", "send": "1"})
    report = Report.objects.get()
    page = desk.get(reverse("intake-submitted")).content.decode()
    assert "Text the caller their status link" in page

    refused = desk.post(reverse("intake-text-link"), {"phone": TYPED_NUMBER}, follow=True).content.decode()
    assert "This field is required" in refused and not texts_sent(sms_outbox)
    desk.post(reverse("intake-text-link"), {"phone": TYPED_NUMBER, "agreed": "on"})
    twice = desk.post(reverse("intake-text-link"), {"phone": TYPED_NUMBER, "agreed": "on"}, follow=True)
    assert "That text was sent a moment ago" in twice.content.decode()  # a double click sends one
    run_outbox()

    (sent,) = texts_sent(sms_outbox)
    assert report.tracking_number in sent and "/status/" in sent
    link = re.search(r"https?://[^/\s]+(/status/\S+/)", sent)[1]
    assert report.tracking_number in Client().get(link).content.decode()


def test_a_text_finds_its_number_s_reports_through_an_index(catalog):
    """HELP's language and STILL look the number up among every report; without an index each text that
    comes in read the whole table."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from reports import routing

    with CaptureQueriesContext(connection) as ran:
        texts.latest_language(NUMBER)
        routing.still_there_by_text(NUMBER)
    assert len(ran.captured_queries) == 2
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL enable_seqscan = off")  # a table this small would be read whole
        explain = "EXPLAIN QUERY PLAN " if connection.vendor == "sqlite" else "EXPLAIN "
        for query in ran.captured_queries:
            cursor.execute(explain + query["sql"])
            plan = " ".join(str(cell) for row in cursor.fetchall() for cell in row)
            assert "report_contact_phone" in plan, (query["sql"], plan)
