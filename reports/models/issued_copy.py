"""The signed approved copies of a report, each kept byte for byte, and the codes that verify them."""

from __future__ import annotations

import re
import secrets

from django.db import models
from django.utils import timezone

from ..evidence import evidence_storage
from .report import TRACKING_ALPHABET, Report

# 30 letters and digits, none that reads like another, ten of them: about 49 bits. With VERIFY_RATE per
# address, guessing one is hopeless; typing one from paper takes seconds.
VERIFICATION_CODE_LENGTH = 10
VERIFICATION_CODE = re.compile(f"[{TRACKING_ALPHABET}]{{{VERIFICATION_CODE_LENGTH}}}")
CODE_SEPARATORS = re.compile(r"[\s\-‐‑‒–—.]")


def new_verification_code() -> str:
    return "".join(secrets.choice(TRACKING_ALPHABET) for _ in range(VERIFICATION_CODE_LENGTH))


def printed_code(code: str) -> str:
    """ABCDEFGHJK as printed and typed: ABCD-EFGH-JK."""
    return "-".join(code[start : start + 4] for start in range(0, len(code), 4))


def stored_code(text: str) -> str | None:
    """A code as stored, from what someone typed (any case, with or without dashes or spaces); None when
    it cannot be one."""
    code = CODE_SEPARATORS.sub("", text).upper()
    return code if VERIFICATION_CODE.fullmatch(code) else None


class IssuedCopy(models.Model):
    """One signed PDF of an approved report, as it was issued (reports/issued_copies.py).

    Served again byte for byte, so the SHA-256 shown at /verify/<code> is the file's. A reissue (a
    supplement to the report) adds the next revision; the older copies stay verifiable and are shown as
    superseded by the newer one.
    """

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="issued_copies")
    revision = models.PositiveSmallIntegerField()  # 1 for the first copy; each reissue adds one
    code = models.CharField(max_length=10, unique=True)  # printed ABCD-EFGH-JK, stored without dashes
    sha256 = models.CharField(max_length=64)
    # Read the file through reports.issued_copies, which looks the storage up at call time.
    file = models.FileField(storage=evidence_storage, max_length=200)
    size = models.PositiveIntegerField()
    issued_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            # Its index also serves "the latest copy of this report" (the status link's download) and
            # "is there a newer copy" (the verification page).
            models.UniqueConstraint(fields=["report", "revision"], name="one_issued_copy_per_revision"),
        ]

    def __str__(self) -> str:
        return f"copy {self.revision} of report {self.report_id} ({self.printed_code})"

    @property
    def printed_code(self) -> str:
        return printed_code(self.code)
