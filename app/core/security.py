"""Passwords, JWT access tokens, opaque refresh tokens and the authenticated principal."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import os
import secrets
import sys
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import jwt
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

from app.core.config import Settings
from app.core.errors import Unauthorized
from app.core.permissions import Perm
from app.core.types import utcnow

ALGORITHM = "HS256"  # pinned: a token naming any other algorithm is refused
_password_hash = PasswordHash((Argon2Hasher(),))
# Verified against when the user does not exist, so timing does not reveal usernames.
_DUMMY_HASH = _password_hash.hash(secrets.token_urlsafe(16))


def hash_password(password: str) -> str:
    return _password_hash.hash(password)


def verify_password(password: str, hashed: str | None) -> bool:
    if not hashed:
        _password_hash.verify(password, _DUMMY_HASH)
        return False
    try:
        return _password_hash.verify(password, hashed)
    except Exception:  # a malformed stored hash must not become a 500
        return False


# How much lower than the event loop's thread Argon2 runs (Linux nice levels; the CPU
# scheduler weights a thread 10 steps lower at about a tenth). See PasswordWork.
PASSWORD_THREAD_NICE = 10


def _lower_priority() -> None:
    """Runs first in each Argon2 thread. Linux keeps a nice level per thread, and the threads
    libargon2 starts for its lanes inherit it. Elsewhere `setpriority` would renice the whole
    process (the event loop too), so the priority is left alone there."""
    if sys.platform != "linux":
        return
    tid = threading.get_native_id()
    with contextlib.suppress(OSError):
        os.setpriority(os.PRIO_PROCESS, tid,
                       min(19, os.getpriority(os.PRIO_PROCESS, tid) + PASSWORD_THREAD_NICE))


# Shared by every PasswordWork of the process (each bounds its own number at once); a thread
# is started only when no idle one is left, so there are as many as were ever busy together.
_THREADS = ThreadPoolExecutor(max_workers=64, thread_name_prefix="argon2",
                              initializer=_lower_priority)


class PasswordWork:
    """Argon2 off the event loop, a bounded number at once, at a lower CPU priority.

    One hash or verification is 100–300 ms of CPU and ~64 MiB here: on the loop it stalls every
    request of the process (GET /me fell from 630 to 22 req/s during five login loops); in
    unbounded threads a login burst would take all memory. Callers hold no transaction and no
    SQLite write lock while they wait (core.db.end_reads).

    Off the loop is not enough: a hash made with the library's defaults (p=4) computes its four
    lanes in four threads of libargon2's own, so two verifications at once are eight busy
    threads against the loop's one on a 2-core machine: with logins arriving at 20/s the loop
    got 0.5–0.65 of a core and GET /me 0.3–0.55× its quiet requests/s (p50 1.8–3.0×,
    bench/login_burst.py). The hashing threads run PASSWORD_THREAD_NICE lower: requests of users
    already signed in go first (loop 0.7–0.85 of a core, /me p50 1.3–1.7× quiet), logins take
    the CPU that is left — as many per second while a core is spare, fewer when the machine is
    busy (they are slow anyway: better a late login than every request late). One slot instead
    of two halved the logins answered and did not help /me."""

    def __init__(self, slots: int) -> None:
        self.slots = max(1, slots)
        self._gate: asyncio.Semaphore | None = None

    def _semaphore(self) -> asyncio.Semaphore:
        if self._gate is None:
            self._gate = asyncio.Semaphore(self.slots)
        return self._gate

    async def hash(self, password: str) -> str:
        async with self._semaphore():
            return await asyncio.get_running_loop().run_in_executor(
                _THREADS, hash_password, password)

    async def verify(self, password: str, hashed: str | None) -> bool:
        async with self._semaphore():
            return await asyncio.get_running_loop().run_in_executor(
                _THREADS, verify_password, password, hashed)


def sha256_hex(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def new_opaque_token() -> str:
    return secrets.token_urlsafe(32)


def constant_time_equal(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


@dataclass(frozen=True)
class Grant:
    """One role held on one org node (or a client's scopes on its org node)."""

    role: str
    org_id: int
    org_path: str
    permissions: frozenset[str]
    assignment_id: int | None = None


@dataclass
class Principal:
    kind: str  # "user" | "client"
    id: int
    subject: str
    grants: tuple[Grant, ...] = ()
    session_id: str | None = None
    display: dict[str, Any] = field(default_factory=dict)
    # Per-principal memo of derived, immutable things (e.g. a scope condition): a cached
    # principal serves many requests, and building SQL expressions is not free.
    memo: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.id}"

    def has(self, permission: Perm | str) -> bool:
        return any(permission in g.permissions for g in self.grants)


@dataclass
class SystemActor(Principal):
    """A command run on the server (the CLI import, the demo seed): no grants (it is not
    scoped), audited under its own name ("cli", "seed")."""

    @property
    def key(self) -> str:
        return self.subject


def system_actor(name: str) -> SystemActor:
    return SystemActor(kind=name, id=0, subject=name)


def issue_access_token(
    settings: Settings, *, subject: str, ttl_seconds: int, extra: dict[str, Any] | None = None
) -> str:
    now = utcnow()
    claims: dict[str, Any] = {
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "sub": subject,
        "iat": now,
        "nbf": now,
        "exp": now + timedelta(seconds=ttl_seconds),
        "jti": uuid.uuid4().hex,
    }
    claims.update(extra or {})
    key = settings.jwt_keys[settings.jwt_kid]
    return jwt.encode(claims, key, algorithm=ALGORITHM, headers={"kid": settings.jwt_kid})


def decode_access_token(settings: Settings, token: str) -> dict[str, Any]:
    try:
        kid = jwt.get_unverified_header(token).get("kid")
        key = settings.jwt_keys.get(kid) if isinstance(kid, str) else None
        if key is None:
            raise Unauthorized(code="token_invalid")
        claims: dict[str, Any] = jwt.decode(
            token,
            key,
            algorithms=[ALGORITHM],
            audience=settings.jwt_audience,
            issuer=settings.jwt_issuer,
            options={"require": ["exp", "iat", "iss", "aud", "sub", "jti"]},
        )
    except jwt.ExpiredSignatureError as exc:
        raise Unauthorized("登录已过期", "Token expired", code="token_expired") from exc
    except jwt.PyJWTError as exc:
        raise Unauthorized("令牌无效", "Invalid token", code="token_invalid") from exc
    return claims
