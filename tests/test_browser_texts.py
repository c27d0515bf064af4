"""A Somali-speaking resident on a phone files a theft report with only a mobile number, in a real
browser: the code arrives by text (the file backend), the report is filed, and the "filed" text is in
Somali."""

from __future__ import annotations

import pytest

from reports import sms
from reports.models import Report

from .browser_support import (
    answer_safety_check,
    browser_fixture,  # noqa: F401 (a fixture)
    confirm_and_send,
    fill_required,
    go_on,
    new_phone_fixture,  # noqa: F401
    phone_fixture,  # noqa: F401
    site_fixture,  # noqa: F401
    start_report,
)
from .test_accessibility import audit  # noqa: F401 (a fixture)
from .test_texts import code_in, run_outbox, texts_sent

pytestmark = pytest.mark.browser


def test_a_somali_resident_files_with_only_a_mobile_number(phone, sms_outbox):
    phone.goto("/")
    go_on(phone, phone.locator("button[name=language][value=so]"))
    assert phone.locator("html").get_attribute("lang") == "so"
    start_report(phone, "theft-bicycle")
    answer_safety_check(phone)

    phone.check("input[name=updates_by][value=text]")
    phone.fill("#id_contact_phone", "612 555 0123")
    fill_required(phone)
    phone.fill("#id_contact_email", "")  # no email at all
    assert "Ku jawaab STOP" in phone.inner_text("fieldset:has(#id_contact_phone)")  # consent, in Somali
    go_on(phone)

    assert phone.url.endswith("/report/phone/")
    assert "(612) 555-0123" in phone.inner_text("main")
    assert "STOP" in phone.inner_text("main")  # the consent wording, beside the code
    run_outbox()  # the worker's part: the code goes out
    phone.fill("#id_code", code_in(texts_sent(sms_outbox)[-1]))
    go_on(phone)
    tracking_number = confirm_and_send(phone)

    report = Report.objects.get()
    assert (report.tracking_number, report.language, report.updates_by) == (tracking_number, "so", "text")
    assert report.contact_email == "" and report.contact_phone == "+16125550123"
    run_outbox()
    filed = texts_sent(sms_outbox)[-1]
    assert tracking_number in filed and "/status/" in filed
    assert "we received your report" not in filed  # in Somali, not English
    assert sms.is_gsm7(filed) and sms.segments(filed) <= 2


def test_the_code_page_is_accessible_on_a_phone_and_with_a_wrong_code(phone, audit):  # noqa: F811
    start_report(phone, "damage-graffiti")
    answer_safety_check(phone)
    phone.check("input[name=updates_by][value=both]")
    phone.fill("#id_contact_phone", "6125550123")
    fill_required(phone)
    go_on(phone)
    audit(phone, "confirm your mobile number")

    phone.fill("#id_code", "12")
    go_on(phone)

    assert "That code is not right" in phone.inner_text("[data-error-summary]")
    audit(phone, "confirm your mobile number, a wrong code")
    audit.assert_clean()
