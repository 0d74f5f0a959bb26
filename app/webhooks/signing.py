"""Webhook signatures: HMAC-SHA256 over "<timestamp>.<body>", like Stripe's scheme, so a
receiver can reject forged, altered and replayed deliveries."""

from __future__ import annotations

import hashlib
import hmac
import time

SIGNATURE_HEADER = "X-Grid-Signature"
TIMESTAMP_HEADER = "X-Grid-Timestamp"
EVENT_ID_HEADER = "X-Grid-Event-Id"
EVENT_TYPE_HEADER = "X-Grid-Event"


def sign(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def verify(secret: str, header: str, body: bytes, *, tolerance: int = 300,
           now: float | None = None) -> bool:
    """What a receiver does: check the MAC and that the timestamp is fresh."""
    parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
    try:
        ts = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs((now or time.time()) - ts) > tolerance:
        return False
    expected = sign(secret, ts, body).split("v1=", 1)[1]
    return hmac.compare_digest(expected, parts.get("v1", ""))
