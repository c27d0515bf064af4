"""Photos sent with the report are filed checked but without their copies; the worker makes them a moment
later (an outbox job), and pages say "preparing" until then (evidence_jobs.make_pending_copies). Photos
added to look at first get their preview at once, as before."""

from __future__ import annotations

import io
import threading
import time

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from PIL import Image

from reports import evidence as evidence_files
from reports import evidence_jobs, outbox, tasks
from reports.models import Draft, DraftUpload, Evidence, OutboxMessage, Report

from . import samples
from .conftest import sign_in, wait_for
from .flows import fill_details, pass_screen, send, status_token

pytestmark = pytest.mark.django_db

GPS_IFD = 0x8825


def copy_jobs():
    return OutboxMessage.objects.filter(kind=OutboxMessage.Kind.EVIDENCE_COPIES)


def file_with(client: Client, *files) -> Report:
    pass_screen(client, "parking-fire-hydrant")
    fill_details(client, "parking-fire-hydrant")
    response = send(client, files)
    assert response.status_code == 302 and response["Location"].endswith("/report/submitted/")
    return Report.objects.latest("id")


def photo(name: str = "car.jpg", data: bytes | None = None):
    return samples.upload(name, data or samples.jpeg_bytes(size=(1200, 900), gps=True), "image/jpeg")


def test_a_photo_sent_with_the_report_is_filed_checked_and_its_copies_follow(client, catalog):
    receipt = samples.upload("receipt.pdf", samples.pdf_bytes(), "application/pdf")
    report = file_with(client, photo(), receipt)
    token = status_token(client)
    item = report.evidence.get(content_type="image/jpeg")

    assert not item.derived and not item.thumbnail and (item.width, item.height) == (1200, 900)
    assert item.copy_pending and not report.evidence.get(content_type="application/pdf").copy_pending
    page = client.get(reverse("report-status", args=[token])).content.decode()
    assert "Preparing the photo…" in page and "/thumb/" not in page
    (job,) = copy_jobs()
    assert job.report == report

    assert outbox.claim_and_run(job.pk, tasks.HANDLERS) == "done"

    item.refresh_from_db()
    assert (
        item.derived and item.thumbnail and not item.copy_pending and (item.width, item.height) == (1200, 900)
    )
    page = client.get(reverse("report-status", args=[token])).content.decode()
    assert "Preparing the photo…" not in page
    shown = client.get(reverse("report-status-evidence", args=[token, item.public_id, "view"]))
    image = Image.open(io.BytesIO(b"".join(shown.streaming_content)))
    assert image.size == (1200, 900) and GPS_IFD not in image.getexif()


def test_no_job_is_queued_for_a_report_without_photos(client, catalog):
    file_with(client, samples.upload("receipt.pdf", samples.pdf_bytes(), "application/pdf"))
    file_with(Client())

    assert not copy_jobs().exists()


def test_a_photo_damaged_past_its_header_is_kept_and_shown_as_such(client, catalog, traffic_agent):
    # Its header and chunks are whole: only decoding finds half the pixels missing.
    broken = samples.png_missing_data()
    report = file_with(client, samples.upload("broken.png", broken, "image/png"))
    token = status_token(client)

    assert outbox.claim_and_run(copy_jobs().get().pk, tasks.HANDLERS) == "done"

    item = report.evidence.get()
    assert item.copy_failed and not item.derived and not item.copy_pending
    assert (
        "This photo cannot be shown." in client.get(reverse("report-status", args=[token])).content.decode()
    )
    staff = Client()
    sign_in(staff, traffic_agent)
    page = staff.get(reverse("staff-report-detail", args=[report.tracking_number])).content.decode()
    assert "This photo cannot be shown." in page
    original = staff.get(reverse("staff-evidence", args=[report.tracking_number, item.public_id, "original"]))
    assert original.status_code == 200 and b"".join(original.streaming_content) == broken


def test_a_photo_refused_by_its_header_is_still_refused_at_once(client, catalog):
    pass_screen(client, "parking-fire-hydrant")
    fill_details(client, "parking-fire-hydrant")

    response = send(client, [samples.upload("bomb.png", samples.bomb_png(), "image/png")])

    assert response.status_code == 200 and "pixels" in response.content.decode()
    assert not Report.objects.exists() and not DraftUpload.objects.exists()


def test_a_second_run_makes_nothing_twice(client, catalog, private_evidence_storage):
    report = file_with(client, photo())

    assert evidence_jobs.make_pending_copies(report) == 1
    item = report.evidence.get()
    assert evidence_jobs.make_pending_copies(report) == 0
    item.refresh_from_db()
    stored = sorted(path.name for path in private_evidence_storage.rglob("*.jpg"))
    assert len(stored) == 3  # the original and its two copies, no more


def test_the_review_page_shown_again_previews_the_photos_sent_with_it(client, catalog):
    pass_screen(client, "parking-fire-hydrant")
    fill_details(client, "parking-fire-hydrant")

    page = send(client, [photo()], confirm=False)  # the confirmation box was not ticked

    assert page.status_code == 200
    (upload,) = Draft.objects.get().uploads.all()
    assert upload.derived and upload.thumbnail
    assert reverse("report-upload", args=[upload.public_id]) in page.content.decode()
    assert client.get(reverse("report-upload", args=[upload.public_id])).status_code == 200


def test_a_photo_added_to_look_at_first_gets_its_preview_at_once(client, catalog):
    pass_screen(client, "parking-fire-hydrant")
    fill_details(client, "parking-fire-hydrant")

    client.post(reverse("report-review"), {"files": [photo()]})  # "Add these files"

    (upload,) = DraftUpload.objects.all()
    assert upload.derived and upload.thumbnail
    send(client)
    assert Evidence.objects.get().derived and not copy_jobs().exists()


def test_a_real_worker_makes_the_copies(celery_worker, catalog):
    client = Client()
    report = file_with(client, photo())

    item = wait_for(lambda: Evidence.objects.filter(report=report).exclude(derived="").first())

    assert item.thumbnail and wait_for(lambda: copy_jobs().get().state == OutboxMessage.State.DONE)


def test_a_photo_taken_sideways_is_filed_with_its_upright_size(client, catalog):
    sideways = samples.jpeg_bytes(size=(1200, 900), orientation=6)  # held upright: 900 wide, 1200 high
    report = file_with(client, photo("upright.jpg", sideways))
    item = report.evidence.get()

    assert (item.width, item.height) == (900, 1200)
    evidence_jobs.make_pending_copies(report)
    item.refresh_from_db()
    assert (item.width, item.height) == (900, 1200)
    with evidence_files.open_stored(item.derived.name) as copy:
        assert Image.open(copy).size == (900, 1200)  # turned upright, and no larger than the original


def test_a_worker_decodes_two_photos_at_a_time_whatever_its_threads(
    monkeypatch, transactional_db, catalog, client
):
    """The worker runs eight jobs at once; decoding a photo takes tens of megabytes, so no more than two
    are decoded at the same moment, however many reports' copies are due."""
    reports = [file_with(client, photo(f"car{n}.jpg")) for n in range(6)]
    made = evidence_files.make_copies
    inside, most, lock = 0, 0, threading.Lock()

    def counted(*args, **kwargs):
        nonlocal inside, most
        with lock:
            inside += 1
            most = max(most, inside)
        time.sleep(0.2)  # long enough for every thread to arrive
        try:
            return made(*args, **kwargs)
        finally:
            with lock:
                inside -= 1

    monkeypatch.setattr(evidence_files, "make_copies", counted)

    def job(report: Report) -> None:  # as a worker's thread runs it: on a connection of its own
        try:
            evidence_jobs.make_pending_copies(report)
        finally:
            connection.close()

    threads = [threading.Thread(target=job, args=(report,)) for report in reports]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert most == evidence_jobs.DECODING_AT_ONCE == 2
    assert all(evidence.derived for evidence in Evidence.objects.filter(report__in=reports))
