"""Edges of reports/evidence_copies.py found by mutation testing: what each trait of a HEIC (4:4:4 chroma,
an alpha plane, more than 8 bits) adds to the memory its decoding takes, the limit a refusal names, a
tall HEIC's copies put together band by band the right way up, the grey levels of a 16-bit PNG, a
bilevel scan reduced, and the transparent parts of a PNG (an alpha channel, a palette entry, a colour
key) put on white as a browser shows them.
"""

from __future__ import annotations

import io

import pillow_heif
import pytest
from PIL import Image

from reports.evidence import evidence_storage, store_upload
from reports.evidence_checks import EvidenceRejected
from reports.evidence_copies import MB, heif_bytes

from . import samples


def deep_heic(size: tuple[int, int]) -> bytes:
    """A 10-bit HEIC, as an iPhone's HDR photo is: one flat colour, 40000 of 65535 in each channel."""
    pixels = (40000).to_bytes(2, "little") * 3 * size[0] * size[1]
    out = io.BytesIO()
    pillow_heif.from_bytes(mode="RGB;16", size=size, data=pixels).save(
        out, quality=10, enc_params={"preset": "ultrafast"}
    )
    return out.getvalue()


SIDE, BUDGET_MB = 3200, 67
PLAIN = {"mode": "RGB", "chroma": 420, "bit_depth": 8, "has_alpha": False}


@pytest.mark.parametrize(
    "trait, make",
    [
        ({"chroma": 444}, lambda size: samples.flat_heic(size, chroma=444)),
        ({"mode": "RGBA", "has_alpha": True}, lambda size: samples.flat_heic(size, mode="RGBA")),
        ({"bit_depth": 10}, deep_heic),
    ],
    ids=["chroma-444", "alpha", "10-bit"],
)
def test_it_counts_what_each_trait_of_a_heic_adds_to_its_decoding(settings, trait, make):
    settings.EVIDENCE_DECODE_BUDGET_MB = BUDGET_MB
    size = (SIDE, SIDE)
    # The budget sits between the plain picture's cost and the same picture's with the trait.
    assert heif_bytes(size, **PLAIN) < BUDGET_MB * MB < heif_bytes(size, **{**PLAIN, **trait})
    assert store_upload(samples.upload("plain.heic", samples.flat_heic(size)), copies=False).width == SIDE

    with pytest.raises(EvidenceRejected) as refused:
        store_upload(samples.upload("IMG_0042.HEIC", make(size)), copies=False)

    assert refused.value.message.startswith("“IMG_0042.HEIC” has more pixels than we can process")


def test_it_names_the_megapixels_a_heic_of_that_shape_could_have_had(settings):
    settings.EVIDENCE_DECODE_BUDGET_MB = 96
    # 12 MP at 4:4:4 would take 117 MB (9.75 bytes a pixel at the decoder's peak); 96 MiB fits 10.3 MP.
    assert heif_bytes((4000, 3000), "RGB", chroma=444, bit_depth=8, has_alpha=False) == 117_000_000

    with pytest.raises(EvidenceRejected) as refused:
        store_upload(
            samples.upload("IMG_0042.HEIC", samples.flat_heic((4000, 3000), chroma=444)), copies=False
        )

    assert "(at most 10 megapixels)" in refused.value.message


def test_it_names_the_heic_that_has_too_many_pixels(settings):
    settings.EVIDENCE_MAX_PIXELS = 10_000

    with pytest.raises(EvidenceRejected) as refused:
        store_upload(samples.upload("IMG_0042.HEIC", samples.flat_heic((200, 200))), copies=False)

    assert refused.value.message.startswith("“IMG_0042.HEIC” has more pixels than we can process")
    assert refused.value.filename == "IMG_0042.HEIC"


def quarters(size: tuple[int, int]) -> Image.Image:
    """Red top left, blue top right, green bottom left, white bottom right."""
    width, height = size
    img = Image.new("RGB", size, "white")
    img.paste((255, 0, 0), (0, 0, width // 2, height // 2))
    img.paste((0, 0, 255), (width // 2, 0, width, height // 2))
    img.paste((0, 255, 0), (0, height // 2, width // 2, height))
    return img


def display_copy(stored_name: str) -> Image.Image:
    with evidence_storage().open(stored_name, "rb") as stored:
        return Image.open(io.BytesIO(stored.read())).convert("RGB")


def near(colour: tuple[int, ...], expected: tuple[int, int, int]) -> bool:
    return all(abs(a - b) <= 40 for a, b in zip(colour, expected, strict=True))


def test_it_puts_a_tall_heics_copy_together_band_by_band_the_right_way_up():
    # 1000 pixels wide: 4 MB bands of 1048 rows, so 2200 rows are decoded in three bands.
    data = samples.encoded(quarters((1000, 2200)), "HEIF", quality=60, enc_params={"preset": "ultrafast"})

    stored = store_upload(samples.upload("IMG_0042.HEIC", data))

    assert (stored.width, stored.height) == (1000, 2200)
    copy = display_copy(stored.derived)
    width, height = copy.size
    assert (width, height) == (727, 1600)
    assert near(copy.getpixel((width // 4, height // 4)), (255, 0, 0))
    assert near(copy.getpixel((3 * width // 4, height // 4)), (0, 0, 255))
    assert near(copy.getpixel((width // 4, 3 * height // 4)), (0, 255, 0))
    assert near(copy.getpixel((3 * width // 4, 3 * height // 4)), (255, 255, 255))


def test_it_makes_8_bit_copies_of_a_10_bit_heic():
    stored = store_upload(samples.upload("IMG_0042.HEIC", deep_heic((400, 300))))

    copy = display_copy(stored.derived)
    assert copy.size == (400, 300)
    assert near(copy.getpixel((200, 150)), (156, 156, 156))  # 40000 / 65535 of 255


def png(img: Image.Image) -> bytes:
    return samples.encoded(img, "PNG")


def test_it_keeps_a_16_bit_grey_pngs_level():
    # 51200 of 65535 is 200 of 255; a flat grey comes back from the JPEG copy exactly.
    stored = store_upload(samples.upload("scan.png", png(Image.new("I;16", (400, 300), 51200))))

    assert display_copy(stored.derived).getpixel((200, 150)) == (200, 200, 200)


def half_transparent(mode: str) -> bytes:
    """Black, the left half opaque and the right half transparent: by its alpha, by a palette entry marked
    transparent, or (RGB) by a colour key, one colour that is transparent."""
    if mode == "LA":
        picture = Image.new("LA", (400, 300), (0, 0))
        picture.paste((0, 255), (0, 0, 200, 300))
        return png(picture)
    if mode == "P":
        picture = Image.new("P", (400, 300), 1)
        picture.putpalette([0, 0, 0, 0, 0, 0])  # two black entries, the second transparent
        picture.paste(0, (0, 0, 200, 300))
        return samples.encoded(picture, "PNG", transparency=1)
    picture = Image.new("RGB", (400, 300), (0, 0, 1))
    picture.paste((0, 0, 0), (0, 0, 200, 300))
    return samples.encoded(picture, "PNG", transparency=(0, 0, 1))


@pytest.mark.parametrize("mode", ["LA", "P", "RGB"])
def test_it_puts_the_transparent_part_of_a_png_on_white(mode):
    stored = store_upload(samples.upload("plan.png", half_transparent(mode)))

    copy = display_copy(stored.derived)
    assert near(copy.getpixel((100, 150)), (0, 0, 0))
    assert near(copy.getpixel((300, 150)), (255, 255, 255))


def test_it_reduces_a_bilevel_scan_wider_than_twice_the_display_copy():
    # 1-bit pixels are made RGB before the reduction, which has no 1-bit mode.
    stored = store_upload(
        samples.upload("scan.png", samples.blank_png((3300, 100), bit_depth=1, colour_type=0))
    )

    copy = display_copy(stored.derived)
    assert copy.size == (1600, 48)
    assert near(copy.getpixel((800, 24)), (0, 0, 0))


@pytest.mark.parametrize(
    "mode, chroma, bit_depth, has_alpha, expected",
    [
        # 16 MP: at the decoder's peak, the 8-bit picture it hands over and its own planes, per pixel.
        ("RGB", 420, 8, False, 16_000_000 * (3 + 2.25)),
        ("RGB", 444, 8, False, 16_000_000 * (3 + 6.75)),
        ("RGBA", 420, 8, True, 16_000_000 * (4 + 2.25 + 1)),
        ("RGB", 420, 10, False, 16_000_000 * (3 + 2.25 * 2.5)),
        ("RGBA", 444, 12, True, 16_000_000 * (4 + (6.75 + 1) * 2.5)),
        ("L", 400, 8, False, 16_000_000 * (1 + 6.75)),  # a chroma it has no figure for: the most
    ],
)
def test_it_counts_a_heics_decoding_bytes_by_its_traits(mode, chroma, bit_depth, has_alpha, expected):
    cost = heif_bytes((4000, 4000), mode, chroma=chroma, bit_depth=bit_depth, has_alpha=has_alpha)
    assert cost == expected


def test_it_counts_the_copy_a_heic_too_small_to_reduce_is_turned_into():
    # libheif's picture is never the copy: an RGB copy of it (4 bytes a pixel) is made, then the display
    # copy's scratch space (DISPLAY_WORK), which is the most here.
    cost = heif_bytes((1600, 1600), "RGB", chroma=420, bit_depth=8, has_alpha=False)
    assert cost == 1600 * 1600 * 4 + 4 * 1600 * 1600 * 4
