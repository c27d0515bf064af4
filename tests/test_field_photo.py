"""A photo from the field when Traffic Control resolves a parking ticket: taken on the phone, checked and
stored like a resident's evidence (photos only), on the board and through the signed update API alike.
Staff see it with the report; the resident's pages and PDF, Open311 and the hand-offs leave it out."""

from __future__ import annotations

import base64

import pytest
from django.test import Client
from django.urls import reverse

from open311 import privacy
from reports import evidence_jobs, routing
from reports.models import Evidence, OutboxMessage, Report
from reports.pdf import filed_report_pdf
from reports.statuses import Status
from traffic import api
from traffic import client as traffic_client
from traffic import queries as traffic_queries
from traffic.models import InboundUpdate, TrafficEndpoint

from . import samples
from .conftest import sign_in
from .factories import file_parking, status_link
from .flows import copies_made, file_report
from .test_edges_traffic_updates import new_secret, post_update, update
from .test_pdf import pdf_text

pytestmark = pytest.mark.django_db

TAKEN_BY = "Taken by Traffic Control at closure"
NOT_A_PHOTO = "is not a photo we can accept: we take JPEG, PNG, WebP and HEIC photos."


def signed_in(user) -> Client:
    agent = Client()
    sign_in(agent, user)
    return agent


def resolve_on_board(agent: Client, report: Report, **data):
    url = reverse("traffic-ticket-action", args=[report.tracking_number, "resolve"])
    return agent.post(url, {"outcome": "citation_issued", "note": "Cited.", **data}, follow=True)


def photo_b64(data: bytes | None = None) -> str:
    return base64.b64encode(data if data is not None else samples.jpeg_bytes()).decode()


@pytest.fixture
def endpoint(catalog) -> TrafficEndpoint:
    return TrafficEndpoint.objects.create(
        name="County CAD", url="https://cad.example.org/hooks", secrets=new_secret()
    )


@pytest.fixture
def ticket(catalog) -> Report:
    return file_parking().report


def field_photos(report: Report):
    return Evidence.objects.filter(report=report, source=Evidence.Source.FIELD)


# --- On the board ----------------------------------------------------------------------------------------


def test_it_offers_the_camera_in_the_resolve_form(ticket, traffic_agent):
    board = signed_in(traffic_agent).get(reverse("traffic-board")).content.decode()
    assert 'enctype="multipart/form-data"' in board
    assert 'name="photo" accept="image/*" capture="environment"' in board


def test_it_keeps_a_photo_taken_on_the_board_and_the_worker_makes_its_copies(catalog, traffic_agent):
    file_report(Client(), "parking-fire-hydrant", files=[samples.upload("car.jpg", samples.jpeg_bytes())])
    report = Report.objects.get(subtype__code="parking-fire-hydrant")
    copies_made()  # the filing's job: done before the closure, and not the one the field photo needs

    page = resolve_on_board(
        signed_in(traffic_agent), report, photo=samples.upload("IMG_0042.jpg", samples.jpeg_bytes())
    )

    assert page.status_code == 200
    report.refresh_from_db()
    assert report.status == Status.RESOLVED and report.outcome == "citation_issued"
    (photo,) = field_photos(report)
    assert photo.original_name == "IMG_0042.jpg" and photo.content_type == "image/jpeg"
    event = report.events.get(to_status=Status.RESOLVED)
    assert event.data["photo"] == str(photo.public_id)
    assert photo.copy_pending  # checked now, its copies left to the worker
    job = OutboxMessage.objects.get(dedupe_key=f"evidence-copies:{report.pk}:closure-{event.pk}")
    assert job.kind == OutboxMessage.Kind.EVIDENCE_COPIES

    copies_made()

    photo.refresh_from_db()
    assert photo.derived.name and photo.thumbnail.name and (photo.width, photo.height) == (800, 600)


def test_it_keeps_a_png_whose_copies_the_filings_job_function_makes(ticket, traffic_agent):
    resolve_on_board(signed_in(traffic_agent), ticket, photo=samples.upload("spot.png", samples.png_bytes()))

    assert evidence_jobs.make_pending_copies(ticket) == 1
    assert field_photos(ticket).get().is_image


def test_it_refuses_a_text_file_named_jpg_and_leaves_the_ticket_open(
    ticket, traffic_agent, private_evidence_storage
):
    page = resolve_on_board(
        signed_in(traffic_agent), ticket, photo=samples.upload("photo.jpg", samples.text_as_jpg())
    )

    assert page.status_code == 200
    html = page.content.decode()
    assert f"“photo.jpg” {NOT_A_PHOTO}" in html
    assert f'id="t-{ticket.tracking_number}"' in html  # the card, and its form, are still there
    ticket.refresh_from_db()
    assert ticket.status == Status.SUBMITTED and not ticket.outcome
    assert not Evidence.objects.filter(report=ticket).exists()
    assert not any(path.is_file() for path in private_evidence_storage.rglob("*"))


def test_it_refuses_a_pdf_though_a_resident_may_send_one(ticket, traffic_agent):
    page = resolve_on_board(
        signed_in(traffic_agent), ticket, photo=samples.upload("ticket.pdf", samples.pdf_bytes())
    )

    assert f"“ticket.pdf” {NOT_A_PHOTO}" in page.content.decode()
    ticket.refresh_from_db()
    assert ticket.status == Status.SUBMITTED and not field_photos(ticket).exists()


def test_it_refuses_a_photo_over_the_residents_limit_with_their_message(ticket, traffic_agent, settings):
    settings.EVIDENCE_MAX_BYTES = 50_000
    big = samples.big_jpeg_bytes(80_000)

    page = resolve_on_board(signed_in(traffic_agent), ticket, photo=samples.upload("big.jpg", big))

    assert "“big.jpg” is larger than 0.05 MB, the most we can take for one file." in page.content.decode()
    ticket.refresh_from_db()
    assert ticket.status == Status.SUBMITTED and not field_photos(ticket).exists()


def test_a_resolve_refused_after_the_photo_was_stored_takes_its_files(
    ticket, traffic_agent, private_evidence_storage
):
    agent = signed_in(traffic_agent)
    resolve_on_board(agent, ticket)  # resolved without a photo

    page = resolve_on_board(agent, ticket, photo=samples.upload("late.jpg", samples.jpeg_bytes()))

    assert "cannot become" in page.content.decode()
    assert not field_photos(ticket).exists()
    assert not any(path.is_file() for path in private_evidence_storage.rglob("*"))


def test_a_resolve_without_a_photo_keeps_none(ticket, traffic_agent):
    resolve_on_board(signed_in(traffic_agent), ticket)

    ticket.refresh_from_db()
    assert ticket.status == Status.RESOLVED
    assert "photo" not in ticket.events.get(to_status=Status.RESOLVED).data
    assert not Evidence.objects.filter(report=ticket).exists()


# --- Through the signed update API ------------------------------------------------------------------------


def test_it_keeps_a_photo_sent_with_a_resolved_update(client, endpoint, ticket):
    body = update(
        ticket.tracking_number, "resolved", outcome="vehicle_towed", photo=photo_b64(), photo_name="tow.jpg"
    )

    response = post_update(client, endpoint, body, webhook_id="upd_photo_1")

    assert response.status_code == 200 and response.json() == {"result": "applied"}
    ticket.refresh_from_db()
    assert ticket.status == Status.RESOLVED and ticket.outcome == "vehicle_towed"
    (photo,) = field_photos(ticket)
    assert photo.original_name == "tow.jpg"
    event = ticket.events.get(to_status=Status.RESOLVED)
    assert event.data["photo"] == str(photo.public_id) and event.data["webhook_id"] == "upd_photo_1"
    # The update is remembered without the photo's bytes: those are kept once, as evidence.
    kept = InboundUpdate.objects.get(webhook_id="upd_photo_1").payload["data"]
    assert kept["photo"] == f"sha256:{photo.sha256}"
    copies_made()
    photo.refresh_from_db()
    assert photo.is_image


def test_it_takes_a_photo_as_large_as_a_resident_may_send(client, endpoint, ticket, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 2_000  # far below the photo: the endpoint reads past it
    settings.EVIDENCE_MAX_BYTES = 200_000
    data = samples.big_jpeg_bytes(190_000)
    assert len(data) <= settings.EVIDENCE_MAX_BYTES

    response = post_update(
        client, endpoint, update(ticket.tracking_number, "resolved", outcome="warning", photo=photo_b64(data))
    )

    assert response.status_code == 200, response.content
    assert field_photos(ticket).get().size == len(data)
    assert api.max_body_bytes() > len(photo_b64(data)) + api.MAX_UPDATE_BYTES


def test_it_refuses_a_body_past_room_for_the_largest_photo(client, endpoint, ticket, settings):
    settings.EVIDENCE_MAX_BYTES = 30_000
    padding = "A" * (api.max_body_bytes() + 1)

    response = post_update(
        client, endpoint, update(ticket.tracking_number, "resolved", outcome="warning", photo=padding)
    )

    assert response.status_code == 413
    assert not InboundUpdate.objects.exists()


@pytest.mark.parametrize(
    ("photo", "error"),
    [
        ("not base64!", "data.photo is not valid base64"),
        ("QUJD", f"data.photo: “field-photo” {NOT_A_PHOTO}"),  # "ABC"
        (12345, "data.photo must be a string: the base64 of the photo's bytes"),
    ],
)
def test_it_refuses_a_bad_photo_and_applies_nothing(
    client, endpoint, ticket, private_evidence_storage, photo, error
):
    response = post_update(
        client, endpoint, update(ticket.tracking_number, "resolved", outcome="warning", photo=photo)
    )

    assert response.status_code == 400
    assert response.json() == {"error": error}
    ticket.refresh_from_db()
    assert ticket.status == Status.SUBMITTED and not ticket.outcome
    assert not InboundUpdate.objects.exists()
    assert not Evidence.objects.filter(report=ticket).exists()
    assert not any(path.is_file() for path in private_evidence_storage.rglob("*"))


def test_a_refused_update_can_be_sent_again_with_a_good_photo(client, endpoint, ticket):
    bad = update(
        ticket.tracking_number, "resolved", outcome="warning", photo=photo_b64(samples.text_as_jpg())
    )
    assert post_update(client, endpoint, bad, webhook_id="upd_again").status_code == 400

    good = update(ticket.tracking_number, "resolved", outcome="warning", photo=photo_b64())
    assert post_update(client, endpoint, good, webhook_id="upd_again").json() == {"result": "applied"}
    assert field_photos(ticket).count() == 1


def test_a_photo_comes_only_with_a_resolved_update(client, endpoint, ticket):
    response = post_update(client, endpoint, update(ticket.tracking_number, "dispatched", photo=photo_b64()))

    assert response.json() == {"error": "data.photo comes only with the status resolved"}
    assert not InboundUpdate.objects.exists()


# --- Who sees it -----------------------------------------------------------------------------------------


@pytest.fixture
def resolved_with_photo(catalog, traffic_agent) -> Report:
    """A ticket filed with the resident's photo, resolved with one from the field; both with their copies."""
    file_report(Client(), "parking-fire-hydrant", files=[samples.upload("car.jpg", samples.jpeg_bytes())])
    report = Report.objects.get(subtype__code="parking-fire-hydrant")
    resolve_on_board(
        signed_in(traffic_agent), report, photo=samples.upload("scene.jpg", samples.jpeg_bytes())
    )
    copies_made()
    assert all(item.is_image for item in report.evidence.all())
    return report


def test_staff_see_it_labelled_by_its_source(resolved_with_photo, supervisor):
    number = resolved_with_photo.tracking_number
    field = field_photos(resolved_with_photo).get()

    html = signed_in(supervisor).get(reverse("staff-report-detail", args=[number])).content.decode()

    assert "car.jpg" in html and "scene.jpg" in html
    assert "Filed with the report" in html and TAKEN_BY in html
    assert reverse("staff-evidence", args=[number, field.public_id, "thumb"]) in html


def test_the_resident_status_page_shows_theirs_and_not_it(resolved_with_photo):
    token = status_link(resolved_with_photo)
    theirs = resolved_with_photo.evidence.get(source=Evidence.Source.FILING)
    field = field_photos(resolved_with_photo).get()
    resident = Client()

    page = resident.get(reverse("report-status", args=[token])).content.decode()

    assert str(theirs.public_id) in page
    assert str(field.public_id) not in page and "scene.jpg" not in page
    for variant in ("thumb", "view"):
        url = reverse("report-status-evidence", args=[token, field.public_id, variant])
        assert resident.get(url).status_code == 404


def test_the_residents_pdf_does_not_list_it(resolved_with_photo):
    text, _pages = pdf_text(filed_report_pdf(resolved_with_photo))

    assert "car.jpg" in text and "scene.jpg" not in text


def test_open311_never_publishes_it(resolved_with_photo, settings):
    settings.OPEN311_PUBLISH_PHOTOS = True

    published = privacy.public_images(resolved_with_photo.evidence.all())

    assert [item.source for item in published] == [Evidence.Source.FILING]


def test_a_reopened_ticket_is_handed_off_with_the_residents_photo_only(resolved_with_photo, settings):
    settings.TRAFFIC_HANDOFF = "webhook"
    theirs = resolved_with_photo.evidence.get(source=Evidence.Source.FILING)
    field = field_photos(resolved_with_photo).get()

    routing.still_there(resolved_with_photo)
    payload = traffic_client.handoff_payload(resolved_with_photo, reopened=True)

    tokens = [link.rsplit("/", 1)[1].removesuffix(".jpg") for link in payload["data"]["photos"]]
    assert [traffic_client.photo_from_link(token) for token in tokens] == [str(theirs.public_id)]
    assert traffic_queries.parking_photo(str(theirs.public_id)) == theirs
    assert traffic_queries.parking_photo(str(field.public_id)) is None


def test_the_board_card_of_a_reopened_ticket_does_not_show_it(ticket, traffic_agent):
    agent = signed_in(traffic_agent)
    resolve_on_board(agent, ticket, photo=samples.upload("scene.jpg", samples.jpeg_bytes()))
    copies_made()
    routing.still_there(ticket)

    board = agent.get(reverse("traffic-board")).content.decode()

    assert f'id="t-{ticket.tracking_number}"' in board
    assert str(field_photos(ticket).get().public_id) not in board
