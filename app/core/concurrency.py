"""Optimistic concurrency: `version` in bodies, `ETag: "<version>"`, `If-Match` → 412, and a
version race lost at flush → 412 too."""

from __future__ import annotations

from typing import Annotated

from fastapi import Header, Response
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.exc import StaleDataError

from app.core.errors import PreconditionFailed

# `"<version>"` (the ETag a read returned), `W/"<version>"`, a comma-separated list of them, or
# `*`: anything else is a 422 (it could never match), a stale one a 412.
_ETAG = r'(W/)?"[0-9]{1,18}"'
IF_MATCH_PATTERN = rf"^(\*|{_ETAG}( *, *{_ETAG})*)$"
IfMatch = Annotated[str | None, Header(alias="If-Match", description='"<version>"',
                                       pattern=IF_MATCH_PATTERN)]


def etag(version: int) -> str:
    return f'"{version}"'


def set_etag(response: Response, version: int) -> None:
    response.headers["ETag"] = etag(version)


def check_if_match(if_match: str | None, version: int) -> None:
    """A stale `If-Match` fails; `*` or no header passes (the version column still guards races)."""
    if if_match is None:
        return
    candidates = [c.strip() for c in if_match.split(",")]
    if "*" in candidates:
        return
    wanted = {c.removeprefix("W/").strip('"') for c in candidates}
    if str(version) not in wanted:
        raise PreconditionFailed()


async def flush_versioned(session: AsyncSession) -> None:
    """Flush; a concurrent write that won the version race (the row's `version` moved since it
    was read) reads as a stale If-Match."""
    try:
        await session.flush()
    except StaleDataError as exc:
        raise PreconditionFailed() from exc
