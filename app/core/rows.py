"""Append-only rows a write records beside its change (timeline entries, outbox events, audit
entries), inserted as Core statements built once per shape.

A case report writes three such rows; as ORM objects their construction and flush cost more
than the case's own INSERT. On PostgreSQL the rows of one call go in one statement, INSERTs
chained as data-modifying CTEs, so three rows are one round trip instead of three. SQLite
runs in the process: one prebuilt INSERT per row costs no round trip.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Table, bindparam, insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.models.base import with_defaults

NewRow = tuple[Table, dict[str, Any]]
_SINGLE: dict[str, Any] = {}
_CHAINS: dict[tuple[tuple[str, tuple[str, ...]], ...], Any] = {}
_MAX_CHAINS = 256  # shapes come from code paths, not data; the bound is a guard


async def insert_all(session: AsyncSession, rows: Sequence[NewRow]) -> None:
    """Insert `rows` (table, column values; model defaults fill the rest) in the session's
    transaction, in order."""
    filled = [(table, with_defaults(table, values)) for table, values in rows]
    conn = await session.connection()
    if conn.dialect.name != "postgresql" or len(filled) < 2:
        for table, values in filled:
            stmt = _SINGLE.get(table.name)
            if stmt is None:
                stmt = _SINGLE[table.name] = insert(table)
            await conn.execute(stmt, values)
        return
    shape = tuple((table.name, tuple(values)) for table, values in filled)
    stmt = _CHAINS.get(shape)
    if stmt is None:
        if len(_CHAINS) >= _MAX_CHAINS:
            _CHAINS.clear()
        stmt = _CHAINS[shape] = _chain(filled)
    await conn.execute(stmt, {f"r{i}_{key}": value for i, (_, values) in enumerate(filled)
                              for key, value in values.items()})


def _chain(rows: Sequence[NewRow]) -> Any:
    """WITH r0 AS (INSERT …), r1 AS (INSERT …) INSERT …: every row's values are bound
    parameters named r<i>_<column>, typed by their columns (asyncpg is told each type)."""
    inserts = [
        insert(table).values({key: bindparam(f"r{i}_{key}", type_=table.c[key].type)
                              for key in values})
        for i, (table, values) in enumerate(rows)
    ]
    last = inserts[-1]
    return last.add_cte(*(stmt.cte(f"r{i}") for i, stmt in enumerate(inserts[:-1])))
