"""The copies residents and staff see: re-encoded JPEGs without any metadata (no GPS), made within a fixed
memory budget. The header says what decoding would hold; a file that needs more than
EVIDENCE_DECODE_BUDGET_MB is refused before any pixel is read, and no full-size copy is ever made.
"""

from __future__ import annotations

import io
import logging
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import BinaryIO

import pillow_heif
from django.conf import settings
from PIL import ExifTags, Image

from .evidence_checks import (
    HEIC,
    JPEG,
    WEBP,
    EvidenceRejected,
    JpegFrame,
    Kind,
    check_pixels,
    damaged,
    jpeg_frame,
    too_many_pixels,
)

logger = logging.getLogger(__name__)

# Registers Pillow's "HEIF" format: iPhones save photos as HEIC by default.
pillow_heif.register_heif_opener()

DISPLAY_EDGE = 1600
THUMBNAIL_EDGE = 320
JPEG_QUALITY = 85
MB = 1024 * 1024

# --- What decoding holds (bench/evidence_memory.py measures it) ---------------------------------------
# Bytes Pillow keeps per pixel: one for 8-bit single-band modes, two for 16-bit grey, four for the rest
# (RGB takes four too).
PIXEL_BYTES = {"1": 1, "L": 1, "P": 1, "I;16": 2}
# Pillow decodes WebP through libwebp's animation decoder, which keeps the canvas and a copy of it for the
# next frame, and hands Python a third copy, from which Pillow makes its image: 16 bytes a pixel at the
# peak, 12 held after it (the decoder lives as long as the image).
WEBP_PEAK_BYTES, WEBP_HELD_BYTES = 16, 12
# libheif's own planes and colour conversion, on top of the 8-bit picture it hands over, per pixel and by
# chroma subsampling; more than 8 bits a sample takes 2.5 times as much, an alpha plane one byte more.
HEIF_PIXEL_BYTES = {"L": 1, "LA": 2, "RGB": 3, "RGBA": 4}
HEIF_DECODER_BYTES = {420: 2.25, 422: 4.5, 444: 6.75}
HEIF_DEEP = 2.5
# The reduced copy is made a band of rows at a time: the band, its converted and flattened copies, and
# what the allocator keeps around them.
BAND_BYTES = 4 * MB
BAND_WORK = 4 * BAND_BYTES
# Resizing to the display copy: a scratch image up to twice its size, the copy and its upright copy.
DISPLAY_WORK = 4 * DISPLAY_EDGE * DISPLAY_EDGE * 4

TURNS = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


@dataclass(frozen=True)
class Rendered:
    display: bytes
    thumbnail: bytes
    width: int
    height: int


@dataclass(frozen=True)
class Decoded:
    image: Image.Image  # RGB, on white, reduced to less than twice the display copy's edge
    width: int  # of the original, upright
    height: int
    orientation: int  # EXIF orientation still to apply


def check_budget(needed: int, pixels: int, name: str) -> None:
    budget = settings.EVIDENCE_DECODE_BUDGET_MB * MB
    if needed > budget:
        logger.info("Evidence %r would take %d MB to decode", name, needed // MB)
        raise too_many_pixels(name, limit=pixels * budget // needed)


def reduction(size: tuple[int, int]) -> int:
    # Reducing by a whole factor first leaves less than twice the display copy's edge for the resize.
    return max(1, max(size) // DISPLAY_EDGE)


def decoding_bytes(peak: int, held: int, size: tuple[int, int], *, in_place: bool) -> int:
    """The most memory making the copies takes: inside the decoder (`peak`), while the reduced copy is made
    from what it decoded (`held`, of `size`), or while the display copy is made from that."""
    factor = reduction(size)
    reduced = 0 if in_place and factor == 1 else -(-size[0] // factor) * -(-size[1] // factor) * 4
    return max(peak, held + reduced + BAND_WORK, (reduced or held) + DISPLAY_WORK)


def pillow_bytes(
    kind: Kind, mode: str, size: tuple[int, int], *, in_place: bool, coefficients: int = 0
) -> int:
    pixels = size[0] * size[1]
    if kind is WEBP:
        peak, held = pixels * WEBP_PEAK_BYTES, pixels * WEBP_HELD_BYTES
    else:
        held = pixels * PIXEL_BYTES.get(mode, 4)
        peak = held + coefficients
    return decoding_bytes(peak, held, size, in_place=in_place)


def coefficient_bytes(size: tuple[int, int], frame: JpegFrame) -> int:
    # A progressive JPEG, or one whose first scan leaves components out, cannot be decoded in one pass:
    # libjpeg keeps every coefficient of the whole picture (two bytes each), whatever scale draft() set.
    if not frame.progressive and frame.first_scan_components >= len(frame.sampling):
        return 0
    h_max = max(h for h, _ in frame.sampling)
    v_max = max(v for _, v in frame.sampling)
    return sum(
        -(-size[0] * h // (h_max * 8)) * -(-size[1] * v // (v_max * 8)) * 128 for h, v in frame.sampling
    )


def heif_bytes(size: tuple[int, int], mode: str, *, chroma: int, bit_depth: int, has_alpha: bool) -> int:
    pixels = size[0] * size[1]
    decoder = HEIF_DECODER_BYTES.get(chroma, max(HEIF_DECODER_BYTES.values())) + (1 if has_alpha else 0)
    decoder *= HEIF_DEEP if bit_depth > 8 else 1
    held = pixels * HEIF_PIXEL_BYTES.get(mode, 4)
    return decoding_bytes(held + int(pixels * decoder), held, size, in_place=False)


def render(fp: BinaryIO, kind: Kind, name: str) -> Rendered:
    fp.seek(0)
    with decoding_errors(name):
        decoded = decode_heif(fp, name) if kind is HEIC else decode(fp, kind, name)
        return derived_copies(decoded)


def inspect(fp: BinaryIO, kind: Kind, name: str) -> tuple[int, int]:
    """Everything render checks before it reads a pixel (the header, the number of pixels, the memory
    decoding would take), without decoding: the upright width and height. For a file whose copies are
    made later, in the worker, where a picture damaged past its header is found."""
    fp.seek(0)
    with decoding_errors(name):
        if kind is HEIC:
            return heif_header(fp, name).size
        with checked_image(fp, kind, name) as (img, full_size):
            orientation = header_orientation(img)
    width, height = full_size
    return (height, width) if orientation >= 5 else (width, height)


@contextmanager
def decoding_errors(name: str) -> Iterator[None]:
    """What a decoder raises, as the resident's message: too many pixels, or a damaged file."""
    try:
        # Local to this block; Pillow's own limit stays as it is for everyone else.
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            yield
    except EvidenceRejected:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise too_many_pixels(name) from None
    except Exception as error:  # a decoder fed hostile bytes can raise nearly anything
        logger.info("Evidence %r did not decode: %r", name, error)
        raise damaged(name) from error


@contextmanager
def checked_image(fp: BinaryIO, kind: Kind, name: str) -> Iterator[tuple[Image.Image, tuple[int, int]]]:
    """The picture opened (its header read, not a pixel) and checked, with its full size; a JPEG set to
    decode at reduced scale."""
    frame = jpeg_frame(fp) if kind is JPEG else None
    if kind is JPEG and frame is None:
        raise damaged(name)
    fp.seek(0)
    with Image.open(fp, formats=[kind.pillow_format]) as img:  # reads the header only
        check_pixels(img.size, name)
        full_size = img.size
        if frame:
            # libjpeg decodes at 1/2..1/8 scale, to no less than the display copy needs: a 48 MP photo
            # then takes about 12 MB of memory instead of 190 MB.
            img.draft("RGB", fitted(img.size, DISPLAY_EDGE))
        coefficients = coefficient_bytes(full_size, frame) if frame else 0
        needed = pillow_bytes(kind, img.mode, img.size, in_place=is_plain(img), coefficients=coefficients)
        check_budget(needed, full_size[0] * full_size[1], name)
        yield img, full_size


def decode(fp: BinaryIO, kind: Kind, name: str) -> Decoded:
    with checked_image(fp, kind, name) as (img, full_size):
        img.load()
        orientation = exif_orientation(img)
        factor = reduction(img.size)
        if is_plain(img) and factor == 1:
            image = img
        else:
            image = reduced_copy(lambda top, bottom: img.crop((0, top, img.width, bottom)), img.size, factor)
    width, height = full_size
    return Decoded(image, *((height, width) if orientation >= 5 else (width, height)), orientation)


def heif_header(fp: BinaryIO, name: str) -> pillow_heif.HeifFile:
    heif = pillow_heif.open_heif(fp, convert_hdr_to_8bit=True, remove_stride=False)  # reads the header only
    check_pixels(heif.size, name)
    info = heif.info
    needed = heif_bytes(
        heif.size,
        heif.mode,
        chroma=info.get("chroma"),
        bit_depth=info.get("bit_depth", 8),
        has_alpha=heif.has_alpha,
    )
    check_budget(needed, heif.size[0] * heif.size[1], name)
    return heif


def decode_heif(fp: BinaryIO, name: str) -> Decoded:
    heif = heif_header(fp, name)
    data, mode, stride = heif.data, heif.mode, heif.stride
    width, height = heif.size

    def band(top: int, bottom: int) -> Image.Image:
        rows = data[top * stride : bottom * stride]
        return Image.frombuffer(mode, (width, bottom - top), rows, "raw", mode, stride, 1)

    # libheif has already turned the picture the way the camera was held.
    return Decoded(reduced_copy(band, heif.size, reduction(heif.size)), width, height, 1)


def reduced_copy(band: Callable[[int, int], Image.Image], size: tuple[int, int], factor: int) -> Image.Image:
    """The picture on white, reduced by `factor`, made a band of rows at a time: never a full-size copy."""
    width, height = size
    reduced = Image.new("RGB", (-(-width // factor), -(-height // factor)))
    rows = max(factor, BAND_BYTES // (4 * width) // factor * factor)
    for top in range(0, height, rows):
        strip = flattened(band(top, min(height, top + rows)))
        reduced.paste(strip.reduce(factor) if factor > 1 else strip, (0, top // factor))
    return reduced


def is_plain(img: Image.Image) -> bool:
    return img.mode == "RGB" and "transparency" not in img.info


def header_orientation(img: Image.Image) -> int:
    """The EXIF orientation if the header carries it, without decoding: Pillow's getexif() decodes a
    PNG whole to look for EXIF after the pixels. The copies, made later, have the final word."""
    exif = Image.Exif()
    if raw := img.info.get("exif"):
        exif.load(raw)
    orientation = exif.get(ExifTags.Base.Orientation, 1)
    return orientation if orientation in TURNS else 1


def exif_orientation(img: Image.Image) -> int:
    orientation = img.getexif().get(ExifTags.Base.Orientation, 1)
    return orientation if orientation in TURNS else 1


def derived_copies(decoded: Decoded) -> Rendered:
    display = shrunk(decoded.image, DISPLAY_EDGE)
    if decoded.orientation in TURNS:
        display = display.transpose(TURNS[decoded.orientation])
    thumbnail = shrunk(display, THUMBNAIL_EDGE)
    return Rendered(
        jpeg_without_metadata(display), jpeg_without_metadata(thumbnail), decoded.width, decoded.height
    )


def fitted(size: tuple[int, int], edge: int) -> tuple[int, int]:
    scale = min(1.0, edge / max(size))
    return max(1, round(size[0] * scale)), max(1, round(size[1] * scale))


def flattened(img: Image.Image) -> Image.Image:
    if img.mode == "I;16":
        # 16-bit grey (0..65535) would clip to white in a plain conversion.
        return img.point(lambda value: value / 256, "L").convert("RGB")
    # Transparent areas would turn black in a JPEG; put them on white, as a browser shows them. Doing it
    # before the reduction gives the same result as after, since both only average.
    if img.mode in ("RGBA", "LA", "PA") or "transparency" in img.info:
        rgba = img.convert("RGBA")
        background = Image.new("RGB", rgba.size, "white")
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return img.convert("RGB")


def shrunk(img: Image.Image, edge: int) -> Image.Image:
    return img.resize(fitted(img.size, edge), Image.Resampling.LANCZOS)


def jpeg_without_metadata(img: Image.Image) -> bytes:
    # info still holds the original's EXIF (with GPS), XMP and comment, and Pillow's JPEG writer falls
    # back to some of it; emptying it means the copy carries pixels only.
    img.info = {}
    out = io.BytesIO()
    img.save(out, format="JPEG", quality=JPEG_QUALITY, optimize=True)
    return out.getvalue()
