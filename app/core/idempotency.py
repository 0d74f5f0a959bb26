"""`Idempotency-Key` for creating POSTs.

The key is claimed in a short transaction of its own (so a concurrent retry sees it in flight and
gets 409), and the response is stored in the request's own transaction, so a key is "done" exactly
when the write it guards is committed. A failed request releases its key so the client can retry.
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated, Any

from fastapi import Depends, Header, Request
from fastapi.responses import Response
from sqlalchemy import Row, bindparam, delete, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from starlette.datastructures import UploadFile

from app.core import rows
from app.core.auth import get_principal
from app.core.config import Settings
from app.core.db import Database, get_session
from app.core.errors import Conflict, Unprocessable
from app.core.security import Principal
from app.core.types import utcnow
from app.models import IdempotencyKey
from app.models.base import table_of

REPLAYED_HEADERS = ("content-type", "etag", "location")
_KEYS = table_of(IdempotencyKey)
MAX_KEY_LENGTH = 255

# Built once: the claim and the completion run on every creating POST, and building a
# statement (and its cache key) costs about as much as executing it. The columns a claim
# leaves out (state, created_at) take the model's defaults at execution.
_CLAIMS = {
    name: insert(_KEYS).on_conflict_do_nothing(index_elements=["principal", "key"])
    .returning(_KEYS.c.id)
    for name, insert in (("postgresql", pg_insert), ("sqlite", sqlite_insert))
}
_COMPLETE = update(_KEYS).where(_KEYS.c.id == bindparam("claim_id")).values(state="done")


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
    separate: bool  # claimed in its own transaction: must be released if the request fails


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
    """Where keys are claimed.

    PostgreSQL: in a short transaction of its own, committed at once, so a concurrent retry
    sees the claim and gets 409 while the first request runs.
    SQLite: in the request's own transaction. SQLite has one writer at a time and write
    requests begin IMMEDIATE (core/db.py), so a second writer connection could not claim
    anything while this request holds the lock; a concurrent retry instead waits for the
    first request and then finds the key done and replays.
    """

    def __init__(self, request: Request, db: Database) -> None:
        self.request = request
        self.db = db
        self.shared = db.engine.dialect.name == "sqlite"

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[AsyncConnection]:
        """Where key rows are read and written, as Core statements (the ORM's bookkeeping
        costs more than these one-row statements themselves). Apart from the request's own
        transaction it is an autocommitted one on PostgreSQL (the reader's sessions): each
        statement is one round trip, visible to a concurrent retry at once."""
        if self.shared:
            yield await (await get_session(self.request)).connection()
            return
        async with self.db.read_session_factory() as s:
            yield await s.connection()
            await s.commit()

    async def claim(self, principal: str, key: str, endpoint: str, digest: str) -> int | None:
        """The new claim's id, or None when the key exists. `ON CONFLICT DO NOTHING` (both
        databases) rather than catching an IntegrityError: no savepoint, no failed statement."""
        params = {"principal": principal, "key": key, "endpoint": endpoint,
                  "request_hash": digest}
        async with self.connection() as conn:
            result = await conn.execute(_CLAIMS[conn.dialect.name], params)
            claimed: int | None = result.scalar_one_or_none()
        return claimed

    async def existing(self, principal: str, key: str) -> Row[Any] | None:
        async with self.connection() as conn:
            return (
                await conn.execute(
                    select(_KEYS).where(_KEYS.c.principal == principal, _KEYS.c.key == key)
                )
            ).one_or_none()

    async def take_over_stale(self, row: Row[Any], digest: str, stale: int) -> bool:
        """A key left in flight by a crashed process may be taken over after a while."""
        async with self.connection() as conn:
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
    keys = _Keys(request, request.app.state.db)
    digest = await _fingerprint(request)
    endpoint = f"{request.method} {request.url.path}"
    for _ in range(2):
        claimed = await keys.claim(principal_key, key, endpoint, digest)
        if claimed is not None:
            request.state.idempotency = ClaimedKey(claimed, separate=not keys.shared)
            return
        row = await keys.existing(principal_key, key)
        if row is None:
            continue  # released between our insert and read: try once more
        if row.request_hash != digest or row.endpoint != endpoint:
            raise IdempotencyMismatch()
        if row.state == "done":
            raise IdempotentReplay(_replay(row))
        if await keys.take_over_stale(row, digest, settings.idempotency_stale_seconds):
            request.state.idempotency = ClaimedKey(row.id, separate=not keys.shared)
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


async def release(db: Database, claimed: ClaimedKey) -> None:
    if not claimed.separate:
        return  # claimed in the request's transaction, which its rollback undid
    async with db.read_session_factory() as s:  # autocommitted on PostgreSQL, as the claim
        await (await s.connection()).execute(delete(_KEYS).where(_KEYS.c.id == claimed.id))
        await s.commit()


Idempotent = Depends(idempotency)

__all__ = ["Idempotent", "IdempotentReplay", "complete", "guard", "idempotency", "release"]
