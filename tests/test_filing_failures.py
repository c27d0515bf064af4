"""Filing when things go wrong: a double submit at the same instant, a full disk, a refused write, and
drafts nobody finished. A resident's report is filed once or not at all, and no stray file is left."""

from __future__ import annotations

import errno
import threading
from datetime import timedelta

import pytest
from django.core.files.storage import FileSystemStorage
from django.db import DatabaseError, connection, connections
from django.utils import timezone

from reports import drafts, evidence, submission, tasks
from reports.models import Draft, DraftUpload, Report

from . import samples
from .factories import subtype_named


class FullAfter(FileSystemStorage):
    """An evidence volume that fills up after `room` files: the next save fails as a full disk does."""

    room = 1

    def _save(self, name, content):
        if FullAfter.room <= 0:
            raise OSError(errno.ENOSPC, "No space left on device")
        FullAfter.room -= 1
        return super()._save(name, content)


def stored_files(root) -> list:
    return [path for path in root.rglob("*") if path.is_file()] if root.exists() else []


def photos(count: int) -> list:
    return [samples.upload(f"p{n}.jpg", samples.jpeg_bytes(gps=False), "image/jpeg") for n in range(count)]


def new_draft(subtype: str = "theft-other") -> Draft:
    kind = subtype_named(subtype)
    return Draft.objects.create(report_type=kind.report_type, subtype=kind, eligibility={"in_danger": "no"})


DETAILS = {
    "occurred_from": timezone.now() - timedelta(hours=3),
    "occurred_to": timezone.now() - timedelta(hours=1),
    "address": "350 S 5th St",
    "description": "Taken from the porch.",
    "contact_name": "Alex Resident",
    "contact_email": "alex@example.org",
}


def file_now(draft: Draft, uploads=()) -> submission.Filed:
    return submission.file_report(
        draft,
        details=DETAILS,
        answers={},
        items=[{"description": "Parcel", "brand_model": "", "serial_number": "", "value": None}],
        uploads=list(uploads),
        by=None,
    )


@pytest.mark.django_db
def test_it_removes_the_files_it_stored_when_the_disk_fills_up(settings, private_evidence_storage):
    settings.STORAGES = {
        **settings.STORAGES,
        "evidence": {
            "BACKEND": "tests.test_filing_failures.FullAfter",
            "OPTIONS": {"location": str(private_evidence_storage), "base_url": None},
        },
    }
    FullAfter.room = 4  # the first photo's three files, then one more

    kept, problems = submission.store_uploads(photos(3))

    assert kept == [] and problems == [evidence.storage_unavailable_message()]
    assert stored_files(private_evidence_storage) == []


@pytest.mark.django_db
def test_the_database_refusing_the_report_loses_none_of_the_residents_files(
    catalog, private_evidence_storage
):
    draft = new_draft()
    assert drafts.keep_uploads(draft, photos(2)) == []
    on_disk = stored_files(private_evidence_storage)
    refuse_evidence_rows()

    with pytest.raises(DatabaseError):
        file_now(draft, [drafts.as_stored(upload) for upload in draft.uploads.all()])

    # Nothing half-filed, and the files are still the draft's, for the next try.
    assert not Report.objects.exists() and draft.uploads.count() == 2
    assert stored_files(private_evidence_storage) == on_disk and len(on_disk) == 6


def refuse_evidence_rows() -> None:
    """A database that refuses the write half-way through the filing transaction (a real trigger)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "CREATE FUNCTION refuse() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'refused'; END $$ "
                "LANGUAGE plpgsql"
            )
            cursor.execute(
                "CREATE TRIGGER refuse BEFORE INSERT ON reports_evidence "
                "FOR EACH ROW EXECUTE FUNCTION refuse()"
            )
        else:
            cursor.execute(
                "CREATE TRIGGER refuse BEFORE INSERT ON reports_evidence "
                "BEGIN SELECT RAISE(ABORT, 'refused'); END"
            )


@pytest.mark.django_db(transaction=True)
def test_two_submits_at_the_same_instant_file_one_report(catalog):
    draft = new_draft()
    start = threading.Barrier(2)
    results, failures = [], []

    def submit_once():
        try:
            start.wait(timeout=10)
            results.append(file_now(draft))
        except Exception as exc:  # the assertion below shows it
            failures.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=submit_once) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert failures == []
    assert Report.objects.count() == 1
    assert sorted(result.created for result in results) == [False, True]
    assert {result.report.pk for result in results} == {Report.objects.get().pk}


@pytest.mark.django_db
def test_it_purges_drafts_nobody_finished_and_keeps_the_rest(catalog, settings, private_evidence_storage):
    settings.DRAFT_TTL_HOURS = 24
    old, fresh, filed = new_draft(), new_draft(), new_draft()
    file_now(filed)
    drafts.keep_uploads(old, photos(1))
    too_old = timezone.now() - timedelta(hours=25)
    Draft.objects.filter(pk__in=[old.pk, filed.pk]).update(updated_at=too_old)  # nobody touched them

    assert tasks.purge_abandoned_drafts() == 2

    assert list(Draft.objects.values_list("pk", flat=True)) == [fresh.pk]
    assert Report.objects.count() == 1  # a filed report outlives its draft
    assert not DraftUpload.objects.exists() and stored_files(private_evidence_storage) == []


def test_the_discard_of_stored_files_survives_a_storage_that_fails(private_evidence_storage, caplog):
    uploads, _problems = submission.store_uploads(photos(1))
    for path in stored_files(private_evidence_storage):
        path.unlink()  # gone already: deleting again must not raise over the error being handled

    evidence.discard(uploads)
