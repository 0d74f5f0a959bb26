"""For tests marked `real_commits`, which go through the production session paths (the real
IMMEDIATE writers, SQLite's write lock, autocommit reads) on the shared test database."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, func, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from app.core.db import Database
from app.models import AuditEntry, AuditPurgeGate
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
            await delete_audit(s, AuditEntry.id > marks["audit_log"])
            for t in reversed(tables):
                if t.name not in ("audit_log", "audit_purge_gates"):
                    await s.execute(delete(t).where(t.c.id > marks[t.name]))


FAR_FUTURE = datetime(9999, 1, 1, tzinfo=UTC)


async def delete_audit(executor: AsyncConnection | AsyncSession, *where: Any) -> None:
    """Tests' own clean-up of audit entries they committed: through a purge gate opened and
    removed in the caller's transaction, as retention does (the log is otherwise
    append-only)."""
    await executor.execute(insert(AuditPurgeGate).values(cutoff=FAR_FUTURE))
    await executor.execute(delete(AuditEntry).where(*where))
    await executor.execute(delete(AuditPurgeGate))
