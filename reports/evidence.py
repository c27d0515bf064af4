"""Evidence uploads: check a file, keep the original untouched, store the copies that pages show.

What a file is and whether it is safe is evidence_checks.py; the copies are evidence_copies.py. This
module is what the rest of the project calls, and the only one that touches the evidence storage.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import BinaryIO

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.base import ContentFile
from django.core.files.storage import Storage, storages
from django.core.files.uploadedfile import UploadedFile
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from .evidence_checks import (
    KINDS,
    Kind,
    check_size,
    check_structure,
    detect_kind,
    digest_and_scan,
    plain_name,
)
from .evidence_copies import Rendered, inspect, render

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class StoredUpload:
    original: str
    original_name: str
    content_type: str
    size: int
    sha256: str
    derived: str
    thumbnail: str
    width: int | None
    height: int | None


@dataclass(frozen=True)
class StoredCopies:
    derived: str
    thumbnail: str
    width: int
    height: int


# --- The public interface ----------------------------------------------------------------------------


def store_upload(upload: UploadedFile, *, copies: bool = True, photos_only: bool = False) -> StoredUpload:
    """Check a file and keep it. A picture's copies are made now, or with `copies=False` only checked for
    (its header, pixels and the memory decoding takes) and left to make_copies, in the worker.
    `photos_only` refuses a PDF as it refuses any other file that is not a photo."""
    name = plain_name(upload.name)
    check_size(upload.size or 0, name)
    with opened(upload) as fp:
        kind = detect_kind(fp.read(64), name, photos_only=photos_only)
        sha256, size = digest_and_scan(upload, name)
        check_size(size, name)
        check_structure(fp, kind, size, name)
        rendered, dimensions = None, (None, None)
        if kind.pillow_format and copies:
            rendered = render(fp, kind, name)
            dimensions = rendered.width, rendered.height
        elif kind.pillow_format:
            dimensions = inspect(fp, kind, name)
    return save(upload, name, kind, sha256, size, rendered, dimensions)


def make_copies(original: str, content_type: str, name: str) -> StoredCopies:
    """The copies of a stored picture kept without them (store_upload's `copies=False`). Raises
    EvidenceRejected when the picture turns out damaged past its header, StorageUnavailable when the
    storage refuses them."""
    kind = KINDS[content_type]
    with open_stored(original) as fp:
        rendered = render(fp, kind, name)
    stem = original.removeprefix("originals/").rsplit(".", 1)[0]
    derived, thumbnail = save_all(copy_files(stem, rendered))
    return StoredCopies(derived, thumbnail, rendered.width, rendered.height)


def copy_files(stem: str, rendered: Rendered) -> list[tuple[str, File]]:
    """Where a picture's two copies are stored, beside its original's stem."""
    return [
        (f"derived/{stem}.jpg", ContentFile(rendered.display)),
        (f"thumbs/{stem}.jpg", ContentFile(rendered.thumbnail)),
    ]


def has_copies_to_make(content_type: str, derived: str) -> bool:
    kind = KINDS.get(content_type)
    return not derived and kind is not None and bool(kind.pillow_format)


def discard(stored: Iterable[StoredUpload]) -> None:
    storage = evidence_storage()
    for upload in stored:
        for name in (upload.original, upload.derived, upload.thumbnail):
            if name:
                delete_quietly(storage, name)


def delete_stored(names: Iterable[str]) -> None:
    storage = evidence_storage()
    for name in names:
        delete_quietly(storage, name)


def check_file_count(count: int) -> None:
    limit = settings.EVIDENCE_MAX_FILES
    if count > limit:
        raise ValidationError(
            ngettext(
                "You can attach at most %(limit)d file to one report.",
                "You can attach at most %(limit)d files to one report.",
                limit,
            ),
            code="too_many_files",
            params={"limit": limit},
        )


def open_stored(name: str):
    """Open a stored evidence file. Always through the configured storage, never a model field's."""
    return evidence_storage().open(name, "rb")


def sha256_of_stored(name: str) -> str:
    digest = hashlib.sha256()
    with evidence_storage().open(name, "rb") as stored:
        for chunk in stored.chunks():
            digest.update(chunk)
    return digest.hexdigest()


def download_name(tracking_number: str, position: int, content_type: str) -> tuple[str, str]:
    """The file name and type an original downloads under: ours, from the detected type, never the name
    the resident gave (which may say `invoice.html`, or read backwards)."""
    kind = KINDS.get(content_type)
    if kind is None:
        return f"{tracking_number}-{position}.bin", "application/octet-stream"
    return f"{tracking_number}-{position}{kind.extension}", kind.content_type


def evidence_storage() -> Storage:
    # Looked up on every call, not at import, so tests can point STORAGES somewhere else.
    return storages["evidence"]


@contextmanager
def opened(upload: UploadedFile) -> Iterator[BinaryIO]:
    # A large upload already sits in a temporary file: reading it by path keeps it out of memory.
    if hasattr(upload, "temporary_file_path"):
        with open(upload.temporary_file_path(), "rb") as fp:
            yield fp
    else:
        upload.file.seek(0)
        yield upload.file


# --- Storage -----------------------------------------------------------------------------------------


def save(
    upload: UploadedFile,
    name: str,
    kind: Kind,
    sha256: str,
    size: int,
    rendered: Rendered | None,
    dimensions: tuple[int | None, int | None],
) -> StoredUpload:
    stem = f"{timezone.now():%Y/%m}/{secrets.token_hex(16)}"
    # A plain File is copied in chunks; handing over the upload itself would move its temporary file
    # away from under the caller.
    files: list[tuple[str, File]] = [(f"originals/{stem}{kind.extension}", File(upload.file))]
    if rendered:
        files += copy_files(stem, rendered)
    original, *copies = save_all(files)
    derived, thumbnail = copies or ("", "")
    return StoredUpload(
        original=original,
        original_name=name,
        content_type=kind.content_type,
        size=size,
        sha256=sha256,
        derived=derived,
        thumbnail=thumbnail,
        width=dimensions[0],
        height=dimensions[1],
    )


class StorageUnavailable(Exception):
    """The evidence storage refused a write (a full disk, a bucket out of reach): nothing was kept."""


def storage_unavailable_message() -> str:
    return _(
        "We cannot save photos or documents right now. Your report is kept: you can send it now without "
        "them (staff may ask you for them later), or try again in a while."
    )


def save_all(files: list[tuple[str, File]]) -> list[str]:
    storage = evidence_storage()
    saved: list[str] = []
    name = ""
    try:
        for name, content in files:
            saved.append(storage.save(name, content))
    except BaseException as error:
        # The file being written when it failed stays behind half-written on a full disk (its name is
        # ours and new, so a file by that name is that file).
        for leftover in [*saved, name]:
            delete_quietly(storage, leftover)
        if isinstance(error, Exception):
            logger.error("Evidence storage refused a write: %r", error)
            raise StorageUnavailable(str(error)) from error
        raise
    return saved


def delete_quietly(storage: Storage, name: str) -> None:
    # Called while another error is on its way up: a failed delete is logged, not raised over it.
    try:
        storage.delete(name)
    except Exception:
        logger.warning("Could not delete evidence file %s", name, exc_info=True)
