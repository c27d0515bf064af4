"""Edges of reports/evidence.py found by mutation testing: an original of a type we no longer know is
downloaded as bytes, a file that cannot be deleted is named in the log for someone to remove, and the
copies a worker made in vain (another kept its own first) are deleted, and only they; the most files a
report may have, said in words that agree with the number.
"""

from __future__ import annotations

import logging

import pytest
from django.core.exceptions import ValidationError
from django.core.files.storage import FileSystemStorage
from django.test import Client
from django.urls import reverse

from reports import evidence
from reports.models import Report

from . import samples
from .conftest import sign_in
from .flows import file_report

pytestmark = pytest.mark.django_db


def test_it_downloads_an_original_of_a_type_we_no_longer_take_as_plain_bytes(client, report_taker):
    file_report(client, "damage-vehicle", files=[samples.upload("photo.jpg", samples.jpeg_bytes())])
    report = Report.objects.get()
    item = report.evidence.get()
    # A row from before a type was dropped from the list (GIF once was on it), or one written by hand.
    type(item).objects.filter(pk=item.pk).update(content_type="image/gif")
    taker = Client()
    sign_in(taker, report_taker)

    response = taker.get(reverse("staff-evidence", args=[report.tracking_number, item.public_id, "original"]))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"] == f'attachment; filename="{report.tracking_number}-1.bin"'


def test_it_names_each_file_it_could_not_delete_in_the_log(monkeypatch, caplog):
    def refuse(storage, name):
        raise PermissionError(f"Permission denied: {name}")

    monkeypatch.setattr(FileSystemStorage, "delete", refuse)
    upload = samples.upload("photo.jpg", samples.jpeg_bytes())
    stored = evidence.store_upload(upload)

    with caplog.at_level(logging.WARNING, logger="reports.evidence"):
        evidence.discard([stored])  # called while another error is on its way up: it must not raise

    left_behind = [stored.original, stored.derived, stored.thumbnail]
    warnings = [record for record in caplog.records if record.name == "reports.evidence"]
    assert [record.getMessage() for record in warnings] == [
        f"Could not delete evidence file {name}" for name in left_behind
    ]
    # With the reason (the log's redaction filter has already turned the traceback into text).
    assert all("PermissionError: Permission denied" in (record.exc_text or "") for record in warnings)


def test_it_deletes_the_files_it_is_given_and_only_those():
    stored = evidence.store_upload(samples.upload("photo.jpg", samples.jpeg_bytes()))
    storage = evidence.evidence_storage()

    # As make_pending_copies does with a pair of copies another worker beat it to; one already gone.
    evidence.delete_stored([stored.derived, stored.thumbnail, "thumbs/2026/11/gone.jpg"])

    assert not storage.exists(stored.derived) and not storage.exists(stored.thumbnail)
    assert storage.exists(stored.original)


@pytest.mark.parametrize(
    "limit, message",
    [
        (1, "You can attach at most 1 file to one report."),
        (3, "You can attach at most 3 files to one report."),
    ],
)
def test_it_says_how_many_files_a_report_may_have_in_words_that_agree(settings, limit, message):
    settings.EVIDENCE_MAX_FILES = limit
    evidence.check_file_count(limit)  # up to the limit is fine

    with pytest.raises(ValidationError) as refused:
        evidence.check_file_count(limit + 1)

    assert refused.value.messages == [message] and refused.value.code == "too_many_files"
