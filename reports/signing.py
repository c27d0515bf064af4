"""The approved copy's digital signature (PAdES, with pyHanko), and the key it is made with.

A deployment names the city's certificate and key (REPORT_SIGNING_CERT, REPORT_SIGNING_KEY). Without
them the portal signs with a self-signed pair it makes under REPORT_SIGNING_DIR the first time it needs
one (`make run` makes it ahead, with `manage.py signing_key`): the signature still shows that nobody
changed the file, but a PDF reader names no signer it knows. Imports nothing of ours.
"""

from __future__ import annotations

import io
import os
import shutil
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from django.conf import settings
from django.utils import timezone
from pyhanko.keys import load_cert_from_pemder, load_certs_from_pemder, load_private_key_from_pemder
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields, signers
from pyhanko_certvalidator.registry import SimpleCertificateStore

LOCAL_KEY, LOCAL_CERT = "key.pem", "certificate.pem"
LOCAL_YEARS = 10  # a demo's certificate outlives the demo


@dataclass(frozen=True)
class SigningFiles:
    certificate: Path
    key: Path
    chain: Path | None = None
    password: str = ""


def sign(pdf: bytes, *, reason: str, location: str) -> bytes:
    """The PDF with a PAdES signature added as an incremental update: the drawn bytes stay as they were."""
    metadata = signers.PdfSignatureMetadata(
        field_name="Signature",
        md_algorithm="sha256",
        subfilter=fields.SigSeedSubFilter.PADES,
        reason=reason,
        location=location,
    )
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
    return signers.sign_pdf(writer, metadata, signer=signer(signing_files())).getvalue()


def signer(files: SigningFiles) -> signers.SimpleSigner:
    # Loaded here rather than with SimpleSigner.load, which logs a bad file and returns None.
    others = load_certs_from_pemder([str(files.chain)]) if files.chain else []
    store = SimpleCertificateStore()
    store.register_multiple(list(others))
    return signers.SimpleSigner(
        signing_cert=load_cert_from_pemder(str(files.certificate)),
        signing_key=load_private_key_from_pemder(
            str(files.key), passphrase=files.password.encode() if files.password else None
        ),
        cert_registry=store,
    )


def signing_files() -> SigningFiles:
    if settings.REPORT_SIGNING_CERT:
        return SigningFiles(
            certificate=Path(settings.REPORT_SIGNING_CERT),
            key=Path(settings.REPORT_SIGNING_KEY),
            chain=Path(settings.REPORT_SIGNING_CHAIN) if settings.REPORT_SIGNING_CHAIN else None,
            password=settings.REPORT_SIGNING_KEY_PASSWORD,
        )
    return local_pair(Path(settings.REPORT_SIGNING_DIR))


def local_pair(directory: Path) -> SigningFiles:
    """The self-signed pair in `directory`, made now if it is not there. Both files are written into a
    folder of this process's own, which is then renamed into place: processes starting together never
    read a key without its certificate, and all keep the first pair renamed."""
    files = SigningFiles(certificate=directory / LOCAL_CERT, key=directory / LOCAL_KEY)
    if files.certificate.exists():
        return files
    directory.parent.mkdir(parents=True, exist_ok=True)
    draft = directory.with_name(f".{directory.name}.{os.getpid()}")
    draft.mkdir(mode=0o700)
    key, certificate = self_signed_pair(f"{settings.CITY_NAME} 311 (self-signed, not for production)")
    (draft / LOCAL_KEY).write_bytes(key)
    (draft / LOCAL_KEY).chmod(0o600)
    (draft / LOCAL_CERT).write_bytes(certificate)
    try:
        draft.rename(directory)
    except OSError:  # another process renamed its pair into place first
        shutil.rmtree(draft, ignore_errors=True)
    return files


def self_signed_pair(common_name: str, *, years: int = LOCAL_YEARS) -> tuple[bytes, bytes]:
    """A new P-256 key and a self-signed certificate for it, both PEM: (key, certificate)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = timezone.now()
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=365 * years))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,  # non-repudiation: what a document signature asserts
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return key_pem, certificate.public_bytes(serialization.Encoding.PEM)


def certificate_fingerprint(path: Path) -> str:
    certificate = x509.load_pem_x509_certificate(path.read_bytes())
    return certificate.fingerprint(hashes.SHA256()).hex(":").upper()
