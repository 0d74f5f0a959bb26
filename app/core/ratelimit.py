"""Rate limits and login lockout, in Redis when configured (shared by all processes).

When Redis cannot be reached (down, frozen, timing out) the limits fall back to this process's
memory for `REDIS_RETRY_SECONDS` and then try Redis again: logins and reveals keep working and
keep being limited, per process instead of across processes, rather than failing with 500 or
waiting on Redis. Every Redis call is bounded by `GRID_REDIS_TIMEOUT_SECONDS`. `/readyz`
reports Redis' state.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from limits import RateLimitItem, parse
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import MovingWindowRateLimiter, RateLimiter
from limits.errors import StorageError
from redis.exceptions import RedisError

from app.core.config import Settings

log = logging.getLogger("gridapi.ratelimit")
T = TypeVar("T")
REDIS_RETRY_SECONDS = 5.0
_UNAVAILABLE = (StorageError, RedisError, OSError, TimeoutError)


class RateLimits:
    def __init__(self, settings: Settings) -> None:
        self.fallback: RateLimiter = MovingWindowRateLimiter(MemoryStorage())
        storage: Storage
        self.shared = bool(settings.redis_url)
        self.timeout = settings.redis_timeout_seconds
        if settings.redis_url:
            uri = "async+" + settings.redis_url.removeprefix("async+")
            storage = RedisStorage(uri, implementation="redispy",
                                   key_prefix=settings.rate_limit_prefix, wrap_exceptions=True,
                                   socket_timeout=self.timeout,
                                   socket_connect_timeout=self.timeout)
        else:
            storage = MemoryStorage()
        self.storage = storage
        self.limiter: RateLimiter = (MovingWindowRateLimiter(storage) if self.shared
                                     else self.fallback)
        self._down_until = 0.0
        self.login_failures = parse(
            f"{settings.login_max_failures}/{settings.login_failure_window_minutes}minute"
        )
        # The lock is a one-slot window: consuming it locks the account for its length.
        self.login_lock = parse(f"1/{settings.login_lock_minutes}minute")
        self.login_ip = parse(settings.login_ip_limit)
        self.reveal = parse(settings.reveal_limit)
        self.wechat_login_ip = parse(settings.wechat_login_limit)
        self.phone_bind = parse(settings.phone_bind_limit)
        self.export = parse(settings.export_limit)
        self.case_create = parse(settings.case_create_limit)
        self.meeting_sign_in = parse(settings.meeting_sign_in_limit)

    async def _run(self, op: Callable[[RateLimiter], Awaitable[T]]) -> T:
        """`op` on Redis, or on this process's memory while Redis is unavailable."""
        if self.limiter is not self.fallback and time.monotonic() >= self._down_until:
            try:
                return await asyncio.wait_for(op(self.limiter), self.timeout * 2)
            except _UNAVAILABLE as exc:
                self._down_until = time.monotonic() + REDIS_RETRY_SECONDS
                log.warning("redis unavailable: rate limits in process memory for a while",
                            extra={"fields": {"error": type(exc).__name__,
                                              "retry_in_s": REDIS_RETRY_SECONDS}})
        return await op(self.fallback)

    async def available(self) -> bool | None:
        """Redis reachable (None: not configured), for /readyz."""
        if not self.shared:
            return None
        try:
            return bool(await asyncio.wait_for(self.storage.check(), self.timeout * 2))
        except _UNAVAILABLE:
            return False

    async def hit(self, item: RateLimitItem, *keys: str) -> bool:
        return await self._run(lambda lim: lim.hit(item, *keys))

    async def allowed(self, item: RateLimitItem, *keys: str) -> bool:
        return await self._run(lambda lim: lim.test(item, *keys))

    async def retry_after(self, item: RateLimitItem, *keys: str) -> int:
        stats: Any = await self._run(lambda lim: lim.get_window_stats(item, *keys))
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
        stats: Any = await self._run(
            lambda lim: lim.get_window_stats(self.login_failures, "fail", username))
        if stats.remaining == 0:
            await self.hit(self.login_lock, "lock", username)
            return True
        return False

    async def clear_failures(self, username: str) -> None:
        await self._run(lambda lim: lim.clear(self.login_failures, "fail", username))
