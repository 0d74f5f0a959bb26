"""Test files made on the spot: real images from Pillow, hand-built headers for the hostile ones."""

from __future__ import annotations

import io
import struct
import zlib

from PIL import ExifTags, Image, PngImagePlugin

# Jian'an district, Xuchang: 34°02'24.6" N, 113°51'03.6" E.
LAT_DMS, LNG_DMS = (34.0, 2.0, 24.6), (113.0, 51.0, 3.6)
LAT, LNG = 34 + 2 / 60 + 24.6 / 3600, 113 + 51 / 60 + 3.6 / 3600
XMP = b'<x:xmpmeta xmlns:x="adobe:ns:meta/">secret-xmp</x:xmpmeta>'
RED, BLUE = (255, 0, 0), (0, 0, 255)


def gps_exif(*, orientation: int | None = None) -> Image.Exif:
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "TestCam"
    exif[ExifTags.Base.Model] = "Phone 9"
    if orientation is not None:
        exif[ExifTags.Base.Orientation] = orientation
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = LAT_DMS
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = LNG_DMS
    return exif


def half_and_half(size: tuple[int, int] = (80, 40)) -> Image.Image:
    """Left half red, right half blue: shows which way an image was turned."""
    im = Image.new("RGB", size, RED)
    im.paste(BLUE, (size[0] // 2, 0, size[0], size[1]))
    return im


def encode(im: Image.Image, fmt: str, **options: object) -> bytes:
    out = io.BytesIO()
    im.save(out, format=fmt, **options)
    return out.getvalue()


def jpeg_with_gps() -> bytes:
    """Stored sideways (80×40) with orientation 6: displayed 40×80, red on top."""
    return encode(
        half_and_half(),
        "JPEG",
        exif=gps_exif(orientation=6),
        xmp=XMP,
        comment=b"secret-comment",
        quality=95,
    )


def png_with_metadata() -> bytes:
    im = half_and_half().convert("RGBA")
    im.putpixel((0, 0), (0, 255, 0, 0))
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "secret-text")
    info.add_itxt("XML:com.adobe.xmp", XMP.decode())
    return encode(im, "PNG", exif=gps_exif(), pnginfo=info)


def webp_with_metadata() -> bytes:
    return encode(half_and_half(), "WEBP", exif=gps_exif(), xmp=XMP, quality=90)


def noisy_jpeg() -> bytes:
    im = Image.effect_noise((256, 256), 64).convert("RGB")
    return encode(im, "JPEG", quality=95)


def gif() -> bytes:
    return encode(half_and_half().convert("P"), "GIF")


PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 612 792]>>endobj\n"
    b"xref\n0 4\n0000000000 65535 f \n0000000009 00000 n \n0000000052 00000 n \n"
    b"0000000101 00000 n \ntrailer<</Size 4/Root 1 0 R>>\nstartxref\n170\n%%EOF\n"
)
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 48 + b"PE\x00\x00" * 64


def png_header(width: int, height: int) -> bytes:
    """A PNG that claims `width`×`height` grey pixels but holds almost none: a bomb's header."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body)
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(b""))
        + chunk(b"IEND", b"")
    )


def reopen(data: bytes) -> Image.Image:
    im = Image.open(io.BytesIO(data))
    im.load()
    return im
