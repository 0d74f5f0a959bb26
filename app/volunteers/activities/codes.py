"""The member's check-in code (扫码签到): the phone shows a short-lived signed code for one
sign-up, the organiser's phone scans it and posts it. The code is

    "<kid>.<signup id>.<issued at, unix seconds>.<mac>"

with mac = HMAC-SHA256 over (purpose, activity id, sign-up id, issued at) under the app's JWT
key `kid` (the same keys, rotation included; the purpose string keeps the two uses apart),
truncated to 16 bytes, base64url. It is valid for two minutes after issue; the activity id is
inside the MAC, so a code shown for another activity does not verify. Nothing is stored: a
code scanned twice is told apart by its issue time (a check-out needs a code issued after the
check-in, attendance.py)."""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from app.core.config import Settings
from app.volunteers.activities.errors import CodeExpired, CodeInvalid

TTL = timedelta(minutes=2)
_PURPOSE = "activity-checkin-code"


@dataclass(frozen=True)
class Scanned:
    signup_id: int
    issued_at: datetime


def _mac(key: str, activity_id: int, signup_id: int, issued: int) -> str:
    msg = f"{_PURPOSE}\0{activity_id}\0{signup_id}\0{issued}".encode()
    digest = hmac.new(key.encode(), msg, hashlib.sha256).digest()[:16]
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def issue(
    settings: Settings, activity_id: int, signup_id: int, now: datetime
) -> tuple[str, datetime]:
    """The code and when it expires."""
    issued = int(now.timestamp())
    kid = settings.jwt_kid
    mac = _mac(settings.jwt_keys[kid], activity_id, signup_id, issued)
    return f"{kid}.{signup_id}.{issued}.{mac}", datetime.fromtimestamp(issued, UTC) + TTL


def verify(settings: Settings, activity_id: int, code: str, now: datetime) -> Scanned:
    """The sign-up a code names; 422 when forged, malformed, for another activity or expired."""
    parts = code.split(".")
    if len(parts) != 4 or parts[0] not in settings.jwt_keys:
        raise CodeInvalid()
    kid, signup, issued, mac = parts
    if not (signup.isdigit() and issued.isdigit()) or len(signup) > 19 or len(issued) > 12:
        raise CodeInvalid()
    expected = _mac(settings.jwt_keys[kid], activity_id, int(signup), int(issued))
    if not hmac.compare_digest(expected, mac):
        raise CodeInvalid()
    issued_at = datetime.fromtimestamp(int(issued), UTC)
    # A clock a few seconds ahead on the issuing process is not a forgery; the future is.
    if not issued_at - timedelta(seconds=30) <= now <= issued_at + TTL:
        raise CodeExpired()
    return Scanned(int(signup), issued_at)
