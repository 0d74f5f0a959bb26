"""Re-encoding uploaded photos so the copy shown to others carries no metadata.

A phone photo's EXIF holds where it was taken (GPS), when, and on which device; XMP and JPEG
comments can repeat that. The served copy is decoded and encoded again from its pixels alone, so
nothing the phone wrote survives but the picture. The original keeps its EXIF for
`exif_location`, whose result the case stores privately.

These functions are CPU-bound and synchronous: call them through `asyncio.to_thread`.
"""

from __future__ import annotations

import io
import math
from typing import Any

from PIL import ExifTags, Image, ImageOps

from app.files.errors import CorruptFile, ImageTooLarge
from app.files.sniff import JPEG, PNG, WEBP

# 40 MP covers phone photos at their usual 12–16 MP and scans; decoding one costs ~120 MB (RGB).
MAX_PIXELS = 40_000_000
# Process-wide, on purpose: any Pillow decode in this process gets the same bound. Pillow warns
# above it and raises above twice it; we don't rely on the warning (warnings filters are global
# and not safe to change per call from worker threads) but check the size ourselves after
# `open`, which reads only the header.
Image.MAX_IMAGE_PIXELS = MAX_PIXELS

JPEG_QUALITY = 85
_FORMATS = {JPEG: "JPEG", PNG: "PNG", WEBP: "WEBP"}


def sanitize(data: bytes, mime: str) -> bytes:
    """Return the image re-encoded in the same format, upright, without EXIF, GPS or XMP."""
    fmt = _FORMATS[mime]
    with _open(data, fmt) as im:
        try:
            upright = ImageOps.exif_transpose(im)
        except Exception as exc:  # the pixels are decoded here; see `_open` for why so broad
            raise CorruptFile() from exc
    with upright:
        # Only what rendering needs survives: the colour profile (a P3 photo looks wrong without
        # it; it describes colours, not people or places) and PNG transparency.
        icc = upright.info.get("icc_profile")
        transparency = upright.info.get("transparency")
        upright.info = {} if transparency is None else {"transparency": transparency}
        out = io.BytesIO()
        upright.save(out, format=fmt, **_save_options(fmt, icc))
        return out.getvalue()


def exif_location(data: bytes) -> tuple[float, float] | None:
    """(lng, lat) from the EXIF GPS tags, or None when absent or unreadable.

    EXIF GPS is the receiver's raw fix, WGS-84 — no GCJ-02 conversion applies.
    """
    try:
        with Image.open(io.BytesIO(data), formats=list(_FORMATS.values())) as im:
            gps = im.getexif().get_ifd(ExifTags.IFD.GPSInfo)
    except Exception:  # metadata is a bonus: a bad EXIF block must not fail the upload
        return None
    lat = _degrees(gps.get(ExifTags.GPS.GPSLatitude), gps.get(ExifTags.GPS.GPSLatitudeRef), "S")
    lng = _degrees(gps.get(ExifTags.GPS.GPSLongitude), gps.get(ExifTags.GPS.GPSLongitudeRef), "W")
    if lat is None or lng is None or not (-90 <= lat <= 90 and -180 <= lng <= 180):
        return None
    if lat == 0 and lng == 0:  # what cameras write while they have no fix
        return None
    return lng, lat


def _open(data: bytes, fmt: str) -> Image.Image:
    try:
        im = Image.open(io.BytesIO(data), formats=[fmt])
    except Image.DecompressionBombError as exc:
        raise ImageTooLarge() from exc
    except Exception as exc:
        # Pillow's parsers answer hostile input with OSError, SyntaxError, ValueError,
        # struct.error and more; whichever it is, the upload is what's wrong, not the server.
        raise CorruptFile() from exc
    if im.width * im.height > MAX_PIXELS:
        im.close()
        raise ImageTooLarge()
    return im


def _save_options(fmt: str, icc: object) -> dict[str, Any]:
    options: dict[str, Any] = {}
    if isinstance(icc, bytes) and icc:
        options["icc_profile"] = icc
    if fmt == "JPEG":
        options.update(quality=JPEG_QUALITY, optimize=True)
    elif fmt == "WEBP":
        options.update(quality=JPEG_QUALITY)
    return options


def _degrees(dms: object, ref: object, negative: str) -> float | None:
    """EXIF degrees/minutes/seconds rationals → signed decimal degrees."""
    if not isinstance(dms, tuple) or len(dms) != 3:
        return None
    try:
        d, m, s = (float(v) for v in dms)
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    value = d + m / 60 + s / 3600
    if not math.isfinite(value):  # a 0/0 rational reads as NaN
        return None
    if isinstance(ref, bytes):
        ref = ref.decode("ascii", "replace")
    return -value if isinstance(ref, str) and ref.strip().upper() == negative else value
