"""Evidence files made at test time with Pillow, so no binary fixtures live in the repository."""

from __future__ import annotations

import io
import random
import struct
import zlib

import pillow_heif
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image
from PIL.TiffImagePlugin import IFDRational

pillow_heif.register_heif_opener()

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


def pdf_bytes() -> bytes:
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        stream(b"BT /F1 24 Tf 72 700 Td (Receipt: bicycle, $450) Tj ET"),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
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


def bomb_png(size: tuple[int, int] = (20_000, 20_000)) -> bytes:
    # 400 million pixels declared in a file of a few hundred bytes; only 16 rows of them are there.
    header = struct.pack(">IIBBBBB", *size, 8, 0, 0, 0, 0)  # 8-bit greyscale
    pixels = zlib.compress(b"\x00" * (size[0] + 1) * 16, 9)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", header)
        + png_chunk(b"IDAT", pixels)
        + png_chunk(b"IEND", b"")
    )


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
