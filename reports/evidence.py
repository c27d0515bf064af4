"""Evidence uploads: decide what a file really is, keep the original untouched, make safe copies to show.

The server trusts only the bytes: the name and the browser's content type are the resident's to choose.
Pages only ever show the derived copies, which are re-encoded JPEGs without any metadata (no GPS).
"""

from __future__ import annotations

import hashlib
import io
import logging
import os
import re
import secrets
import warnings
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import BinaryIO

import pillow_heif
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.base import ContentFile
from django.core.files.storage import Storage, storages
from django.core.files.uploadedfile import UploadedFile
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from PIL import Image, ImageOps

logger = logging.getLogger(__name__)

# Registers Pillow's "HEIF" format: iPhones save photos as HEIC by default.
pillow_heif.register_heif_opener()

DISPLAY_EDGE = 1600
THUMBNAIL_EDGE = 320
JPEG_QUALITY = 85
NAME_MAX_LENGTH = 200  # Evidence.original_name
PDF_TAIL_BYTES = 2048

# Markup a browser could be talked into running if the file were ever served as HTML. The tag must be
# followed by a delimiter: a bare "<svg" turns up by chance in a few percent of large compressed photos.
MARKUP = re.compile(rb"<(?:html|script|!doctype|svg|iframe|body)[\s/>]", re.IGNORECASE)
MARKUP_OVERLAP = 16  # longer than any match, so a tag split across two chunks is still seen

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
HEIC_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx"}


class EvidenceRejected(Exception):
    def __init__(self, message: str, filename: str) -> None:
        super().__init__(message)
        self.message = message
        self.filename = filename


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
class Kind:
    content_type: str
    extension: str
    pillow_format: str  # "" for documents, which get no derived copy


JPEG = Kind("image/jpeg", ".jpg", "JPEG")
PNG = Kind("image/png", ".png", "PNG")
WEBP = Kind("image/webp", ".webp", "WEBP")
HEIC = Kind("image/heic", ".heic", "HEIF")
PDF = Kind("application/pdf", ".pdf", "")


@dataclass(frozen=True)
class Rendered:
    display: bytes
    thumbnail: bytes
    width: int
    height: int


# --- The public interface ----------------------------------------------------------------------------


def store_upload(upload: UploadedFile) -> StoredUpload:
    name = plain_name(upload.name)
    check_size(upload.size or 0, name)
    with opened(upload) as fp:
        kind = detect_kind(fp.read(64), name)
        sha256, size = digest_and_scan(upload, name)
        check_size(size, name)
        check_structure(fp, kind, size, name)
        rendered = render(fp, kind, name) if kind.pillow_format else None
    return save(upload, name, kind, sha256, size, rendered)


def discard(stored: Iterable[StoredUpload]) -> None:
    storage = evidence_storage()
    for upload in stored:
        for name in (upload.original, upload.derived, upload.thumbnail):
            if name:
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


# --- Checks ------------------------------------------------------------------------------------------


def evidence_storage() -> Storage:
    # Looked up on every call, not at import, so tests can point STORAGES somewhere else.
    return storages["evidence"]


def rejected(message: str, name: str, **params: object) -> EvidenceRejected:
    return EvidenceRejected(message % {"name": name, **params}, name)


def plain_name(raw: str | None) -> str:
    # Old browsers sent a whole Windows path; non-printing characters (such as a right-to-left override
    # that makes "gpj.exe" read as "exe.jpg") would mislead the staff who read the name.
    name = re.split(r"[\\/]", raw or "")[-1]
    name = "".join(ch for ch in name if ch.isprintable()).strip() or "upload"
    stem, extension = os.path.splitext(name)
    extension = extension[:20]
    return stem[: NAME_MAX_LENGTH - len(extension)] + extension


def check_size(size: int, name: str) -> None:
    if size == 0:
        raise rejected(_("“%(name)s” is empty. Please choose the file again."), name)
    limit = settings.EVIDENCE_MAX_BYTES
    if size > limit:
        raise rejected(
            _("“%(name)s” is larger than %(limit)s MB, the most we can take for one file."),
            name,
            limit=f"{round(limit / 2**20, 2):g}",
        )


@contextmanager
def opened(upload: UploadedFile) -> Iterator[BinaryIO]:
    # A large upload already sits in a temporary file: reading it by path keeps it out of memory.
    if hasattr(upload, "temporary_file_path"):
        with open(upload.temporary_file_path(), "rb") as fp:
            yield fp
    else:
        upload.file.seek(0)
        yield upload.file


def detect_kind(head: bytes, name: str) -> Kind:
    kind = kind_from_signature(head)
    if kind is None:
        raise rejected(
            _(
                "“%(name)s” is not a photo or a PDF we can accept: we take JPEG, PNG, WebP and HEIC "
                "photos and PDF documents."
            ),
            name,
        )
    return kind


def kind_from_signature(head: bytes) -> Kind | None:
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith(PNG_SIGNATURE):
        return PNG
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return WEBP
    if head.startswith(b"%PDF-"):
        return PDF
    if is_heic(head):
        return HEIC
    return None


def is_heic(head: bytes) -> bool:
    # An ISO media file opens with an "ftyp" box: size, "ftyp", major brand, minor version, then the
    # compatible brands. HEIC must appear among them; AVIF uses the same container and is not taken.
    if head[4:8] != b"ftyp":
        return False
    box_end = min(int.from_bytes(head[:4], "big"), len(head))
    brands = [head[8:12]] + [head[i : i + 4] for i in range(16, box_end - 3, 4)]
    return any(brand in HEIC_BRANDS for brand in brands)


def digest_and_scan(upload: UploadedFile, name: str) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    tail = b""
    for chunk in upload.chunks():
        digest.update(chunk)
        size += len(chunk)
        if MARKUP.search(tail + chunk):
            raise rejected(
                _("“%(name)s” contains web page code, so we cannot accept it as a photo or a document."),
                name,
            )
        tail = chunk[-MARKUP_OVERLAP:]
    return digest.hexdigest(), size


def check_structure(fp: BinaryIO, kind: Kind, size: int, name: str) -> None:
    if kind is PNG:
        check_png_end(fp, size, name)
    elif kind is PDF:
        fp.seek(max(0, size - PDF_TAIL_BYTES))
        if b"%%EOF" not in fp.read():
            raise damaged(name)


def check_png_end(fp: BinaryIO, size: int, name: str) -> None:
    # Bytes after IEND are ignored by viewers, which is where a polyglot hides its second file.
    # Walking the chunk headers costs a seek per chunk, not a read of the data.
    fp.seek(len(PNG_SIGNATURE))
    while header := fp.read(8):
        if len(header) < 8:
            break
        fp.seek(int.from_bytes(header[:4], "big") + 4, io.SEEK_CUR)
        if header[4:] == b"IEND":
            if fp.tell() == size:
                return
            if fp.tell() > size:
                break
            raise rejected(
                _("“%(name)s” has extra data after the end of the picture, so we cannot accept it."), name
            )
    raise damaged(name)


def damaged(name: str) -> EvidenceRejected:
    return rejected(_("“%(name)s” seems to be damaged or incomplete. Please try uploading it again."), name)


def too_many_pixels(name: str) -> EvidenceRejected:
    return rejected(
        _("“%(name)s” has more pixels than we can process (at most %(limit)s megapixels)."),
        name,
        # Pillow's own threshold applies too (its warning is an error here), whatever the setting says.
        limit=min(settings.EVIDENCE_MAX_PIXELS, Image.MAX_IMAGE_PIXELS or settings.EVIDENCE_MAX_PIXELS)
        // 1_000_000,
    )


# --- Derived copies ----------------------------------------------------------------------------------


def render(fp: BinaryIO, kind: Kind, name: str) -> Rendered:
    fp.seek(0)
    try:
        # Local to this block; Pillow's own limit stays as it is for everyone else.
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(fp, formats=[kind.pillow_format]) as img:
                if img.width * img.height > settings.EVIDENCE_MAX_PIXELS:
                    raise too_many_pixels(name)
                return render_image(img, reduce_while_decoding=kind is JPEG)
    except EvidenceRejected:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise too_many_pixels(name) from None
    except Exception as error:  # a decoder fed hostile bytes can raise nearly anything
        logger.info("Evidence %r did not decode: %r", name, error)
        raise damaged(name) from error


def render_image(img: Image.Image, *, reduce_while_decoding: bool) -> Rendered:
    width, height = img.size
    if reduce_while_decoding:
        # libjpeg decodes at 1/2..1/8 scale, to no less than the display copy needs: a 48 MP photo
        # then takes about 9 MB of memory instead of 145 MB.
        img.draft("RGB", fitted(img.size, DISPLAY_EDGE))
    img.load()
    upright = ImageOps.exif_transpose(img)
    if upright.size != img.size:
        width, height = height, width
    display = shrunk(flattened(upright), DISPLAY_EDGE)
    thumbnail = shrunk(display, THUMBNAIL_EDGE)
    return Rendered(jpeg_without_metadata(display), jpeg_without_metadata(thumbnail), width, height)


def fitted(size: tuple[int, int], edge: int) -> tuple[int, int]:
    scale = min(1.0, edge / max(size))
    return max(1, round(size[0] * scale)), max(1, round(size[1] * scale))


def flattened(img: Image.Image) -> Image.Image:
    # Transparent areas would turn black in a JPEG; put them on white, as a browser shows them.
    if img.mode in ("RGBA", "LA", "PA") or "transparency" in img.info:
        rgba = img.convert("RGBA")
        background = Image.new("RGB", rgba.size, "white")
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return img.convert("RGB")


def shrunk(img: Image.Image, edge: int) -> Image.Image:
    copy = img.copy()
    copy.thumbnail((edge, edge), Image.Resampling.LANCZOS)
    return copy


def jpeg_without_metadata(img: Image.Image) -> bytes:
    # info still holds the original's EXIF (with GPS), XMP and comment, and Pillow's JPEG writer falls
    # back to some of it; emptying it means the copy carries pixels only.
    img.info = {}
    out = io.BytesIO()
    img.save(out, format="JPEG", quality=JPEG_QUALITY, optimize=True)
    return out.getvalue()


# --- Storage -----------------------------------------------------------------------------------------


def save(
    upload: UploadedFile, name: str, kind: Kind, sha256: str, size: int, rendered: Rendered | None
) -> StoredUpload:
    stem = f"{timezone.now():%Y/%m}/{secrets.token_hex(16)}"
    # A plain File is copied in chunks; handing over the upload itself would move its temporary file
    # away from under the caller.
    files: list[tuple[str, File]] = [(f"originals/{stem}{kind.extension}", File(upload.file))]
    if rendered:
        files.append((f"derived/{stem}.jpg", ContentFile(rendered.display)))
        files.append((f"thumbs/{stem}.jpg", ContentFile(rendered.thumbnail)))
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
        width=rendered.width if rendered else None,
        height=rendered.height if rendered else None,
    )


def save_all(files: list[tuple[str, File]]) -> list[str]:
    storage = evidence_storage()
    saved: list[str] = []
    try:
        for name, content in files:
            saved.append(storage.save(name, content))
    except BaseException:
        for name in saved:
            delete_quietly(storage, name)
        raise
    return saved


def delete_quietly(storage: Storage, name: str) -> None:
    # Called while another error is on its way up: a failed delete is logged, not raised over it.
    try:
        storage.delete(name)
    except Exception:
        logger.warning("Could not delete evidence file %s", name, exc_info=True)
