"""Rate limits and login lockout, in Redis when configured (shared by all processes)."""

from __future__ import annotations

import time

from limits import RateLimitItem, parse
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import MovingWindowRateLimiter, RateLimiter

from app.core.config import Settings


class RateLimits:
    def __init__(self, settings: Settings) -> None:
        storage: Storage
        if settings.redis_url:
            uri = "async+" + settings.redis_url.removeprefix("async+")
            storage = RedisStorage(uri, implementation="redispy",
                                   key_prefix=settings.rate_limit_prefix)
        else:
            storage = MemoryStorage()
        self.storage = storage
        self.limiter: RateLimiter = MovingWindowRateLimiter(storage)
        self.login_failures = parse(
            f"{settings.login_max_failures}/{settings.login_failure_window_minutes}minute"
        )
        # The lock is a one-slot window: consuming it locks the account for its length.
        self.login_lock = parse(f"1/{settings.login_lock_minutes}minute")
        self.login_ip = parse(settings.login_ip_limit)
        self.reveal = parse(settings.reveal_limit)

    async def hit(self, item: RateLimitItem, *keys: str) -> bool:
        return await self.limiter.hit(item, *keys)

    async def allowed(self, item: RateLimitItem, *keys: str) -> bool:
        return await self.limiter.test(item, *keys)

    async def retry_after(self, item: RateLimitItem, *keys: str) -> int:
        stats = await self.limiter.get_window_stats(item, *keys)
        return max(1, int(stats.reset_time - time.time()))

    async def ip_blocked(self, ip: str) -> bool:
        """Too many failed logins from this address lately (credential stuffing). Successful
        logins are not counted: a street office, or a carrier's NAT in front of every grid
        worker's phone, signs in hundreds of people from one address at 08:30."""
        return not await self.allowed(self.login_ip, "ip", ip)

    async def record_ip_failure(self, ip: str) -> None:
        await self.hit(self.login_ip, "ip", ip)

    async def is_locked(self, username: str) -> bool:
        return not await self.allowed(self.login_lock, "lock", username)

    async def record_failure(self, username: str) -> bool:
        """Count a failed login; returns True when this failure locks the account."""
        if not await self.hit(self.login_failures, "fail", username):
            await self.hit(self.login_lock, "lock", username)
            return True
        stats = await self.limiter.get_window_stats(self.login_failures, "fail", username)
        if stats.remaining == 0:
            await self.hit(self.login_lock, "lock", username)
            return True
        return False

    async def clear_failures(self, username: str) -> None:
        await self.limiter.clear(self.login_failures, "fail", username)
