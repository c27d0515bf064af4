"""Evidence files made at test time with Pillow, so no binary fixtures live in the repository."""

from __future__ import annotations

import io
import random
import struct
import zipfile
import zlib
from collections.abc import Iterator

import pillow_heif
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image
from PIL.TiffImagePlugin import IFDRational

pillow_heif.register_heif_opener()

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
GPS_IFD = 0x8825
ORIENTATION = 0x0112
# What a phone writes: the place the photo was taken, to the metre.
GPS = {
    1: "N",
    2: (IFDRational(44), IFDRational(58), IFDRational(4012, 100)),
    3: "W",
    4: (IFDRational(93), IFDRational(15), IFDRational(5034, 100)),
}
XMP = (
    b'<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/">'
    b'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"></rdf:RDF></x:xmpmeta>'
    b'<?xpacket end="w"?>'
)


def picture(size: tuple[int, int]) -> Image.Image:
    # Not symmetrical, so a rotation shows; not flat, so the encoders have something to do.
    gradient = Image.linear_gradient("L").resize(size)
    fractal = Image.effect_mandelbrot(size, (-2.0, -1.5, 1.0, 1.5), 64)
    return Image.merge("RGB", (gradient, fractal, gradient.transpose(Image.Transpose.FLIP_LEFT_RIGHT)))


def encoded(img: Image.Image, format: str, **options: object) -> bytes:
    out = io.BytesIO()
    img.save(out, format=format, **options)
    return out.getvalue()


def jpeg_bytes(size: tuple[int, int] = (800, 600), gps: bool = True, orientation: int = 1) -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "Testcam"  # Make
    exif[0x0110] = "Testcam One"  # Model
    if orientation != 1:
        exif[ORIENTATION] = orientation
    if gps:
        exif[GPS_IFD] = GPS
    return encoded(picture(size), "JPEG", quality=90, exif=exif, xmp=XMP, comment=b"1234 Elm Street")


def png_bytes(size: tuple[int, int] = (400, 300), mode: str = "RGB") -> bytes:
    img = picture(size)
    if mode == "RGBA":
        img.putalpha(Image.linear_gradient("L").resize(size))
    return encoded(img.convert(mode), "PNG")


def webp_bytes(size: tuple[int, int] = (400, 300)) -> bytes:
    return encoded(picture(size), "WEBP", quality=80)


def heic_bytes(size: tuple[int, int] = (400, 300)) -> bytes:
    return encoded(picture(size), "HEIF", quality=80)


def pdf_bytes(catalog: bytes = b"", page: bytes = b"", extra: tuple[bytes, ...] = ()) -> bytes:
    """A one-page receipt; `catalog` and `page` add entries to those dictionaries, `extra` objects 6, 7..."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R %s>>" % catalog,
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> %s>>" % page,
        stream(b"BT /F1 24 Tf 72 700 Td (Receipt: bicycle, $450) Tj ET"),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        *extra,
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def stream(data: bytes) -> bytes:
    return b"<< /Length %d >>\nstream\n%s\nendstream" % (len(data), data)


def png_with_html() -> bytes:
    return png_bytes() + b"<html><body><script>alert(document.cookie)</script></body></html>"


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def bomb_png(size: tuple[int, int] = (20_000, 20_000), colour_type: int = 0) -> bytes:
    # 400 million pixels declared in a file of a few hundred bytes; only 16 rows of them are there.
    header = struct.pack(">IIBBBBB", *size, 8, colour_type, 0, 0, 0)  # 8-bit greyscale by default
    pixels = zlib.compress(b"\x00" * (size[0] + 1) * 16, 9)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", header)
        + png_chunk(b"IDAT", pixels)
        + png_chunk(b"IEND", b"")
    )


def bomb_webp(size: tuple[int, int] = (8000, 8000)) -> bytes:
    # A 16 × 16 lossless WebP whose header is made to declare `size`: opens, and would fail to decode.
    data = encoded(Image.new("RGB", (16, 16), "white"), "WEBP", lossless=True)
    bits = struct.unpack("<I", data[21:25])[0] & ~0x0FFF_FFFF | (size[0] - 1) | (size[1] - 1) << 14
    return data[:21] + struct.pack("<I", bits) + data[25:]


def truncated_jpeg() -> bytes:
    data = jpeg_bytes(gps=False)
    return data[: len(data) // 2]


def truncated_png() -> bytes:
    data = png_bytes()
    return data[: len(data) // 2]


def png_missing_data(size: tuple[int, int] = (400, 300)) -> bytes:
    # Ends properly with IEND, so only decoding finds that half the compressed pixels are missing.
    raw = picture(size).tobytes()
    stride = size[0] * 3
    rows = b"".join(b"\x00" + raw[y * stride : (y + 1) * stride] for y in range(size[1]))
    pixels = zlib.compress(rows)
    header = struct.pack(">IIBBBBB", *size, 8, 2, 0, 0, 0)  # 8-bit RGB
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", header)
        + png_chunk(b"IDAT", pixels[: len(pixels) // 2])
        + png_chunk(b"IEND", b"")
    )


def svg_bytes() -> bytes:
    return (
        b'<?xml version="1.0" encoding="UTF-8"?>\n'
        b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
        b"<script>alert(document.cookie)</script></svg>\n"
    )


def text_as_jpg() -> bytes:
    return b"This is not a photo, just some text with a .jpg name.\n" * 20


def gif_bytes() -> bytes:
    return encoded(picture((40, 30)).convert("P"), "GIF")


def big_jpeg_bytes(target_bytes: int, seed: int = 311) -> bytes:
    # Noise barely compresses, so the file size follows the pixel count; one correction gets close.
    rng = random.Random(seed)
    pixels = max(64, target_bytes // 3)
    data = b""
    for _attempt in range(2):
        side = max(8, int(pixels**0.5))
        noise = Image.frombytes("RGB", (side, side), rng.randbytes(side * side * 3))
        data = encoded(noise, "JPEG", quality=90)
        pixels = int(side * side * target_bytes / len(data))
    return data


def upload(name: str, data: bytes, content_type: str = "application/octet-stream") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=content_type)


# --- Polyglots: a photo or a PDF that is also something else ------------------------------------------


def zip_bytes() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("invoice.exe", b"MZ" + bytes(range(256)) * 4)
    return out.getvalue()


def jpeg_with_php() -> bytes:
    # In a comment segment, where a server that runs .jpg files through PHP would find it.
    return encoded(picture((400, 300)), "JPEG", comment=b"<?php system($_GET['c']); ?>")


def jpeg_with_short_php_tag() -> bytes:
    return encoded(picture((400, 300)), "JPEG", comment=b"<?=`$_GET[0]`?>")


def jpeg_with_zip() -> bytes:
    return jpeg_bytes(gps=False) + zip_bytes()


def png_with_zip_chunk() -> bytes:
    # Nothing after IEND: the archive rides in a private chunk just before it, where a ZIP reader finds it.
    data = png_bytes()
    end = data.rindex(b"IEND") - 4
    return data[:end] + png_chunk(b"zipP", zip_bytes()) + data[end:]


def jpeg_with_camera_trailer(trailer: bytes) -> bytes:
    return jpeg_bytes(gps=False) + trailer


def samsung_trailer(payload: bytes = b"1714567890123") -> bytes:
    # What Galaxy phones append after the picture: a data block, then the "SEFH" directory pointing at it,
    # then the directory's length and "SEFT".
    block = b"\x00\x00\x01\x0a" + struct.pack("<I", 14) + b"Image_UTC_Data" + payload
    directory = (
        b"SEFH" + struct.pack("<III", 106, 1, 0) + struct.pack("<HHII", 0, 0x0A01, len(block), len(block))
    )
    return block + directory + struct.pack("<I", len(directory)) + b"SEFT"


def jpeg_with_zip_as_camera_trailer() -> bytes:
    # Dressed as a phone's trailer, still an archive: a ZIP reader finds its end record all the same.
    return jpeg_with_camera_trailer(zip_bytes() + samsung_trailer())


def motion_photo_video() -> bytes:
    # The start of the MP4 a motion photo appends: an "ftyp" box, then the movie.
    return struct.pack(">I", 24) + b"ftypmp42" + b"\x00\x00\x00\x00mp42isom" + b"\x00" * 200


def second_picture() -> bytes:
    # Multi-Picture Format: a second whole JPEG (a depth or gain map) right after the first.
    return encoded(picture((200, 150)).convert("L"), "JPEG")


def pdf_with_script(name: bytes = b"/JavaScript", key: bytes = b"/JS") -> bytes:
    action = b"<< /Type /Action /S %s %s (app.alert('paid')) >>" % (name, key)
    return pdf_bytes(catalog=b"/OpenAction 6 0 R ", extra=(action,))


def pdf_with_launch() -> bytes:
    return pdf_bytes(catalog=b"/OpenAction << /S /Launch /F (cmd.exe) >> ")


def pdf_with_attachment() -> bytes:
    attached = b"<< /Type /EmbeddedFile /Length 5 >>\nstream\nhello\nendstream"
    files = b"/Names << /EmbeddedFiles << /Names [(a.exe) << /Type /Filespec /EF << /F 6 0 R >> >>] >> >> "
    return pdf_bytes(catalog=files, extra=(attached,))


def pdf_with_page_action() -> bytes:
    return pdf_bytes(page=b"/AA << /O << /S /URI /URI (http://example.org/) >> >> ")


# --- Large pictures made cheaply, for the memory budget ----------------------------------------------


def blank_png(
    size: tuple[int, int], bit_depth: int = 8, colour_type: int = 6, interlaced: bool = False
) -> bytes:
    """A whole, valid PNG of zeros, streamed through zlib: a few KB for any size, never held in memory."""
    bits = {0: 1, 2: 3, 4: 2, 6: 4}[colour_type] * bit_depth
    header = struct.pack(">IIBBBBB", *size, bit_depth, colour_type, 0, 0, int(interlaced))
    squeeze = zlib.compressobj(9)
    pixels = b"".join(squeeze.compress(rows) for rows in blank_rows(size, bits, interlaced))
    return (
        PNG_SIGNATURE
        + png_chunk(b"IHDR", header)
        + png_chunk(b"IDAT", pixels + squeeze.flush())
        + png_chunk(b"IEND", b"")
    )


ADAM7 = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]


def blank_rows(size: tuple[int, int], bits: int, interlaced: bool) -> Iterator[bytes]:
    # Each row is a filter byte and its pixels; an interlaced PNG has seven smaller pictures, one per pass.
    for x0, y0, dx, dy in ADAM7 if interlaced else [(0, 0, 1, 1)]:
        width, height = -(-(size[0] - x0) // dx), -(-(size[1] - y0) // dy)
        if width > 0 and height > 0:
            row = bytes(1 + -(-width * bits // 8))
            for start in range(0, height, 256):
                yield row * min(256, height - start)


def flat(size: tuple[int, int], mode: str = "RGB") -> Image.Image:
    return Image.new(mode, size, (200, 120, 40, 255)[: len(mode)])


def flat_webp(size: tuple[int, int]) -> bytes:
    return encoded(flat(size), "WEBP", lossless=True, method=0, quality=0)


def flat_heic(size: tuple[int, int], chroma: int = 420, mode: str = "RGB") -> bytes:
    # x265's fastest preset: a flat picture looks the same, and a large one encodes in seconds.
    return encoded(flat(size, mode), "HEIF", quality=10, chroma=chroma, enc_params={"preset": "ultrafast"})


def flat_jpeg(size: tuple[int, int], progressive: bool = False) -> bytes:
    # 4:4:4 (subsampling 0): three full-size components, the most a progressive JPEG can make libjpeg hold.
    return encoded(flat(size), "JPEG", quality=50, progressive=progressive, subsampling=0)
