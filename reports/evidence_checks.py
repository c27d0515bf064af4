"""What an uploaded file really is, and whether it is safe to keep: its type from its bytes, its structure,
and the places a second file or code can hide in it. Each refusal is a message naming the file.

The server trusts only the bytes: the name and the browser's content type are the resident's to choose.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _
from PIL import Image

NAME_MAX_LENGTH = 200  # Evidence.original_name
PDF_TAIL_BYTES = 2048
SCAN_CHUNK = 1024 * 1024

# Markup a browser could be talked into running if the file were ever served as HTML, and PHP, which a
# server runs from any file it can be talked into including. A tag must be followed by a delimiter, and
# "<?=" by code: a bare "<svg" or "<?=" turns up by chance in large compressed photos. A scan is a
# tripwire, not a parser; what protects staff is that originals are only ever downloaded, under our name.
MARKUP = re.compile(
    rb"<(?:html|script|!doctype|svg|iframe|body)[\s/>]"
    rb"|<\?php\s|<\?=(?:[\t\n\r\x20-\x7e]{12}|[\t\n\r\x20-\x7e]{0,11}\?>)",
    re.IGNORECASE,
)
MARKUP_OVERLAP = 32  # longer than any match, so a tag split across two chunks is still seen

# A ZIP reader finds an archive by its end record, which sits in the last 64 KB of the file: with one
# there, the file opens as an archive too.
ZIP_END = b"PK\x05\x06"
ZIP_TAIL = 65_535 + 22
ZIP_RECORDS = re.compile(rb"PK\x03\x04|PK\x05\x06")

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
HEIC_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx"}

# A marker in a JPEG: 0xFF followed by anything but 0 (a stuffed 0xFF in the compressed data), a restart
# marker (inside the compressed data too) or another 0xFF (fill).
JPEG_MARKER = re.compile(rb"\xff[^\x00\xd0-\xd7\xff]")
JPEG_SOI = b"\xff\xd8\xff"
JPEG_SOS, JPEG_EOI = 0xDA, 0xD9
JPEG_STANDALONE = {0x01, 0xD8}  # markers with no length after them
JPEG_FRAMES = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}
JPEG_PROGRESSIVE = {0xC2, 0xC6, 0xCA, 0xCE}
# Far more than any camera writes (a progressive JPEG has a few dozen segments, a phone a few pictures):
# a file of millions of tiny segments would otherwise keep a worker busy.
JPEG_MAX_SEGMENTS, JPEG_MAX_PICTURES = 2000, 32


class EvidenceRejected(Exception):
    def __init__(self, message: str, filename: str) -> None:
        super().__init__(message)
        self.message = message
        self.filename = filename


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
KINDS = {kind.content_type: kind for kind in (JPEG, PNG, WEBP, HEIC, PDF)}


@dataclass(frozen=True)
class JpegFrame:
    progressive: bool
    sampling: tuple[tuple[int, int], ...]  # horizontal and vertical sampling factor of each component
    first_scan_components: int


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


def detect_kind(head: bytes, name: str, *, photos_only: bool = False) -> Kind:
    kind = kind_from_signature(head)
    if photos_only and (kind is None or not kind.pillow_format):
        # Where only a photo makes sense (Traffic Control's, at a closure), a PDF is refused too, and the
        # message does not offer it.
        raise rejected(
            _("“%(name)s” is not a photo we can accept: we take JPEG, PNG, WebP and HEIC photos."), name
        )
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
    if head.startswith(JPEG_SOI):
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
    if kind is JPEG:
        check_jpeg_end(fp, size, name)
    elif kind is PNG:
        check_png_end(fp, size, name)
    elif kind is PDF:
        check_pdf(fp, size, name)
    check_not_two_files(fp, kind, size, name)


def check_not_two_files(fp: BinaryIO, kind: Kind, size: int, name: str) -> None:
    fp.seek(max(0, size - ZIP_TAIL))
    if ZIP_END in fp.read():
        raise hidden_file(name)
    # A PDF reader takes "%PDF-" anywhere in the first kilobyte.
    fp.seek(0)
    if kind is not PDF and b"%PDF-" in fp.read(1024):
        raise hidden_file(name)


def check_png_end(fp: BinaryIO, size: int, name: str) -> None:
    # Bytes after IEND are ignored by viewers, which is where a polyglot hides its second file; the other
    # place is an ancillary chunk. Walking the chunk headers costs a seek per chunk, not a read of the data.
    fp.seek(len(PNG_SIGNATURE))
    while header := fp.read(8):
        if len(header) < 8:
            break
        start, length = fp.tell(), int.from_bytes(header[:4], "big")
        if is_ancillary(header[4:]) and found_in(fp, start, start + length, ZIP_RECORDS):
            raise hidden_file(name)
        fp.seek(start + length + 4)
        if header[4:] == b"IEND":
            if fp.tell() == size:
                return
            if fp.tell() > size:
                break
            raise extra_data(name)
    raise damaged(name)


def is_ancillary(chunk_type: bytes) -> bool:
    # Lower case first letter: a chunk a viewer may skip. An animated PNG's frames (fdAT) are pixels.
    return bool(chunk_type[:1].islower()) and chunk_type != b"fdAT"


def found_in(fp: BinaryIO, start: int, end: int, pattern: re.Pattern[bytes]) -> bool:
    fp.seek(start)
    tail = b""
    while start < end and (chunk := fp.read(min(SCAN_CHUNK, end - start))):
        if pattern.search(tail + chunk):
            return True
        tail, start = chunk[-16:], start + len(chunk)
    return False


def check_jpeg_end(fp: BinaryIO, size: int, name: str) -> None:
    end = jpeg_end(fp, 0)
    # Phones store more pictures after the first, each a whole JPEG (CIPA's Multi-Picture Format): a depth
    # map, the gain map of an HDR photo.
    for _picture in range(JPEG_MAX_PICTURES):
        if end is None or end == size or not starts_with(fp, end, JPEG_SOI):
            break
        end = jpeg_end(fp, end)
    if end is None:
        raise damaged(name)
    if end < size and not is_camera_trailer(fp, end, size):
        raise extra_data(name)


def is_camera_trailer(fp: BinaryIO, start: int, size: int) -> bool:
    # Exif lets cameras record data after the picture, and phones do: a motion photo's video (an MP4, which
    # opens with an "ftyp" box) or Samsung's trailer (its directory, "SEFH", then the directory's length
    # and "SEFT" at the very end). Anything else there is refused.
    if starts_with(fp, start + 4, b"ftyp"):
        return True
    fp.seek(size - 8)
    tail = fp.read(8)
    directory = size - 8 - int.from_bytes(tail[:4], "little")
    return tail[4:] == b"SEFT" and directory >= start and starts_with(fp, directory, b"SEFH")


def starts_with(fp: BinaryIO, position: int, prefix: bytes) -> bool:
    fp.seek(position)
    return fp.read(len(prefix)) == prefix


def jpeg_end(fp: BinaryIO, start: int) -> int | None:
    """Where the JPEG that starts at `start` ends, just after its EOI; None when it has none."""
    for marker, payload, _length in jpeg_segments(fp, start):
        if marker == JPEG_EOI:
            return payload
    return None


def jpeg_segments(fp: BinaryIO, start: int) -> Iterator[tuple[int, int, int]]:
    """Marker, payload offset and payload length of each segment of the JPEG at `start`, up to its EOI.

    The search for the next marker skips a scan's compressed data, and stray bytes as libjpeg does."""
    position = start + 2
    for _segment in range(JPEG_MAX_SEGMENTS):
        if not (found := next_jpeg_marker(fp, position)):
            return
        marker, position = found
        if marker == JPEG_EOI:
            yield marker, position, 0
            return
        if marker in JPEG_STANDALONE:
            continue
        fp.seek(position)
        length = int.from_bytes(fp.read(2), "big")  # counts its own two bytes
        if length < 2:
            return
        yield marker, position + 2, length - 2
        position += length


def next_jpeg_marker(fp: BinaryIO, position: int) -> tuple[int, int] | None:
    # Reads grow from a few bytes (the next segment is usually right there) to a megabyte (a scan's data).
    size = 256
    while True:
        fp.seek(position)
        chunk = fp.read(size)
        if match := JPEG_MARKER.search(chunk):
            return chunk[match.start() + 1], position + match.end()
        if len(chunk) < size:
            return None
        position, size = position + len(chunk) - 1, min(4 * size, SCAN_CHUNK)  # 0xFF at the end may start one


def jpeg_frame(fp: BinaryIO) -> JpegFrame | None:
    progressive, sampling = False, ()
    for marker, payload, length in jpeg_segments(fp, 0):
        fp.seek(payload)
        if marker in JPEG_FRAMES:
            data = fp.read(length)
            progressive = marker in JPEG_PROGRESSIVE
            sampling = tuple((data[7 + 3 * i] >> 4, data[7 + 3 * i] & 15) for i in range(data[5]))
        elif marker == JPEG_SOS:
            return JpegFrame(progressive, sampling, fp.read(1)[0])
    return None


def check_pdf(fp: BinaryIO, size: int, name: str) -> None:
    fp.seek(max(0, size - PDF_TAIL_BYTES))
    if b"%%EOF" not in fp.read():
        raise damaged(name)
    fp.seek(0)
    if acts_by_itself(fp.read()):
        raise rejected(
            _(
                "“%(name)s” is a PDF with scripts, actions or attached files in it, so we cannot accept "
                "it. Please send a plain PDF, for example by printing it to PDF again."
            ),
            name,
        )


def pdf_name(name: str) -> bytes:
    # Any character of a name may be written as #xx, in either case: /J#61vaScript is /JavaScript.
    def character(ch: str) -> str:
        digits = "".join(f"[{d}{d.upper()}]" if d.isalpha() else d for d in f"{ord(ch):02x}")
        return f"(?:{ch}|#{digits})"

    # The name ends at whitespace, a delimiter or the end of the file: /AAPL is not /AA.
    return ("/" + "".join(map(character, name)) + r"(?![^\x00\t\n\x0c\r ()<>\[\]{}/%])").encode()


# What makes a PDF act by itself, which receipts never need: scripts (refused anywhere, not only under
# /OpenAction: a page's /AA or the document's /Names tree runs them on opening too), launching a program,
# attached files. The limit: only the raw bytes are searched, so a name inside a compressed object stream
# (PDF 1.5 and later) is not seen; finding it would take inflating every stream, that is parsing the PDF.


# What makes a PDF act by itself, which receipts never need: scripts (refused anywhere, not only under
# /OpenAction: a page's /AA or the document's /Names tree runs them on opening too), launching a program,
# attached files. The limit: only the raw bytes are searched, so a name inside a compressed object stream
# (PDF 1.5 and later) is not seen; finding it would take inflating every stream, that is parsing the PDF.
PDF_ACTIVE = re.compile(b"|".join(map(pdf_name, ["JavaScript", "Launch", "EmbeddedFile", "EmbeddedFiles"])))
# Two-letter names turn up by chance in compressed data, so they are looked for outside the streams.
PDF_ACTIVE_SHORT = re.compile(b"|".join(map(pdf_name, ["JS", "AA"])))
PDF_STREAM = re.compile(rb">>\s*stream\r?\n")


def acts_by_itself(pdf: bytes) -> bool:
    return bool(PDF_ACTIVE.search(pdf) or PDF_ACTIVE_SHORT.search(outside_streams(pdf)))


def outside_streams(pdf: bytes) -> bytes:
    # A loop rather than one pattern, so that a file of unterminated streams still takes linear time.
    pieces, position = [], 0
    while stream := PDF_STREAM.search(pdf, position):
        pieces.append(pdf[position : stream.start()])
        end = pdf.find(b"endstream", stream.end())
        position = len(pdf) if end < 0 else end + len(b"endstream")
    return b" ".join([*pieces, pdf[position:]])


def damaged(name: str) -> EvidenceRejected:
    return rejected(_("“%(name)s” seems to be damaged or incomplete. Please try uploading it again."), name)


def extra_data(name: str) -> EvidenceRejected:
    return rejected(
        _("“%(name)s” has extra data after the end of the picture, so we cannot accept it."), name
    )


def hidden_file(name: str) -> EvidenceRejected:
    return rejected(_("“%(name)s” has another file hidden inside it, so we cannot accept it."), name)


def too_many_pixels(name: str, limit: int | None = None) -> EvidenceRejected:
    # Pillow's own threshold applies too (its warning is an error here), whatever the setting says;
    # `limit` is what the decoding budget allows for a picture of this kind.
    limits = [settings.EVIDENCE_MAX_PIXELS, Image.MAX_IMAGE_PIXELS or settings.EVIDENCE_MAX_PIXELS]
    return rejected(
        _("“%(name)s” has more pixels than we can process (at most %(limit)s megapixels)."),
        name,
        limit=max(1, min(limits + ([limit] if limit else [])) // 1_000_000),
    )


def check_pixels(size: tuple[int, int], name: str) -> None:
    if size[0] * size[1] > settings.EVIDENCE_MAX_PIXELS:
        raise too_many_pixels(name)
