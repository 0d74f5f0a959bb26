"""The type comes from the leading bytes, never from a name or a declared type."""

from __future__ import annotations

import pytest

from app.files.sniff import detect
from tests.files import samples


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (samples.jpeg_with_gps(), "image/jpeg"),
        (samples.png_with_metadata(), "image/png"),
        (samples.webp_with_metadata(), "image/webp"),
        (samples.PDF, "application/pdf"),
    ],
    ids=["jpeg", "png", "webp", "pdf"],
)
def test_detects_accepted_types(data: bytes, expected: str) -> None:
    assert detect(data) == expected


@pytest.mark.parametrize(
    "data",
    [
        samples.gif(),
        samples.EXE,
        b"",
        b"\xff\xd8",  # a JPEG start cut short
        b"RIFF\x24\x00\x00\x00WAVEfmt ",  # RIFF, but audio
        b"RIFF\x24\x00\x00\x00WEBPJUNK",  # WEBP tag without a WebP chunk
        b"%PDF-",
        b"\n%PDF-1.4\n%%EOF",  # junk before the header: readers accept it, we don't
        b"<svg xmlns='http://www.w3.org/2000/svg'/>",
        b"<html><script>alert(1)</script></html>",
    ],
    ids=[
        "gif",
        "exe",
        "empty",
        "short-jpeg",
        "wav",
        "webp-no-chunk",
        "pdf-bare",
        "pdf-offset",
        "svg",
        "html",
    ],
)
def test_rejects_everything_else(data: bytes) -> None:
    assert detect(data) is None
