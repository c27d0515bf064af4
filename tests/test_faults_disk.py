"""The evidence volume fills up: a real (tmpfs) filesystem of half a megabyte, mounted by the test.

The resident is told, in their language, that photos cannot be saved right now and that the report can
go without them; nothing half-written is left on the volume; the report is not lost.
"""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest
from django.test import Client
from django.urls import reverse

from reports import health
from reports.models import Draft, DraftUpload, Report

from . import samples
from .conftest import require, sign_in
from .flows import fill_details, pass_screen

pytestmark = pytest.mark.django_db


@pytest.fixture
def small_volume(tmp_path, settings, private_evidence_storage):
    mount = tmp_path / "small-volume"
    mount.mkdir()
    require(os.geteuid() == 0 and shutil.which("mount"), "mounting a small filesystem needs root")
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=512k", "tmpfs", str(mount)])
    require(mounted.returncode == 0, "could not mount a tmpfs for the full-disk test")
    settings.STORAGES = {
        **settings.STORAGES,
        "evidence": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(mount), "base_url": None},
        },
    }
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def files_on(volume) -> list:
    return [path for path in volume.rglob("*") if path.is_file()]


def photos(count: int, size: int) -> list:
    return [
        samples.upload(f"photo{n}.jpg", samples.big_jpeg_bytes(size, seed=n), "image/jpeg")
        for n in range(count)
    ]


@pytest.mark.parametrize(("language", "said"), [("en", "cannot save photos"), ("es", "No podemos guardar")])
def test_a_full_volume_keeps_the_report_and_says_so(catalog, small_volume, language, said):
    resident = Client(HTTP_ACCEPT_LANGUAGE=language)
    pass_screen(resident, "damage-graffiti")
    fill_details(resident, "damage-graffiti")

    refused = resident.post(
        reverse("report-review"), {"files": photos(3, 250_000), "confirm": "on", "send": "1"}
    )

    assert refused.status_code == 200
    assert said in refused.content.decode()
    # What fitted is kept whole with the draft; nothing truncated or empty is left of the rest.
    kept = DraftUpload.objects.all()
    # No room for their previews either: the worker makes the copies once the report is sent.
    kept_files = {upload.original for upload in kept}
    assert not any(upload.derived or upload.thumbnail for upload in kept)
    assert {str(path.relative_to(small_volume)) for path in files_on(small_volume)} == kept_files
    assert all(path.stat().st_size > 0 for path in files_on(small_volume))
    assert not Report.objects.exists() and Draft.objects.get().details  # what they typed is kept

    sent = resident.post(reverse("report-review"), {"confirm": "on", "send": "1"})  # no more photos

    assert sent.status_code == 302 and sent.url == reverse("report-submitted")
    assert Report.objects.get().evidence.count() == len(kept) < 3


def test_a_full_volume_refuses_a_reply_cleanly(catalog, small_volume, report_taker):
    from reports import workflow

    from .factories import make_report, status_link

    report = make_report("theft-other", contact_email="a@example.org")
    workflow.request_info(report, by=report_taker, message="A photo of the door, please.")
    token = status_link(report)

    response = Client().post(
        reverse("report-status-reply", args=[token]), {"text": "Here.", "files": photos(3, 250_000)}
    )

    assert response.status_code == 200 and "cannot save photos" in response.content.decode()
    assert files_on(small_volume) == []
    report.refresh_from_db()
    assert report.status == "needs_info"  # nothing half-done: the answer can be sent again


def test_low_space_warns_on_healthz_and_on_the_figures_page(catalog, small_volume, settings, supervisor):
    settings.EVIDENCE_MIN_FREE_MB = 1  # the volume has half a megabyte
    health.beat()
    response = Client().get("/healthz")
    # A warning, not a failure: every web process shares the volume, and filing goes on without photos.
    assert response.status_code == 200
    assert response.json()["evidence_space"] == {"ok": True, "detail": "0 MB free", "warning": True}

    staff = Client()
    sign_in(staff, supervisor)
    page = staff.get(reverse("staff-dashboard")).content.decode()
    assert "Evidence storage is running low" in page and "0 MB free" in page

    settings.EVIDENCE_MIN_FREE_MB = 0
    assert "warning" not in Client().get("/healthz").json()["evidence_space"]
    assert "evidence-space-warning" not in staff.get(reverse("staff-dashboard")).content.decode()
