from __future__ import annotations

import hashlib
import re

import pytest
from django.test import Client
from django.urls import reverse

from reports.models import Draft, DraftUpload, Evidence, OutboxMessage, Report, ReportEvent, StatusLink

from . import samples
from .flows import SAFE_ANSWERS, copies_made, file_report, fill_details, pass_screen, send, status_token

pytestmark = pytest.mark.django_db


def test_it_explains_what_to_report_where(client, catalog):
    page = client.get(reverse("home")).content.decode()
    assert "911" in page and "612-673-5335" in page and "311" in page
    assert "Parking problem" in page and "Theft" in page
    assert 'name="viewport"' in page


@pytest.mark.parametrize(
    "subtype", ["theft-from-vehicle", "theft-bicycle", "damage-graffiti", "parking-blocked-driveway"]
)
def test_it_files_each_report_type_with_evidence(client, catalog, subtype):
    photo = samples.upload("scene.jpg", samples.jpeg_bytes(gps=True), "image/jpeg")
    receipt = samples.upload("receipt.pdf", samples.pdf_bytes(), "application/pdf")

    response = file_report(client, subtype, files=[photo, receipt])

    assert response.status_code == 302 and response.url == reverse("report-submitted")
    report = Report.objects.get()
    assert report.subtype.code == subtype
    assert report.queue == report.report_type.queue
    assert report.status == "submitted" and report.channel == "web"
    assert report.eligibility["in_danger"] == "no"
    assert report.evidence.count() == 2
    assert report.events.order_by("id").first().kind == ReportEvent.Kind.FILED
    assert OutboxMessage.objects.get(kind="email").dedupe_key == f"email:report-filed:{report.pk}:"
    assert OutboxMessage.objects.get(kind="evidence_copies").report == report  # the photo's copies
    confirmation = client.get(response.url).content.decode()
    assert report.tracking_number in confirmation
    assert re.fullmatch(r"[2-9A-HJKMNP-TV-Z]{4}-[2-9A-HJKMNP-TV-Z]{4}", report.tracking_number)


def test_it_stores_theft_items_and_routes_parking_to_traffic_control(client, catalog):
    file_report(client, "theft-bicycle")
    theft = Report.objects.get()
    assert [item.description for item in theft.items.all()] == ["Laptop"]
    assert theft.queue.code == "theft-damage"

    file_report(client, "parking-fire-hydrant", contact_email="", contact_name="")
    parking = Report.objects.exclude(pk=theft.pk).get()
    assert parking.queue.code == "traffic-control"
    assert parking.vehicle_plate == "ABC123"
    assert not parking.outbox.exists()  # anonymous: nobody to email


@pytest.mark.parametrize(
    ("answers", "reason", "number"),
    [
        ({"in_danger": "yes"}, "emergency", "911"),
        ({"happening_now": "yes"}, "in-progress", "911"),
        ({"suspect_known": "yes"}, "suspect-known", "612-673-5335"),
        ({"inside_city": "no"}, "outside-city", "311"),
        ({"excluded_items": "yes"}, "excluded-items", "612-673-5335"),
        ({"over_value_cap": "yes"}, "over-value-cap", "612-673-5335"),
    ],
)
def test_it_stops_at_every_eligibility_stop_and_saves_nothing(client, catalog, answers, reason, number):
    response = pass_screen(client, "theft-other", **answers)

    assert response.status_code == 302
    assert response.url == reverse("report-stop", args=[reason])
    page = client.get(response.url).content.decode()
    # The stop page's own call to action, not the footer's numbers that every page carries.
    (button,) = re.findall(r"<a [^>]*data-call-to-action[^>]*>[^<]*</a>", page)
    assert f'href="tel:{number}"' in button and button.endswith(f": {number}</a>")
    assert Draft.objects.count() == 0 and Report.objects.count() == 0


def test_it_asks_parking_reporters_only_what_applies(client, catalog):
    page = client.get(reverse("report-eligibility", args=["parking-blocked-driveway"])).content.decode()
    assert "in_danger" in page and "inside_city" in page
    assert "suspect_known" not in page and "excluded_items" not in page


def test_it_asks_one_question_at_a_time_and_keeps_an_unanswered_one_on_the_page(client, catalog):
    url = reverse("report-eligibility", args=["theft-other"])

    first = client.get(url).content.decode()
    unanswered = client.post(url, {"asked": "in_danger"})
    answered = client.post(url, {"asked": "in_danger", "in_danger": "no"})

    # Without JavaScript only the question being asked is shown; the rest wait, hidden.
    assert re.search(r'data-question="in_danger"(?![^>]*hidden)', first)
    assert re.search(r'data-question="happening_now"[^>]*hidden', first)
    assert "data-error-summary" in unanswered.content.decode()
    page = answered.content.decode()
    assert answered.status_code == 200 and "data-error-summary" not in page
    assert re.search(r'data-question="happening_now"(?![^>]*hidden)', page)
    assert 'type="hidden" name="in_danger" value="no"' in page
    assert Draft.objects.count() == 0


def test_it_stops_at_the_first_stop_answer_whatever_comes_after(client, catalog):
    url = reverse("report-eligibility", args=["theft-other"])

    response = client.post(url, {"in_danger": "yes"})  # nothing else answered yet

    assert response.status_code == 302 and response.url == reverse("report-stop", args=["emergency"])
    assert Draft.objects.count() == 0


BAD_FILES = [
    ("notes.jpg", samples.text_as_jpg, "notes.jpg"),
    ("page.png", samples.png_with_html, "page.png"),
    ("bomb.png", samples.bomb_png, "bomb.png"),
    ("broken.jpg", samples.truncated_jpeg, "broken.jpg"),
    ("drawing.svg", samples.svg_bytes, "drawing.svg"),
    ("empty.jpg", lambda: b"", "empty.jpg"),
]


@pytest.mark.parametrize(("name", "make", "named"), BAD_FILES)
def test_it_refuses_a_bad_file_with_a_clear_message_and_keeps_the_rest(
    client, catalog, name, make, named, private_evidence_storage
):
    pass_screen(client, "damage-vandalism")
    fill_details(client, "damage-vandalism", description="Spray paint on my garage door")
    good = samples.upload("fine.jpg", samples.jpeg_bytes(), "image/jpeg")

    response = send(client, [good, samples.upload(name, make(), "image/jpeg")])

    assert response.status_code == 200
    page = response.content.decode()
    assert named in page and "data-error-summary" in page
    assert Report.objects.count() == 0 and Evidence.objects.count() == 0
    # The good file is kept with the report being filed, listed with a way to remove it.
    assert "fine.jpg" in page and 'name="remove"' in page
    assert [upload.original_name for upload in DraftUpload.objects.all()] == ["fine.jpg"]
    # Everything typed is still there, and sending again, without picking the good file again, files it.
    assert "Spray paint on my garage door" in page
    assert send(client).status_code == 302
    report = Report.objects.get()
    assert report.description == "Spray paint on my garage door"
    assert [item.original_name for item in report.evidence.all()] == ["fine.jpg"]
    assert not DraftUpload.objects.exists()


def test_it_refuses_a_file_over_the_size_limit(client, catalog, settings):
    settings.EVIDENCE_MAX_BYTES = 50_000
    pass_screen(client, "damage-other")
    fill_details(client, "damage-other")
    response = send(client, [samples.upload("huge.jpg", samples.big_jpeg_bytes(120_000), "image/jpeg")])
    assert response.status_code == 200 and "huge.jpg" in response.content.decode()
    assert Report.objects.count() == 0


def test_it_refuses_one_file_too_many(client, catalog, settings):
    settings.EVIDENCE_MAX_FILES = 2
    pass_screen(client, "damage-other")
    fill_details(client, "damage-other")
    files = [samples.upload(f"p{n}.png", samples.png_bytes(), "image/png") for n in range(3)]
    response = send(client, files)
    assert response.status_code == 200 and "data-error-summary" in response.content.decode()
    assert Report.objects.count() == 0 and Evidence.objects.count() == 0
    assert DraftUpload.objects.count() == 2  # the two that fit are kept


def test_it_files_once_when_the_form_is_sent_twice(client, catalog):
    pass_screen(client, "parking-double-parked")
    fill_details(client, "parking-double-parked")
    first = send(client, [samples.upload("a.jpg", samples.jpeg_bytes(), "image/jpeg")])
    second = send(client, [samples.upload("a.jpg", samples.jpeg_bytes(), "image/jpeg")])
    assert first.status_code == second.status_code == 302
    assert Report.objects.count() == 1 and Evidence.objects.count() == 1
    assert sorted(OutboxMessage.objects.values_list("kind", flat=True)) == ["email", "evidence_copies"]


def test_it_requires_the_confirmation_and_email_for_theft(client, catalog):
    pass_screen(client, "theft-package")
    response = fill_details(client, "theft-package", contact_email="")
    assert response.status_code == 200 and "contact_email" in response.content.decode()
    fill_details(client, "theft-package")
    assert send(client, confirm=False).status_code == 200
    assert Report.objects.count() == 0


def test_it_refuses_a_pin_outside_the_city(client, catalog):
    pass_screen(client, "parking-no-parking-zone")
    st_paul = fill_details(client, "parking-no-parking-zone", latitude="44.9537", longitude="-93.0900")
    assert st_paul.status_code == 200 and "outside Minneapolis" in st_paul.content.decode()
    downtown = fill_details(client, "parking-no-parking-zone", latitude="44.9778", longitude="-93.2650")
    assert downtown.status_code == 302


def test_it_sends_thefts_above_the_value_cap_to_police(client, catalog):
    pass_screen(client, "theft-other")
    response = fill_details(client, "theft-other", **{"items-0-value": "10500"})
    assert response.status_code == 200 and "612-673-5335" in response.content.decode()


def test_it_adds_an_item_row_without_losing_what_was_typed(client, catalog):
    pass_screen(client, "theft-other")
    response = fill_details(client, "theft-other", add_item="1", description="")

    assert response.status_code == 302 and response.url.endswith("#item-2")
    page = client.get(response.url).content.decode()
    assert 'name="items-1-description"' in page and 'value="Laptop"' in page
    # Nothing was checked yet: no error for the empty description the resident has not reached.
    assert "data-error-summary" not in page and "invalid-feedback" not in page
    assert re.search(r'name="items-1-description"[^>]*autofocus', page)


def test_it_shows_the_status_page_only_with_the_link(client, another_resident, catalog):
    file_report(
        client, "damage-vehicle", files=[samples.upload("car.jpg", samples.jpeg_bytes(), "image/jpeg")]
    )
    copies_made()
    report = Report.objects.get()
    token = status_token(client)
    page = another_resident.get(reverse("report-status", args=[token]))
    assert page.status_code == 200 and report.tracking_number in page.content.decode()
    evidence = report.evidence.get()
    thumb = another_resident.get(reverse("report-status-evidence", args=[token, evidence.public_id, "thumb"]))
    assert thumb.status_code == 200 and thumb["Content-Type"] == "image/jpeg"
    assert another_resident.get(reverse("report-status", args=["x" * 32])).status_code == 404
    assert another_resident.get(f"/status/{report.pk}/").status_code == 404
    wrong = reverse("report-status-evidence", args=["x" * 32, evidence.public_id, "thumb"])
    assert another_resident.get(wrong).status_code == 404
    # Stored as its SHA-256, nothing reversible: the hash of this very token, and not the token.
    stored = StatusLink.objects.get(report=report).token_hash
    assert stored == hashlib.sha256(token.encode()).hexdigest() and token not in stored and len(token) >= 32


def test_it_keeps_the_status_token_out_of_the_logs(client, catalog, caplog):
    file_report(client, "damage-vehicle")
    token = status_token(client)
    client.get(reverse("report-status", args=[token]))
    client.get(reverse("report-status", args=[token[:-2] + "zz"]))  # a 404 is logged with its path
    assert "/status/[redacted]" in caplog.text
    assert token not in caplog.text and token[:-2] not in caplog.text


def test_it_limits_reports_filed_per_client_address_not_attempts(client, catalog):
    pass_screen(client, "parking-double-parked")
    fill_details(client, "parking-double-parked")
    mistakes = [send(client, confirm=False) for _ in range(12)]  # a resident correcting the form
    assert {r.status_code for r in mistakes} == {200}

    filed = [file_report(client, "parking-double-parked", vehicle_plate=f"LIM{n:03d}") for n in range(10)]
    assert {r.status_code for r in filed} == {302} and Report.objects.count() == 10  # FILING_RATE is 10/h
    pass_screen(client, "parking-double-parked")
    fill_details(client, "parking-double-parked", vehicle_plate="LIM999")
    limited = send(client)
    assert limited.status_code == 429 and "311" in limited.content.decode()
    assert Report.objects.count() == 10 and Draft.objects.filter(report__isnull=True).exists()  # kept
    # Someone at another address still files.
    neighbour = Client(REMOTE_ADDR="203.0.113.9")
    assert file_report(neighbour, "parking-double-parked").status_code == 302


def test_it_sends_a_strict_content_security_policy(client, catalog):
    response = client.get(reverse("report-eligibility", args=["theft-other"]))
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    for url in (
        reverse("home"),
        reverse("report-start"),
        reverse("report-eligibility", args=["theft-other"]),
    ):
        page = client.get(url).content.decode()
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page), url
        assert " style=" not in page, url


def test_it_speaks_spanish(client, catalog):
    client.cookies["django_language"] = "es"
    page = client.get(reverse("report-start")).content.decode()
    assert "Robo" in page or "robo" in page
    assert "¿Qué" in page or "Qué" in page


def test_it_keeps_the_safe_answers_with_the_report(client, catalog):
    file_report(client, "theft-from-vehicle")
    assert Report.objects.get().eligibility == {k: v for k, v in SAFE_ANSWERS.items()}


def test_the_status_page_opens_in_the_reports_language_unless_the_visitor_chose(client, catalog):
    client.cookies["django_language"] = "es"
    file_report(client, "parking-fire-hydrant")
    token = status_token(client)
    url = reverse("report-status", args=[token])

    from_the_email = Client().get(url).content.decode()  # a new browser, no language chosen
    chose_english = Client()
    chose_english.cookies["django_language"] = "en"

    assert '<html lang="es">' in from_the_email and "Historial" in from_the_email
    assert '<html lang="en">' in chose_english.get(url).content.decode()
