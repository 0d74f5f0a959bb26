"""API keys of third-party clients: `gk_<8 hex>.<secret>`, looked up by the part before the dot
and checked against the stored sha256 of the whole key."""

from __future__ import annotations

from fastapi import Request
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.auth import load_client_principal
from app.core.db import SessionDep
from app.core.security import Principal, constant_time_equal, sha256_hex
from app.open311 import repository as repo
from app.open311.errors import forbidden
from app.open311.params import Params

MAX_KEY_LEN = 128


async def client_principal(session: AsyncSession, api_key: str | None) -> Principal:
    """The client holding `api_key`, with every scope it was granted; 403 otherwise."""
    if not api_key:
        raise forbidden("缺少 api_key", "api_key is required")
    prefix, dot, _ = api_key.partition(".")
    client = (await repo.client_by_prefix(session, prefix)
              if dot and len(api_key) <= MAX_KEY_LEN and len(prefix) <= 16 else None)
    digest = sha256_hex(api_key)
    # Compared even without a client, so a wrong prefix costs the same as a wrong secret.
    matches = constant_time_equal(digest, client.api_key_hash if client else "0" * 64)
    if client is None or not matches or not client.is_active:
        raise forbidden("api_key 无效或已停用", "The api_key is invalid or disabled")
    return await load_client_principal(session, client.client_id, " ".join(client.scopes))


async def api_client(request: Request, session: SessionDep) -> Principal:
    """The dependency of a keyed route: its caller, by the `api_key` in the query string or the
    form body. Declared after the route's arguments, so a bad format or jurisdiction is still
    404 before a missing key is 403."""
    form = await request.form() if request.method == "POST" else None
    return await client_principal(session, Params(request.query_params, form).text("api_key"))
async def reader(session: AsyncSession, api_key: str | None, *, public_reads: bool
                 ) -> Principal | None:
    """Who reads: the client holding `api_key`, or None for anyone without a key while public
    reads are on (`GRID_OPEN311_PUBLIC_READS`). A key that is sent is always checked: a wrong
    or disabled one is 403, never read as no key, so a client with a typo in its key learns it
    instead of silently getting the public view."""
    if api_key is None and public_reads:
        return None
    return await client_principal(session, api_key)
