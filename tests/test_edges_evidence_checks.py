"""Edges of reports/evidence_checks.py found by mutation testing: which HEIC headers are HEIC, where a ZIP
may hide in a PNG and where its bytes are harmless, Samsung's trailer exactly, PDF names as patterns,
and refusals in the resident's language.
"""

from __future__ import annotations

import random
import re
import struct

import pytest
from django.utils import translation
from PIL import Image

from reports.evidence import store_upload
from reports.evidence_checks import HEIC, EvidenceRejected, kind_from_signature, pdf_name

from . import samples


def ftyp(major: bytes, *compatible: bytes) -> bytes:
    """An ISO media file's first box: size, "ftyp", major brand, minor version, compatible brands."""
    body = b"ftyp" + major + b"\x00\x00\x00\x00" + b"".join(compatible)
    return struct.pack(">I", 4 + len(body)) + body


@pytest.mark.parametrize(
    "head",
    [
        ftyp(b"heic", b"mif1"),  # the major brand alone says HEIC
        ftyp(b"mif1", b"heic"),  # one compatible brand says so
        ftyp(b"mif1", b"miaf", b"heix"),  # the last one
    ],
)
def test_it_takes_a_heic_header_whichever_brand_names_it(head):
    assert kind_from_signature(head + b"\x00\x00\x01\x00meta") is HEIC


@pytest.mark.parametrize(
    "head",
    [
        ftyp(b"avif", b"mif1", b"avif"),  # the same container, a format we do not take
        ftyp(b"avif", b"mif1", b"avif") + b"heic",  # a brand after the box is no brand of it
        ftyp(b"mif1", b"xhei", b"cxxx"),  # brands are four bytes at their own places
    ],
)
def test_it_refuses_a_header_that_names_no_heic_brand(head):
    assert kind_from_signature(head + b"\x00\x00\x01\x00meta") is None


def png_chunks(data: bytes) -> list[bytes]:
    chunks, position = [], len(samples.PNG_SIGNATURE)
    while position < len(data):
        length = struct.unpack(">I", data[position : position + 4])[0]
        chunks.append(data[position : position + 12 + length])
        position += 12 + length
    return chunks


def png_with_chunk_after_header(data: bytes, chunk: bytes) -> bytes:
    header, *rest = png_chunks(data)
    return samples.PNG_SIGNATURE + header + chunk + b"".join(rest)


def test_it_takes_a_palette_picture_whose_colours_spell_a_zip_signature():
    # The palette (a chunk every viewer reads) starts with the bytes "PK\x03\x04"; only the chunks a viewer
    # may skip are searched for a hidden archive, so the comment before it must not make the search run on.
    image = Image.new("P", (40, 30))
    image.putpalette([0x50, 0x4B, 0x03, 0x04, 0x00, 0x00] + [0x80] * 762)
    data = png_with_chunk_after_header(
        samples.encoded(image, "PNG"), samples.png_chunk(b"tEXt", b"Comment\x00hi")
    )
    assert b"PLTEPK\x03\x04" in data

    assert store_upload(samples.upload("plan.png", data)).content_type == "image/png"


@pytest.mark.parametrize("chunk_type", [b"zipP", b"tEXt"])  # a private chunk; a public one, any viewer's
def test_it_finds_an_archive_in_a_skippable_chunk_far_from_the_end(chunk_type):
    # Over 64 KB of pixels after it, so a ZIP reader would not find it by its end record; it is still
    # an archive riding in the picture. Only the first letter's case says a viewer may skip the chunk.
    noise = Image.frombytes("RGB", (200, 200), random.Random(311).randbytes(200 * 200 * 3))
    picture = samples.encoded(noise, "PNG")
    data = png_with_chunk_after_header(picture, samples.png_chunk(chunk_type, samples.zip_bytes()))
    assert len(data) - data.index(chunk_type) > 65_535 + 22

    with pytest.raises(EvidenceRejected, match="another file hidden inside it"):
        store_upload(samples.upload("photo.png", data))


def samsung_directory_only(closing: bytes = b"SEFT") -> bytes:
    # Samsung's trailer with no data block before its directory: the directory starts where the picture ends.
    directory = b"SEFH" + struct.pack("<III", 106, 0, 0)
    return directory + struct.pack("<I", len(directory)) + closing


def test_it_takes_a_samsung_trailer_that_starts_right_after_the_picture():
    data = samples.jpeg_with_camera_trailer(samsung_directory_only())

    assert store_upload(samples.upload("photo.jpg", data)).size == len(data)


def test_it_refuses_a_samsung_trailer_without_its_closing_mark():
    data = samples.jpeg_with_camera_trailer(samsung_directory_only(closing=b"SEFX"))

    with pytest.raises(EvidenceRejected, match="extra data after the end"):
        store_upload(samples.upload("photo.jpg", data))


@pytest.mark.parametrize(
    ("written", "matches"),
    [
        (b"/JavaScript", True),
        (b"/JavaScript/S", True),  # a delimiter ends the name
        (b"/J#61vaScript ", True),
        (b"/#4a#61#76#61#53#63#72#69#70#74", True),  # lower-case hex
        (b"/#4A#61#76#61#53#63#72#69#70#74", True),  # upper-case hex
        (b"/JavaScripts", False),  # a longer name
        (b"JavaScript", False),  # not a name
    ],
)
def test_it_matches_a_pdf_name_however_it_is_written(written, matches):
    assert bool(re.match(pdf_name("JavaScript"), written)) is matches


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (
            samples.truncated_jpeg,
            "“photo.jpg” parece estar dañado o incompleto. Por favor, intente subirlo de nuevo.",
        ),
        (
            lambda: samples.jpeg_with_camera_trailer(b"\x00" * 64),
            "“photo.jpg” tiene datos adicionales después del final de la imagen, así que no podemos "
            "aceptarlo.",
        ),
        (
            lambda: samples.encoded(samples.picture((40, 30)), "JPEG", comment=b"%PDF-1.4"),
            "“photo.jpg” tiene otro archivo escondido dentro, así que no podemos aceptarlo.",
        ),
    ],
)
def test_it_refuses_in_the_residents_language(make, message):
    with translation.override("es"), pytest.raises(EvidenceRejected) as rejected:
        store_upload(samples.upload("photo.jpg", make()))

    assert rejected.value.message == message


def test_it_names_pillows_limit_when_the_setting_allows_more(settings):
    # Pillow refuses above its own threshold (about 89 megapixels) whatever the setting says; the message
    # names the limit that applies.
    settings.EVIDENCE_MAX_PIXELS = 200_000_000
    assert Image.MAX_IMAGE_PIXELS // 1_000_000 == 89

    with pytest.raises(EvidenceRejected) as rejected:
        store_upload(samples.upload("bomb.png", samples.bomb_png(size=(10_000, 10_000))))

    assert "at most 89 megapixels" in rejected.value.message


def test_it_names_the_settings_limit_in_whole_megapixels(settings):
    settings.EVIDENCE_MAX_PIXELS = 2_000_000

    with pytest.raises(EvidenceRejected) as rejected:
        store_upload(samples.upload("scan.png", samples.blank_png((2000, 1001), colour_type=0)))

    assert "(at most 2 megapixels)" in rejected.value.message


ACTS_BY_ITSELF = (
    "“receipt.pdf” is a PDF with scripts, actions or attached files in it, so we cannot accept it. Please "
    "send a plain PDF, for example by printing it to PDF again."
)


def test_it_finds_an_action_between_two_streams():
    # The page's text is the first stream; a link's /AA (run when the pointer enters it) sits in an
    # annotation after it, and a font program, another stream, follows. Only the streams are skipped.
    annotation = b"<< /Type /Annot /Subtype /Link /Rect [0 0 9 9] /AA << /E << /S /URI /URI (x) >> >> >>"
    pdf = samples.pdf_bytes(
        page=b"/Annots [7 0 R] ",
        extra=(samples.stream(b"\x00\x01 compressed"), annotation, samples.stream(b"\x00\x02 font program")),
    )

    with pytest.raises(EvidenceRejected) as rejected:
        store_upload(samples.upload("receipt.pdf", pdf))

    assert rejected.value.message == ACTS_BY_ITSELF


def test_it_finds_a_short_name_that_ends_where_a_stream_begins():
    # The text outside the streams is joined with a space, which ends a name as the ">>" did.
    pdf = samples.pdf_bytes(extra=(b"<< /Length 9 /S /AA>>\nstream\n\x00\x01 data\nendstream",))

    with pytest.raises(EvidenceRejected) as rejected:
        store_upload(samples.upload("receipt.pdf", pdf))

    assert rejected.value.message == ACTS_BY_ITSELF


def test_it_takes_a_pdf_whose_last_stream_never_ends():
    # A stream cut off before its "endstream" runs to the end of the file; the search must not start again.
    pdf = samples.pdf_bytes(extra=(b"<< /Length 99 >>\nstream\n\x00\x01 cut off",))

    assert store_upload(samples.upload("receipt.pdf", pdf)).content_type == "application/pdf"


def test_it_refuses_a_png_that_ends_inside_a_chunk_header():
    data = samples.png_bytes()
    cut = data[: data.rindex(b"IEND") - 4] + b"\x00\x00\x00"  # no IEND: three bytes of a header

    with pytest.raises(EvidenceRejected, match="seems to be damaged or incomplete"):
        store_upload(samples.upload("photo.png", cut))


def test_it_refuses_a_png_cut_off_inside_its_end_chunk():
    cut = samples.png_bytes()[:-2]  # IEND's checksum half gone

    with pytest.raises(EvidenceRejected, match="seems to be damaged or incomplete"):
        store_upload(samples.upload("photo.png", cut))


def test_it_takes_an_animated_pngs_frame_whose_pixels_spell_a_zip_signature():
    # A later frame's data (fdAT) is pixels, as IDAT is: bytes in it that read "PK\x03\x04" are chance.
    frames = [samples.picture((40, 30)), samples.picture((40, 30)).transpose(Image.Transpose.ROTATE_180)]
    data = samples.encoded(frames[0], "PNG", save_all=True, append_images=frames[1:])
    header, *rest = png_chunks(data)
    chunks = [
        samples.png_chunk(b"fdAT", chunk[8:-4] + b"PK\x03\x04") if chunk[4:8] == b"fdAT" else chunk
        for chunk in rest
    ]
    assert any(chunk[4:8] == b"fdAT" and b"PK\x03\x04" in chunk for chunk in chunks)

    stored = store_upload(samples.upload("photo.png", samples.PNG_SIGNATURE + header + b"".join(chunks)))

    assert stored.content_type == "image/png"
