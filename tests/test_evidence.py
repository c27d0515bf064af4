from __future__ import annotations

import hashlib
import io
import warnings
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.files.storage import FileSystemStorage
from django.core.files.uploadedfile import TemporaryUploadedFile
from PIL import Image

from reports.evidence import (
    StorageUnavailable,
    StoredUpload,
    check_file_count,
    discard,
    sha256_of_stored,
    store_upload,
)
from reports.evidence_checks import EvidenceRejected, acts_by_itself
from reports.evidence_copies import flattened, reduced_copy
from tests import samples


class FailingStorage(FileSystemStorage):
    """Fails to write thumbnails, as a full disk would halfway through an upload."""

    def _save(self, name, content):
        if name.startswith("thumbs/"):
            raise OSError("No space left on device")
        return super()._save(name, content)


def use_evidence_storage(settings, location: Path, backend: str | None = None) -> Path:
    evidence = {**settings.STORAGES["evidence"]}
    evidence["OPTIONS"] = {**evidence.get("OPTIONS", {}), "location": str(location)}
    if backend:
        evidence["BACKEND"] = backend
    settings.STORAGES = {**settings.STORAGES, "evidence": evidence}
    return location


@pytest.fixture
def evidence_dir(settings, tmp_path) -> Path:
    return use_evidence_storage(settings, tmp_path / "evidence")


def stored_files(root: Path) -> list[Path]:
    return sorted(path for path in root.rglob("*") if path.is_file())


def read(root: Path, name: str) -> bytes:
    return (root / name).read_bytes()


def open_image(root: Path, name: str) -> Image.Image:
    return Image.open(io.BytesIO(read(root, name)))


def mean_difference(one: Image.Image, other: Image.Image) -> float:
    differences = [abs(a - b) for a, b in zip(one.tobytes(), other.convert(one.mode).tobytes(), strict=True)]
    return sum(differences) / len(differences)


def temporary_upload(name: str, data: bytes) -> TemporaryUploadedFile:
    upload = TemporaryUploadedFile(name, "image/jpeg", len(data), None)
    upload.write(data)
    upload.seek(0)
    return upload


ACCEPTED = [
    ("photo.jpg", samples.jpeg_bytes, "image/jpeg", ".jpg"),
    ("screenshot.png", samples.png_bytes, "image/png", ".png"),
    ("photo.webp", samples.webp_bytes, "image/webp", ".webp"),
    ("IMG_0042.HEIC", samples.heic_bytes, "image/heic", ".heic"),
    ("receipt.pdf", samples.pdf_bytes, "application/pdf", ".pdf"),
]


@pytest.mark.parametrize(("name", "make", "content_type", "extension"), ACCEPTED)
def test_it_stores_each_accepted_type_unchanged(evidence_dir, name, make, content_type, extension):
    data = make()
    stored = store_upload(samples.upload(name, data))

    assert read(evidence_dir, stored.original) == data
    assert stored.sha256 == hashlib.sha256(data).hexdigest()
    assert stored.size == len(data)
    assert stored.content_type == content_type
    assert stored.original_name == name
    assert stored.original.startswith("originals/") and stored.original.endswith(extension)


@pytest.mark.parametrize(("name", "make", "content_type", "extension"), ACCEPTED[:4])
def test_it_makes_display_and_thumbnail_copies_of_photos(evidence_dir, name, make, content_type, extension):
    stored = store_upload(samples.upload(name, make()))

    assert stored.derived.startswith("derived/") and stored.derived.endswith(".jpg")
    assert stored.thumbnail.startswith("thumbs/") and stored.thumbnail.endswith(".jpg")
    for copy in (stored.derived, stored.thumbnail):
        with open_image(evidence_dir, copy) as img:
            assert img.format == "JPEG" and img.mode == "RGB"
    assert (stored.width, stored.height) == ((800, 600) if name.endswith(".jpg") else (400, 300))


def test_it_makes_no_copies_of_a_pdf(evidence_dir):
    stored = store_upload(samples.upload("receipt.pdf", samples.pdf_bytes()))

    assert (stored.derived, stored.thumbnail, stored.width, stored.height) == ("", "", None, None)
    assert len(stored_files(evidence_dir)) == 1


def test_it_strips_gps_and_all_other_metadata_from_the_copies(evidence_dir):
    data = samples.jpeg_bytes(gps=True)
    with Image.open(io.BytesIO(data)) as original:
        assert original.getexif().get_ifd(samples.GPS_IFD)  # the sample really has a location

    stored = store_upload(samples.upload("photo.jpg", data))

    for copy in (stored.derived, stored.thumbnail):
        with open_image(evidence_dir, copy) as img:
            assert len(img.getexif()) == 0
            assert samples.GPS_IFD not in img.getexif()
            assert not {"exif", "xmp", "comment", "icc_profile"} & img.info.keys()
            assert [marker for marker, _ in img.applist] == ["APP0"]  # JFIF only


def test_it_bounds_the_display_copy_and_the_thumbnail(evidence_dir):
    stored = store_upload(samples.upload("big.jpg", samples.jpeg_bytes(size=(4000, 3000))))

    assert (stored.width, stored.height) == (4000, 3000)
    with open_image(evidence_dir, stored.derived) as display:
        assert display.size == (1600, 1200)
    with open_image(evidence_dir, stored.thumbnail) as thumbnail:
        assert thumbnail.size == (320, 240)


def test_it_turns_the_copies_the_way_the_camera_was_held(evidence_dir):
    # Orientation 6: the sensor's 800 × 600 picture is shown turned a quarter, 600 wide and 800 tall.
    stored = store_upload(samples.upload("portrait.jpg", samples.jpeg_bytes(orientation=6)))

    assert (stored.width, stored.height) == (600, 800)
    with open_image(evidence_dir, stored.derived) as display:
        assert display.size == (600, 800)


@pytest.mark.parametrize(("name", "format"), [("portrait.png", "PNG"), ("portrait.webp", "WEBP")])
def test_it_turns_other_formats_the_way_the_camera_was_held_too(evidence_dir, name, format):
    exif = Image.Exif()
    exif[samples.ORIENTATION] = 6
    data = samples.encoded(samples.picture((800, 600)).convert("RGBA"), format, exif=exif, lossless=True)

    stored = store_upload(samples.upload(name, data))

    assert (stored.width, stored.height) == (600, 800)
    expected = samples.picture((800, 600)).transpose(Image.Transpose.ROTATE_270)
    with open_image(evidence_dir, stored.derived) as display:
        assert display.size == (600, 800)
        assert mean_difference(display, expected) < 3  # turned the right way, not the other


def test_it_puts_transparent_pictures_on_white(evidence_dir):
    stored = store_upload(samples.upload("cut-out.png", samples.png_bytes(mode="RGBA")))

    with open_image(evidence_dir, stored.derived) as display:
        assert display.mode == "RGB"
        assert min(display.getpixel((0, 0))) > 200  # fully transparent there: white, not black


def test_it_reads_large_uploads_from_their_temporary_file_and_leaves_it(evidence_dir):
    data = samples.jpeg_bytes()
    upload = temporary_upload("photo.jpg", data)

    stored = store_upload(upload)

    assert read(evidence_dir, stored.original) == data
    assert Path(upload.temporary_file_path()).read_bytes() == data
    upload.close()


def test_it_goes_by_the_content_not_the_name_or_the_browser(evidence_dir):
    stored = store_upload(samples.upload("photo.jpg", samples.png_bytes(), content_type="image/jpeg"))

    assert stored.content_type == "image/png"
    assert stored.original.endswith(".png")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("C:\\fakepath\\photo.jpg", "photo.jpg"),
        ("../../etc/passwd.png", "passwd.png"),
        ("invoice\u202egpj.exe.png", "invoicegpj.exe.png"),
        ("  ", "upload"),
        ("x" * 300 + ".png", "x" * 196 + ".png"),
    ],
)
def test_it_keeps_a_plain_short_original_name(evidence_dir, raw, expected):
    upload = samples.upload("placeholder.png", samples.png_bytes())
    upload.name = raw  # set after, as Django's own name setter would already drop the path

    assert store_upload(upload).original_name == expected


def test_it_gives_every_upload_its_own_random_name(evidence_dir):
    first = store_upload(samples.upload("photo.jpg", samples.jpeg_bytes()))
    second = store_upload(samples.upload("photo.jpg", samples.jpeg_bytes()))

    assert first.original != second.original
    assert "photo" not in first.original


def png_with_junk_after_iend() -> bytes:
    return samples.png_bytes() + b"PK\x03\x04 a zip file could start here"


def markup_across_chunks() -> bytes:
    # Django reads uploads in 64 KB chunks; the tag starts in one and ends in the next.
    head = samples.png_bytes()
    padding = b"\x00" * (64 * 1024 - len(head) - 4)
    return head + padding + b"<scr" + b"ipt>alert(1)</script>"


def pdf_without_end() -> bytes:
    return samples.pdf_bytes().replace(b"%%EOF", b"")


ACTIVE_PDF = "scripts, actions or attached files"
REJECTED = [
    ("notes.jpg", samples.text_as_jpg, "is not a photo or a PDF"),
    ("drawing.svg", samples.svg_bytes, "is not a photo or a PDF"),
    ("drawing.jpg", samples.svg_bytes, "is not a photo or a PDF"),
    ("animation.gif", samples.gif_bytes, "is not a photo or a PDF"),
    ("page.jpg", lambda: b"<!DOCTYPE html><html><body>hi</body></html>", "is not a photo or a PDF"),
    ("photo.png", samples.png_with_html, "web page code"),
    ("photo.png", markup_across_chunks, "web page code"),
    ("photo.png", png_with_junk_after_iend, "extra data after the end"),
    ("bomb.png", samples.bomb_png, "more pixels than we can process"),
    ("photo.jpg", samples.jpeg_with_php, "web page code"),
    ("photo.jpg", samples.jpeg_with_short_php_tag, "web page code"),
    ("photo.jpg", samples.jpeg_with_zip, "extra data after the end"),
    ("photo.jpg", lambda: samples.jpeg_with_camera_trailer(b"\x00" * 64), "extra data after the end"),
    ("photo.png", samples.png_with_zip_chunk, "another file hidden inside it"),
    ("photo.jpg", samples.jpeg_with_zip_as_camera_trailer, "another file hidden inside it"),
    ("photo.jpg", lambda: samples.encoded(samples.picture((40, 30)), "JPEG", comment=b"%PDF-1.4"), "hidden"),
    ("receipt.pdf", samples.pdf_with_script, ACTIVE_PDF),
    ("receipt.pdf", lambda: samples.pdf_with_script(b"/J#61vaScript", b"/J#53"), ACTIVE_PDF),
    ("receipt.pdf", samples.pdf_with_launch, ACTIVE_PDF),
    ("receipt.pdf", samples.pdf_with_attachment, ACTIVE_PDF),
    ("receipt.pdf", samples.pdf_with_page_action, ACTIVE_PDF),
    ("receipt.pdf", lambda: samples.pdf_bytes() + samples.zip_bytes() + b"%%EOF\n", "hidden"),
    ("photo.jpg", samples.truncated_jpeg, "damaged or incomplete"),
    ("photo.png", samples.truncated_png, "damaged or incomplete"),
    ("photo.png", samples.png_missing_data, "damaged or incomplete"),
    ("receipt.pdf", pdf_without_end, "damaged or incomplete"),
    ("empty.jpg", lambda: b"", "is empty"),
]


@pytest.mark.parametrize(("name", "make", "fragment"), REJECTED)
def test_it_rejects_what_it_cannot_take_and_keeps_nothing(evidence_dir, name, make, fragment):
    with pytest.raises(EvidenceRejected) as rejected:
        store_upload(samples.upload(name, make()))

    assert f"“{name}”" in rejected.value.message
    assert fragment in rejected.value.message
    assert rejected.value.filename == name
    assert stored_files(evidence_dir) == []


def test_it_rejects_a_file_over_the_size_limit(settings, evidence_dir):
    settings.EVIDENCE_MAX_BYTES = 50_000
    data = samples.big_jpeg_bytes(100_000)

    with pytest.raises(EvidenceRejected) as rejected:
        store_upload(samples.upload("huge.jpg", data))

    assert "“huge.jpg” is larger than 0.05 MB" in rejected.value.message
    assert stored_files(evidence_dir) == []


def test_it_refuses_more_pixels_than_the_setting_before_decoding(settings, evidence_dir):
    settings.EVIDENCE_MAX_PIXELS = 1_000_000

    with pytest.raises(EvidenceRejected) as rejected:
        store_upload(samples.upload("wide.png", samples.png_bytes(size=(1200, 1000))))

    assert "at most 1 megapixels" in rejected.value.message
    assert stored_files(evidence_dir) == []


def test_it_treats_pillows_bomb_warning_as_a_rejection_without_leaking_it(settings, evidence_dir):
    # 100 million pixels: above Pillow's warning threshold but below its hard error, and within a
    # (generous) setting, so only the local warnings filter stands in the way.
    settings.EVIDENCE_MAX_PIXELS = 150_000_000
    limit_before = Image.MAX_IMAGE_PIXELS

    with pytest.raises(EvidenceRejected, match="more pixels than we can process"):
        store_upload(samples.upload("bomb.png", samples.bomb_png(size=(10_000, 10_000))))

    assert Image.MAX_IMAGE_PIXELS == limit_before
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("default")
        warnings.warn("still a warning", Image.DecompressionBombWarning, stacklevel=1)
    assert len(caught) == 1


def test_it_leaves_nothing_behind_when_storage_fails_halfway(settings, tmp_path):
    root = use_evidence_storage(settings, tmp_path / "evidence", "tests.test_evidence.FailingStorage")

    with pytest.raises(StorageUnavailable, match="No space left"):
        store_upload(samples.upload("photo.jpg", samples.jpeg_bytes()))

    assert stored_files(root) == []


def test_it_allows_up_to_the_file_limit(settings):
    settings.EVIDENCE_MAX_FILES = 3

    check_file_count(3)


def test_it_refuses_too_many_files(settings):
    settings.EVIDENCE_MAX_FILES = 3

    with pytest.raises(ValidationError) as error:
        check_file_count(4)

    assert error.value.messages == ["You can attach at most 3 files to one report."]
    assert error.value.code == "too_many_files"


def test_it_discards_stored_files(evidence_dir):
    stored = [
        store_upload(samples.upload("photo.jpg", samples.jpeg_bytes())),
        store_upload(samples.upload("receipt.pdf", samples.pdf_bytes())),
    ]
    assert len(stored_files(evidence_dir)) == 4

    discard(stored)

    assert stored_files(evidence_dir) == []


def test_it_discards_quietly_what_is_already_gone(evidence_dir):
    gone = StoredUpload(
        original="originals/2025/01/gone.jpg",
        original_name="gone.jpg",
        content_type="image/jpeg",
        size=1,
        sha256="0" * 64,
        derived="",
        thumbnail="",
        width=None,
        height=None,
    )

    discard([gone])


def test_it_recomputes_the_digest_of_a_stored_original(evidence_dir):
    data = samples.big_jpeg_bytes(300_000)
    stored = store_upload(samples.upload("photo.jpg", data))

    assert sha256_of_stored(stored.original) == hashlib.sha256(data).hexdigest() == stored.sha256


def test_it_notices_a_changed_original(evidence_dir):
    stored = store_upload(samples.upload("photo.jpg", samples.jpeg_bytes()))
    with open(evidence_dir / stored.original, "ab") as original:
        original.write(b"\x00")

    assert sha256_of_stored(stored.original) != stored.sha256


@pytest.mark.parametrize(
    "trailer",
    [
        samples.samsung_trailer,
        samples.motion_photo_video,
        samples.second_picture,
    ],
    ids=["samsung", "motion-photo", "second-picture"],
)
def test_it_takes_what_phones_store_after_the_picture(evidence_dir, trailer):
    data = samples.jpeg_with_camera_trailer(trailer())

    stored = store_upload(samples.upload("photo.jpg", data))

    assert read(evidence_dir, stored.original) == data
    assert (stored.width, stored.height) == (800, 600)


@pytest.mark.parametrize(
    ("pdf", "acts"),
    [
        (b"<< /S /J#61vaScript >>", True),
        (b"<</S/#4A#61#76#61#53#63#72#69#70#74>>", True),  # every letter escaped, no spaces
        (b"<< /J#53 (app.alert(1)) >>", True),
        (b"<< /AA << /O 7 0 R >> >>", True),
        (b"<< /AAPL 1 /JSON (x) /JavaScripts 2 >>", False),  # other names that start the same
        (b"<< /Length 9 >>\nstream\n/AA /JS ()\nendstream", False),  # compressed data, by chance
    ],
)
def test_it_reads_pdf_names_however_they_are_written(pdf, acts):
    assert acts_by_itself(pdf) is acts


def test_it_takes_a_pdf_that_only_opens_at_a_page(evidence_dir):
    # /OpenAction alone (open at page 1, fit the width) is what office software writes.
    data = samples.pdf_bytes(catalog=b"/OpenAction [3 0 R /FitH null] ")

    assert store_upload(samples.upload("receipt.pdf", data)).content_type == "application/pdf"


@pytest.mark.parametrize("seed", [1, 2, 7, 8])
def test_it_finds_no_code_in_large_random_photos(evidence_dir, seed):
    # Compressed noise is as close to random bytes as a photo gets: each of these 3 MB has "<?=" by chance.
    data = samples.big_jpeg_bytes(3_000_000, seed=seed)
    assert b"<?=" in data

    assert store_upload(samples.upload("noise.jpg", data)).size == len(data)


def test_it_keeps_16_bit_grey_pictures_grey(evidence_dir):
    grey = Image.linear_gradient("L").resize((400, 300)).convert("I").point(lambda value: value * 257)
    stored = store_upload(samples.upload("scan.png", samples.encoded(grey.convert("I;16"), "PNG")))

    with open_image(evidence_dir, stored.derived) as display:
        assert 100 < display.getpixel((200, 150))[0] < 156  # the middle of the gradient, not clipped to white


@pytest.mark.parametrize("mode", ["RGB", "RGBA", "P", "I;16"])
def test_it_reduces_a_band_of_rows_at_a_time_exactly_as_the_whole_picture(mode):
    picture = samples.picture((1000, 3001))  # 3,001 rows: the last band is short
    if mode == "RGBA":
        picture.putalpha(Image.linear_gradient("L").resize(picture.size))
    if mode == "I;16":
        picture = picture.convert("I").point(lambda value: value * 257)
    picture = picture.convert(mode)

    banded = reduced_copy(lambda top, bottom: picture.crop((0, top, 1000, bottom)), picture.size, 3)

    assert banded.tobytes() == flattened(picture).reduce(3).tobytes()


def test_it_reduces_a_large_png_without_changing_what_it_shows(evidence_dir):
    # Reduced a band of rows at a time, then resized: the copy must match resizing the whole picture.
    picture = samples.picture((4000, 3000))
    stored = store_upload(samples.upload("big.png", samples.encoded(picture, "PNG", compress_level=1)))

    with open_image(evidence_dir, stored.derived) as display:
        assert display.size == (1600, 1200)
        assert mean_difference(display, picture.resize((1600, 1200), Image.Resampling.LANCZOS)) < 3
