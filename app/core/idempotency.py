"""`Idempotency-Key` for creating POSTs.

The key is claimed first thing in the request's own transaction and its response stored in the
same transaction: a key is "done" exactly when the write it guards commits, and a request that
fails (or a process that dies) rolls its claim back with everything else, so the client can
retry. One session per request: a separate claim transaction would need a second pooled
connection while the request holds one (PERFORMANCE.md), and under a burst those could wait on
each other.

A retry that arrives while the first request still runs gets 409 (DESIGN.md). On PostgreSQL
the claim first takes a transaction-scoped advisory lock on the key without waiting: the first
request holds it until it ends, so the retry does not block on the uncommitted key and is told
at once. SQLite has one writer at a time: the retry waits for the first and replays it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated, Any

from fastapi import Depends, Header, Request
from fastapi.responses import Response
from sqlalchemy import BigInteger, Row, bindparam, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from starlette.datastructures import UploadFile

from app.core import rows
from app.core.auth import get_principal
from app.core.config import Settings
from app.core.db import get_session
from app.core.errors import Conflict, Unprocessable
from app.core.security import Principal
from app.core.types import utcnow
from app.models import IdempotencyKey
from app.models.base import table_of, with_defaults

REPLAYED_HEADERS = ("content-type", "etag", "location")
_KEYS = table_of(IdempotencyKey)
MAX_KEY_LENGTH = 255

# Built once: the claim and the completion run on every creating POST, and building a
# statement (and its cache key) costs about as much as executing it.
_CLAIMED_COLUMNS = ("principal", "key", "endpoint", "request_hash", "state", "created_at")
_CLAIMS = {
    # INSERT … SELECT … WHERE the key's advisory lock was free: a claim still in flight in
    # another transaction holds it, and the statement then inserts nothing, without waiting.
    "postgresql": pg_insert(_KEYS).from_select(
        _CLAIMED_COLUMNS,
        select(*(bindparam(c, type_=_KEYS.c[c].type) for c in _CLAIMED_COLUMNS)).where(
            func.pg_try_advisory_xact_lock(bindparam("lock_key", type_=BigInteger))),
    ).on_conflict_do_nothing(index_elements=["principal", "key"]).returning(_KEYS.c.id),
    "sqlite": sqlite_insert(_KEYS).on_conflict_do_nothing(
        index_elements=["principal", "key"]).returning(_KEYS.c.id),
}
_COMPLETE = update(_KEYS).where(_KEYS.c.id == bindparam("claim_id")).values(state="done")


def advisory_key(principal: str, key: str) -> int:
    """The key's advisory lock id: 64 bits of a hash (a collision could only make two
    different keys' concurrent first requests answer 409 to one another)."""
    digest = hashlib.blake2b(f"{principal}\0{key}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


class IdempotencyInFlight(Conflict):
    code = "idempotency_in_flight"
    zh, en = "相同幂等键的请求正在处理中", "A request with this Idempotency-Key is in progress"


class IdempotencyMismatch(Unprocessable):
    code = "idempotency_key_reused"
    zh = "该幂等键已用于内容不同的请求"
    en = "This Idempotency-Key was used for a different request"


class IdempotencyKeyTooLong(Unprocessable):
    code = "idempotency_key_invalid"
    zh = f"Idempotency-Key 不能超过 {MAX_KEY_LENGTH} 个字符"
    en = f"Idempotency-Key must be at most {MAX_KEY_LENGTH} characters"


class IdempotentReplay(Exception):
    """Raised to short-circuit the endpoint with the stored response."""

    def __init__(self, response: Response) -> None:
        self.response = response


@dataclass
class ClaimedKey:
    id: int


async def _fingerprint(request: Request) -> str:
    h = hashlib.sha256()
    h.update(request.method.encode())
    h.update(request.url.path.encode())
    h.update(b"\0")
    if request.headers.get("content-type", "").lower().startswith(_FORMS):
        await _hash_form(request, h)
    else:
        h.update(await request.body())
    return h.hexdigest()


_FORMS = ("multipart/", "application/x-www-form-urlencoded")


async def _hash_form(request: Request, h: Any) -> None:
    """The form may be parsed already (the stream is gone, `form()` is cached). Hash its
    fields, not the raw body: a retry of the same upload sends a new multipart boundary."""
    form = await request.form()
    for name, value in sorted(form.multi_items(), key=lambda kv: kv[0]):
        h.update(name.encode() + b"\0")
        if isinstance(value, UploadFile):
            await value.seek(0)
            h.update(hashlib.sha256(await value.read()).digest())
            await value.seek(0)
        else:
            h.update(value.encode())
        h.update(b"\0")


def _replay(row: Row[Any]) -> Response:
    headers = dict(row.response_headers or {})
    headers["Idempotent-Replayed"] = "true"
    return Response(row.response_body or b"", status_code=row.response_status or 200,
                    headers=headers)


class _Keys:
    """Key rows, read and written as Core statements on the request's connection (the ORM's
    bookkeeping costs more than these one-row statements themselves)."""

    def __init__(self, request: Request) -> None:
        self.request = request

    async def _connection(self) -> AsyncConnection:
        session = await get_session(self.request)
        # Core statements on the connection: tell `end_reads` that this unit of work writes.
        session.info["wrote"] = True
        return await session.connection()

    async def claim(self, principal: str, key: str, endpoint: str, digest: str) -> int | None:
        """The new claim's id, or None when the key exists (or, on PostgreSQL, is being claimed
        by a request still running). `ON CONFLICT DO NOTHING` rather than catching an
        IntegrityError: no savepoint, no failed statement."""
        conn = await self._connection()
        params = with_defaults(_KEYS, {"principal": principal, "key": key,
                                       "endpoint": endpoint, "request_hash": digest})
        if conn.dialect.name == "postgresql":
            params["lock_key"] = advisory_key(principal, key)
        claimed: int | None = (
            await conn.execute(_CLAIMS[conn.dialect.name], params)).scalar_one_or_none()
        return claimed

    async def existing(self, principal: str, key: str) -> Row[Any] | None:
        conn = await self._connection()
        return (await conn.execute(
            select(_KEYS).where(_KEYS.c.principal == principal, _KEYS.c.key == key)
        )).one_or_none()

    async def take_over_stale(self, row: Row[Any], digest: str, stale: int) -> bool:
        """A key committed in flight (a request whose error still commits) may be taken over
        after a while."""
        conn = await self._connection()
        result = await conn.execute(
            update(_KEYS)
            .where(
                _KEYS.c.id == row.id,
                _KEYS.c.state == "in_flight",
                _KEYS.c.created_at < utcnow() - timedelta(seconds=stale),
            )
            .values(created_at=utcnow(), request_hash=digest)
        )
        return bool(result.rowcount)


async def idempotency(
    request: Request,
    principal: Annotated[Principal, Depends(get_principal)],
    key: Annotated[
        str | None,
        Header(alias="Idempotency-Key", max_length=MAX_KEY_LENGTH,
               description="重试时保持不变的请求键"),
    ] = None,
) -> None:
    await guard(request, principal.key, key)


async def guard(request: Request, principal_key: str, key: str | None) -> None:
    """Claim `key` for this caller and request, or replay / refuse (the dependency above; and
    called directly where the caller is known only inside the endpoint, as Open311's api_key
    in the form)."""
    if not key:
        return
    if len(key) > MAX_KEY_LENGTH:
        raise IdempotencyKeyTooLong()
    settings: Settings = request.app.state.settings
    keys = _Keys(request)
    digest = await _fingerprint(request)
    endpoint = f"{request.method} {request.url.path}"
    for _ in range(2):
        claimed = await keys.claim(principal_key, key, endpoint, digest)
        if claimed is not None:
            request.state.idempotency = ClaimedKey(claimed)
            return
        row = await keys.existing(principal_key, key)
        if row is None:
            # Claimed by a request still running (PostgreSQL: its lock is held), or released
            # between our insert and read: try once more.
            continue
        if row.request_hash != digest or row.endpoint != endpoint:
            raise IdempotencyMismatch()
        if row.state == "done":
            raise IdempotentReplay(_replay(row))
        if await keys.take_over_stale(row, digest, settings.idempotency_stale_seconds):
            request.state.idempotency = ClaimedKey(row.id)
            return
        raise IdempotencyInFlight()
    raise IdempotencyInFlight()


async def complete(session: AsyncSession, claimed: ClaimedKey, response: Response) -> None:
    """Record the response in the request's transaction; it commits with the write. Rows the
    request queued (`rows.defer`) go in the same statement on PostgreSQL."""
    headers = {k: v for k, v in response.headers.items() if k.lower() in REPLAYED_HEADERS}
    await rows.write_pending(session, then=(_COMPLETE, {
        "claim_id": claimed.id, "response_status": response.status_code,
        "response_body": bytes(response.body), "response_headers": headers}))


Idempotent = Depends(idempotency)

__all__ = ["Idempotent", "IdempotentReplay", "complete", "guard", "idempotency"]
