"""The audited reveal of personal data, shared by every domain that stores it encrypted
(residents, party members): the per-user rate limit, the audit row, then the decryption.

The caller has already found the row and checked `residents:reveal` on it (404/403 first, so a
refused reveal spends nothing of the limit). The audit row holds the purpose and where the
request came from, never the values.
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy.ext.asyncio import AsyncSession

from app.core import audit
from app.core.crypto import FieldCipher
from app.core.errors import TooManyRequests
from app.core.ratelimit import RateLimits
from app.core.security import Principal


class RevealRateLimited(TooManyRequests):
    code = "reveal_rate_limited"
    zh, en = "查看完整信息过于频繁，请稍后再试", "Too many reveals; try again later"


async def spend(limits: RateLimits, principal: Principal) -> None:
    """One reveal from the caller's budget (a revealed export counts as one), or 429."""
    if not await limits.hit(limits.reveal, "reveal", principal.key):
        await _refuse(limits, principal)


async def check(limits: RateLimits, principal: Principal) -> None:
    """429 if the caller's budget is already used up, spending nothing: for work that is paid
    for only once it has succeeded (a revealed export spends after its workbook is written)."""
    if not await limits.allowed(limits.reveal, "reveal", principal.key):
        await _refuse(limits, principal)


async def _refuse(limits: RateLimits, principal: Principal) -> None:
    wait = await limits.retry_after(limits.reveal, "reveal", principal.key)
    raise RevealRateLimited(headers={"Retry-After": str(wait)})


# field name → (ciphertext or None, encryption context)
Sealed = Mapping[str, tuple[str | None, str]]


async def reveal_fields(session: AsyncSession, principal: Principal, *, cipher: FieldCipher,
                        limits: RateLimits, object_type: str, object_id: int, org_path: str,
                        purpose: str, ip: str, sealed: Sealed) -> dict[str, str | None]:
    """429 past the per-user limit (one budget for every kind of row, so switching from
    residents to members does not double it); otherwise an audit row and the plaintexts."""
    await spend(limits, principal)
    await audit.record(session, principal, f"{object_type}.reveal", object_type, object_id,
                       org_path=org_path, detail={"purpose": purpose}, ip=ip)
    return {name: cipher.decrypt(token, context=context) if token else None
            for name, (token, context) in sealed.items()}
