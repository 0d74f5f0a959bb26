"""For tests marked `real_commits`, which go through the production session paths (the real
IMMEDIATE writers, SQLite's write lock, autocommit reads) on the shared test database."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from sqlalchemy import delete, func, select

from app.core.db import Database
from app.models.base import Base
from app.models.identity import WechatLogin


@contextlib.asynccontextmanager
async def committed_rows_removed(db: Database) -> AsyncIterator[dict[str, int]]:
    """Every row committed meanwhile goes afterwards (by id above the high-water mark taken
    first; WeChat code exchanges by time). Yields the marks."""
    tables = [t for t in Base.metadata.sorted_tables if "id" in t.c]
    async with db.reading() as s:
        marks = {t.name: await s.scalar(select(func.coalesce(func.max(t.c.id), 0)))
                 for t in tables}
        since = await s.scalar(select(func.max(WechatLogin.created_at)))
    try:
        yield marks
    finally:
        async with db.writing() as s:
            await s.execute(delete(WechatLogin).where(
                WechatLogin.created_at > since if since is not None else True))
            for t in reversed(tables):
                await s.execute(delete(t).where(t.c.id > marks[t.name]))
