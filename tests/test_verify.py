"""The approved copy an insurer can check: signed (PAdES), issued once and served byte for byte, with a
code and a QR code that lead to /verify/<code>, which confirms the copy and says nothing personal."""

from __future__ import annotations

import hashlib
import io

import pytest
import zxingcpp
from django.conf import settings
from django.core import mail
from django.test import Client
from django.urls import reverse
from fpdf import FPDF
from pyhanko.keys import load_cert_from_pemder
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext
from pypdf import PdfReader

from reports import issued_copies, outbox, retention, signing, tasks
from reports.models import IssuedCopy, OutboxMessage, Report
from reports.statuses import Status

from .conftest import sign_in
from .flows import file_report, status_token

pytestmark = pytest.mark.django_db

DESCRIPTION = "The side window of my blue Corolla was smashed outside my house."


@pytest.fixture
def approved(client, catalog, report_taker) -> tuple[Report, str]:
    """A theft report filed through the views, approved by a report taker: (report, status token)."""
    file_report(client, "theft-from-vehicle", description=DESCRIPTION)
    token = status_token(client)
    report = Report.objects.get()
    staff = Client()
    sign_in(staff, report_taker)
    staff.post(reverse("staff-report-action", args=[report.tracking_number, "approve"]), {"note": ""})
    report.refresh_from_db()
    assert report.status == Status.APPROVED and report.case_number
    return report, token


def download(client: Client, token: str) -> bytes:
    response = client.get(reverse("report-status-pdf", args=[token]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    return b"".join(response.streaming_content)


def signature_status(data: bytes, certificate):
    reader = PdfFileReader(io.BytesIO(data), strict=False)
    [signature] = reader.embedded_signatures
    trust = ValidationContext(trust_roots=[load_cert_from_pemder(str(certificate))])
    return validate_pdf_signature(signature, trust)


def qr_codes(data: bytes) -> list[str]:
    """What the QR codes drawn in a PDF say, decoded from the images embedded in its pages."""
    texts = []
    for page in PdfReader(io.BytesIO(data)).pages:
        for image in page.images:
            texts += [found.text for found in zxingcpp.read_barcodes(image.image.convert("L"))]
    return texts


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


# --- The signature -------------------------------------------------------------------------------------


def test_it_signs_the_approved_copy_so_that_it_validates(client, approved, signing_key):
    _report, token = approved
    status = signature_status(download(client, token), signing_key[0])
    assert status.intact and status.valid and status.trusted
    assert status.bottom_line


def test_it_fails_validation_when_one_byte_of_the_copy_changes(client, approved, signing_key):
    report, token = approved
    data = download(client, token)
    # The document's title, inside the signed bytes: one letter changed, the length unchanged.
    position = data.index(report.case_number.encode())
    tampered = data[:position] + b"X" + data[position + 1 :]
    assert tampered != data and len(tampered) == len(data)
    status = signature_status(tampered, signing_key[0])
    assert not status.intact and not status.bottom_line


def test_it_makes_a_self_signed_pair_once_when_none_is_configured(settings, tmp_path):
    settings.REPORT_SIGNING_CERT = settings.REPORT_SIGNING_KEY = ""
    settings.REPORT_SIGNING_DIR = tmp_path / "signing"
    first = signing.signing_files()
    certificate = first.certificate.read_bytes()
    assert signing.signing_files() == first and first.certificate.read_bytes() == certificate
    assert oct(first.key.stat().st_mode & 0o777) == "0o600"
    blank = FPDF()
    blank.add_page()
    signed = signing.sign(bytes(blank.output()), reason="test", location="here")
    assert signature_status(signed, first.certificate).intact


# --- Issued once, served the same ----------------------------------------------------------------------


def test_it_serves_the_same_bytes_on_every_download(client, approved):
    report, token = approved
    first, second = download(client, token), download(client, token)
    assert first == second
    copy = IssuedCopy.objects.get(report=report)
    assert copy.revision == 1 and copy.sha256 == hashlib.sha256(first).hexdigest()


def test_it_attaches_the_same_copy_to_the_approval_email(client, approved):
    report, token = approved
    message = OutboxMessage.objects.get(payload__template="report-approved")
    assert outbox.claim_and_run(message.pk, tasks.HANDLERS) == "done"
    [(_name, attached, _type)] = mail.outbox[-1].attachments
    assert attached == download(client, token)
    assert IssuedCopy.objects.filter(report=report).count() == 1


def test_a_first_copy_drawn_at_the_same_time_as_another_is_thrown_away(approved, private_evidence_storage):
    report, _token = approved
    kept = issued_copies.current_copy(report)
    assert issued_copies.issue(report, first=True) == kept
    assert [path.name for path in private_evidence_storage.rglob("*.pdf")] == [kept.file.name.rsplit("/")[-1]]


def test_it_prints_the_code_and_a_qr_code_to_its_page(client, approved):
    report, token = approved
    data = download(client, token)
    copy = IssuedCopy.objects.get(report=report)
    code = copy.printed_code
    assert len(copy.code) == 10 and code.count("-") == 2
    text = pdf_text(data)
    assert code in text and report.case_number in text
    assert qr_codes(data) == [f"{settings.SITE_URL}/verify/{code}"]


# --- The verification page -----------------------------------------------------------------------------


def test_it_confirms_the_copy_and_its_fingerprint(client, approved):
    report, token = approved
    data = download(client, token)
    [code] = [line for line in pdf_text(data).split() if line == IssuedCopy.objects.get().printed_code]

    page = Client().get(f"/verify/{code}")

    html = page.content.decode()
    assert page.status_code == 200
    assert report.case_number in html and hashlib.sha256(data).hexdigest() in html
    assert "Theft" in html and "A newer copy exists" not in html
    for personal in ("Alex Resident", "alex@example.org", "350 S 5th St", DESCRIPTION, "ThinkPad", "SN123"):
        assert personal not in html
    assert report.tracking_number not in html  # it opens nothing: the status link is the key


def test_it_reads_a_code_typed_any_way(client, approved):
    download(client, approved[1])
    code = IssuedCopy.objects.get().code
    assert Client().get(f"/verify/{code.lower()}").status_code == 200
    response = Client().get(reverse("verify"), {"code": f" {code[:4].lower()} {code[4:8]}-{code[8:]} "})
    assert response.status_code == 302 and response["Location"] == reverse(
        "verify-copy", args=[printed(code)]
    )


def printed(code: str) -> str:
    return f"{code[:4]}-{code[4:8]}-{code[8:]}"


def test_it_answers_404_for_an_unknown_or_malformed_code(client, approved):
    download(client, approved[1])
    code = IssuedCopy.objects.get().code
    unknown = ("2" if code[0] != "2" else "3") + code[1:]
    assert Client().get(f"/verify/{printed(unknown)}").status_code == 404
    for malformed in ("ABCD-EFGH", "ABCD-EFGH-JKL", "OOOO-IIII-11", "'; drop table", "%00"):
        assert Client().get(f"/verify/{malformed}").status_code == 404, malformed


def test_the_form_says_when_a_code_cannot_be_one(catalog):
    page = Client().get(reverse("verify"), {"code": "ABC"})
    assert page.status_code == 200 and "exactly as printed" in page.content.decode()
    assert Client().get(reverse("verify")).status_code == 200


def test_it_limits_how_many_codes_one_address_may_try(catalog):
    browser = Client()
    limit = int(settings.VERIFY_RATE.split("/")[0])
    statuses = {browser.get(f"/verify/{printed('2345678923')}").status_code for _ in range(limit)}
    assert statuses == {404}
    assert browser.get(f"/verify/{printed('2345678923')}").status_code == 429


def test_a_reissued_copy_supersedes_the_older_one(client, approved):
    report, token = approved
    first_bytes = download(client, token)
    first = IssuedCopy.objects.get()

    second = issued_copies.issue_copy(report)

    assert second.revision == 2 and second.code != first.code
    newest = download(client, token)
    assert newest != first_bytes and hashlib.sha256(newest).hexdigest() == second.sha256
    old_page = Client().get(f"/verify/{first.printed_code}").content.decode()
    assert "A newer copy exists" in old_page and first.sha256 in old_page
    assert "A newer copy exists" not in Client().get(f"/verify/{second.printed_code}").content.decode()


def test_a_report_not_approved_gets_no_issued_copy(catalog, client):
    file_report(client, "theft-other")
    with pytest.raises(issued_copies.NotApproved):
        issued_copies.issue_copy(Report.objects.get())


def test_the_retention_purge_removes_the_issued_copies(client, approved, private_evidence_storage):
    report, token = approved
    download(client, token)
    stored = private_evidence_storage / IssuedCopy.objects.get().file.name
    assert stored.exists()
    Report.objects.filter(pk=report.pk).update(status=Status.APPROVED, closed_at="2000-01-01T00:00Z")
    retention.purge_expired()
    assert not stored.exists() and not IssuedCopy.objects.exists()
