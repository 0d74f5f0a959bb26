"""Abuse limits as route dependencies: WeChat sign-in per address, phone binding, exports and
case reports per caller (password sign-in and reveals have theirs in their services). Counted
in Redis when REDIS_URL is set, so every API process shares one budget; in process memory
otherwise, or while Redis is unavailable (app/core/ratelimit.py). Past the limit: 429 with
Retry-After."""

from __future__ import annotations

from typing import Any

from fastapi import Depends, Request
from limits import RateLimitItem

from app.core.auth import CurrentPrincipal
from app.core.deps import client_ip
from app.core.errors import TooManyRequests
from app.core.ratelimit import RateLimits


async def enforce(limits: RateLimits, item: RateLimitItem, kind: str, key: str, *,
                  code: str) -> None:
    """Count one; 429 `code` with Retry-After when the window is full."""
    if not await limits.hit(item, kind, key):
        wait = await limits.retry_after(item, kind, key)
        raise TooManyRequests(code=code, headers={"Retry-After": str(wait)})


def _item(request: Request, name: str) -> tuple[RateLimits, RateLimitItem]:
    limits: RateLimits = request.app.state.limits
    item: RateLimitItem = getattr(limits, name)
    return limits, item


def per_caller(name: str, code: str) -> Any:
    """`dependencies=[per_caller("export", "export_rate_limited")]`: one per signed-in caller."""

    async def limit(request: Request, principal: CurrentPrincipal) -> None:
        limits, item = _item(request, name)
        await enforce(limits, item, name, principal.key, code=code)

    return Depends(limit)


def per_address(name: str, code: str) -> Any:
    """One per client address (for routes without a caller yet: sign-in)."""

    async def limit(request: Request) -> None:
        limits, item = _item(request, name)
        await enforce(limits, item, name, client_ip(request), code=code)

    return Depends(limit)


