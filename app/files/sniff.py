"""File type from the leading bytes only.

The declared name and Content-Type come from the client and prove nothing; what a browser or a
viewer will do with the file depends on its bytes, so that is what we check.
"""

from __future__ import annotations

JPEG = "image/jpeg"
PNG = "image/png"
WEBP = "image/webp"
PDF = "application/pdf"

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# The first chunk of a WebP: lossy, lossless, or extended (alpha, animation, metadata).
_WEBP_CHUNKS = (b"VP8 ", b"VP8L", b"VP8X")


def detect(data: bytes) -> str | None:
    """Return the MIME type of a JPEG, PNG, WebP or PDF file, None for anything else."""
    if data.startswith(b"\xff\xd8\xff"):
        return JPEG
    if data.startswith(_PNG_SIGNATURE):
        return PNG
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP" and data[12:16] in _WEBP_CHUNKS:
        return WEBP
    # Readers tolerate junk before "%PDF-"; we don't, so a file can't be both an image and a PDF.
    if data.startswith(b"%PDF-") and data[5:6].isdigit():
        return PDF
    return None
