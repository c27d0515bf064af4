"""Evidence is private in both storages: local files, and an S3-compatible bucket (moto's server here).

A report with a photo is filed through the web flow; then the evidence URLs are fetched by everyone
who should not get the bytes, and by the staff member who should. No page or header ever carries a
bucket address or a signed link, and nothing asks the storage for a URL at all.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import uuid
from pathlib import Path

import boto3
import pytest
from django.test import Client
from django.urls import reverse
from moto.server import ThreadedMotoServer

from portal.settings import s3_evidence_storage
from reports.evidence import evidence_storage
from reports.models import Evidence, Report

from . import samples
from .conftest import backup_codes_device, sign_in
from .flows import copies_made, file_report, status_token

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parent.parent
SIGNED_LINK_MARKS = ("X-Amz-", "AWSAccessKeyId", "Signature=", "amazonaws.com")


@pytest.fixture(scope="module")
def s3_endpoint():
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture(params=["local", "s3"])
def storage_kind(request, settings, monkeypatch, private_evidence_storage):
    """Points the evidence storage at a fresh folder or a fresh bucket; returns what a leak would show."""
    if request.param == "local":
        return {"kind": "local", "marks": (str(private_evidence_storage),)}
    endpoint = request.getfixturevalue("s3_endpoint")
    for name, value in (("AWS_ACCESS_KEY_ID", "testing"), ("AWS_SECRET_ACCESS_KEY", "testing")):
        monkeypatch.setenv(name, value)  # the standard variables a deployment sets
    bucket = f"city-evidence-{uuid.uuid4().hex[:12]}"
    s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")
    s3.create_bucket(Bucket=bucket)
    settings.STORAGES = {
        **settings.STORAGES,
        "evidence": s3_evidence_storage(
            bucket, endpoint_url=endpoint, region="us-east-1", prefix="evidence", acl="private"
        ),
    }
    return {"kind": "s3", "marks": (endpoint, endpoint.split("//")[1], bucket), "s3": s3, "bucket": bucket}


@pytest.fixture
def no_storage_urls(monkeypatch):
    """Makes any call to the evidence storage's url() fail the test."""

    def refuse(name):
        raise AssertionError(f"something asked the evidence storage for a URL to {name}")

    def install():
        monkeypatch.setattr(evidence_storage(), "url", refuse)
        for field in ("original", "derived", "thumbnail"):
            monkeypatch.setattr(Evidence._meta.get_field(field).storage, "url", refuse)

    return install


class Recorder:
    """Every text response seen during a test, with its headers, to look for leaked links."""

    def __init__(self) -> None:
        self.seen: list[str] = []

    def __call__(self, response):
        headers = "\n".join(f"{key}: {value}" for key, value in response.items())
        body = response.content.decode(errors="replace") if not response.streaming else ""
        if response.get("Content-Type", "").startswith(("text/", "application/json")):
            self.seen.append(headers + "\n" + body)
        else:
            self.seen.append(headers)
        return response

    def assert_nothing_shows(self, marks) -> None:
        for text in self.seen:
            for mark in (*marks, *SIGNED_LINK_MARKS):
                assert mark not in text, f"{mark!r} appeared in a response"


def evidence_urls(report: Report, item: Evidence) -> list[str]:
    number = report.tracking_number
    return [
        reverse("staff-evidence", args=[number, item.public_id, v]) for v in ("original", "view", "thumb")
    ]


def test_evidence_is_served_only_to_staff_who_passed_both_steps(
    storage_kind, no_storage_urls, client, catalog, report_taker
):
    no_storage_urls()
    seen = Recorder()
    photo_bytes = samples.jpeg_bytes(gps=True)
    seen(
        file_report(
            client, "theft-from-vehicle", files=[samples.upload("car.jpg", photo_bytes, "image/jpeg")]
        )
    )
    copies_made()
    report, item = Report.objects.get(), Evidence.objects.get()
    token = status_token(client)
    assert item.sha256 == hashlib.sha256(photo_bytes).hexdigest()

    if storage_kind["kind"] == "s3":
        s3, bucket = storage_kind["s3"], storage_kind["bucket"]
        keys = {entry["Key"] for entry in s3.list_objects_v2(Bucket=bucket)["Contents"]}
        assert keys == {
            f"evidence/{name}" for name in (item.original.name, item.derived.name, item.thumbnail.name)
        }
        for key in keys:  # no grant to AllUsers or AuthenticatedUsers: the owner only
            grants = s3.get_object_acl(Bucket=bucket, Key=key)["Grants"]
            assert [grant["Permission"] for grant in grants] == ["FULL_CONTROL"], grants
            assert "URI" not in grants[0]["Grantee"], grants

    # Nobody without a staff session that has passed both steps gets the bytes.
    half_signed_in = Client()
    backup_codes_device(report_taker, "abcd2345")
    half_signed_in.post(reverse("staff-login"), {"username": "taker", "password": "a-long-test-password"})
    for url in evidence_urls(report, item):
        for browser, refused_to in (
            (Client(), "staff-login"),
            (client, "staff-login"),
            (half_signed_in, "staff-2fa-verify"),
        ):
            response = seen(browser.get(url))
            assert response.status_code == 302 and response["Location"].startswith(reverse(refused_to)), url

    # The resident's status link shows only the metadata-free copies, and only of this report.
    other_token = "x" * len(token)
    for variant in ("thumb", "view"):
        assert (
            seen(
                client.get(reverse("report-status-evidence", args=[other_token, item.public_id, variant]))
            ).status_code
            == 404
        )
    assert (
        seen(
            client.get(reverse("report-status-evidence", args=[token, item.public_id, "original"]))
        ).status_code
        == 404
    )
    assert (
        seen(client.get(reverse("report-status-evidence", args=[token, uuid.uuid4(), "thumb"]))).status_code
        == 404
    )
    thumb = seen(client.get(reverse("report-status-evidence", args=[token, item.public_id, "thumb"])))
    assert thumb.status_code == 200 and b"GPS" not in b"".join(thumb.streaming_content)
    seen(client.get(reverse("report-status", args=[token])))

    # A report taker who passed both steps gets the original, byte for byte.
    staff = Client()
    sign_in(staff, report_taker)
    seen(staff.get(reverse("staff-report-detail", args=[report.tracking_number])))
    original = seen(staff.get(evidence_urls(report, item)[0]))
    body = b"".join(original.streaming_content)
    assert original.status_code == 200 and original["Cache-Control"] == "private, no-store"
    assert hashlib.sha256(body).hexdigest() == item.sha256
    view = seen(staff.get(evidence_urls(report, item)[1]))
    assert view.status_code == 200 and b"".join(view.streaming_content)[:3] == b"\xff\xd8\xff"
    verified = seen(
        staff.post(
            reverse("staff-evidence-verify", args=[report.tracking_number, item.public_id]), follow=True
        )
    )
    assert "SHA-256 matches" in verified.content.decode()

    seen.assert_nothing_shows(storage_kind["marks"])


def test_no_template_or_view_asks_a_storage_for_a_url():
    # The runtime check above covers the paths the tests walk; this covers the ones they do not.
    sources = [
        *ROOT.glob("reports/**/*.py"),
        *ROOT.glob("open311/**/*.py"),
        *ROOT.glob("templates/**/*.html"),
    ]
    offenders = [
        str(path.relative_to(ROOT))
        for path in sources
        if any(
            needle in path.read_text()
            for needle in (".original.url", ".derived.url", ".thumbnail.url", "storage.url(")
        )
    ]
    assert offenders == []


def test_it_refuses_to_start_with_s3_but_no_bucket_or_a_public_acl(tmp_path):
    env = {**os.environ, "VAR_DIR": str(tmp_path), "EVIDENCE_STORAGE": "s3"}
    for extra, message in (
        ({}, "EVIDENCE_S3_BUCKET"),
        ({"EVIDENCE_S3_BUCKET": "b", "EVIDENCE_S3_ACL": "public-read"}, "EVIDENCE_S3_ACL"),
        ({"EVIDENCE_STORAGE": "ftp"}, "EVIDENCE_STORAGE"),
    ):
        result = subprocess.run(
            [sys.executable, "-c", "import portal.settings"],
            cwd=ROOT,
            env={**env, **extra},
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode != 0 and message in result.stderr, result.stderr
