"""Append-only rows a write records beside its change (timeline entries, outbox events, audit
entries), inserted as Core statements built once per shape.

A case report writes three such rows; as ORM objects their construction and flush cost more
than the case's own INSERT. On PostgreSQL the rows go in one statement, INSERTs chained as
data-modifying CTEs, and deferred rows ride along with the transaction's last statement (the
idempotency key's completion): a report's side rows cost no round trip of their own. SQLite
runs in the process: one prebuilt INSERT per row costs no round trip.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Table, bindparam, event, insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session, SessionTransaction

from app.models.base import with_defaults

NewRow = tuple[Table, dict[str, Any]]
Statement = tuple[Any, dict[str, Any]]  # a prebuilt DML statement and its parameters
_PENDING = "rows.pending"
_SINGLE: dict[str, Any] = {}
_CHAINS: dict[Any, Any] = {}
_MAX_CHAINS = 256  # shapes come from code paths, not data; the bound is a guard


async def insert_all(session: AsyncSession, rows: Sequence[NewRow]) -> None:
    """Insert `rows` (table, column values; model defaults fill the rest) now, in order."""
    conn = await session.connection()
    for stmt, params in _plan(conn.dialect.name, _filled(rows), None):
        await conn.execute(stmt, params)


def defer(session: AsyncSession, rows: Sequence[NewRow]) -> None:
    """Queue `rows` for the end of the transaction: `write_pending` (the unit of work calls it
    before committing) or, at the latest, the session's commit. Like objects given to
    `session.add` before a flush, queries in the transaction do not see them until then."""
    sync = session.sync_session
    if not sync.in_transaction():
        sync.begin()  # no I/O yet: the rows belong to a transaction, and its rollback drops them
    sync.info.setdefault(_PENDING, []).extend(_filled(rows))
    sync.info["wrote"] = True  # see core.db.end_reads


def has_pending(session: AsyncSession) -> bool:
    """Whether rows are queued for the transaction's end (`defer`)."""
    return bool(session.sync_session.info.get(_PENDING))


async def write_pending(session: AsyncSession, then: Statement | None = None) -> None:
    """Write the queued rows, then `then`, in one statement on PostgreSQL."""
    await session.flush()  # the ORM's pending objects first: queued rows may refer to them
    pending = session.sync_session.info.pop(_PENDING, [])
    conn = await session.connection()
    for stmt, params in _plan(conn.dialect.name, pending, then):
        await conn.execute(stmt, params)


@event.listens_for(Session, "before_commit")
def _write_at_commit(session: Session) -> None:
    """A session committed outside the unit of work (the worker, the CLI) still writes what it
    queued. Runs inside AsyncSession.commit's greenlet, where the sync API can execute."""
    pending = session.info.pop(_PENDING, None)
    if pending:
        session.flush()
        conn = session.connection()
        for stmt, params in _plan(conn.dialect.name, pending, None):
            conn.execute(stmt, params)


@event.listens_for(Session, "after_transaction_end")
def _forget_at_rollback(session: Session, transaction: SessionTransaction) -> None:
    """Rows queued in a transaction that rolled back go with it: a session used again after a
    rollback (the worker's loop, say) must not write them with its next commit."""
    if transaction.parent is None:
        session.info.pop(_PENDING, None)


def _filled(rows: Sequence[NewRow]) -> list[NewRow]:
    return [(table, with_defaults(table, values)) for table, values in rows]


def _plan(dialect: str, rows: list[NewRow], then: Statement | None) -> list[Statement]:
    """The statements that write `rows` and then run `then`: one on PostgreSQL, one per row
    (and `then`) elsewhere."""
    if dialect != "postgresql" or len(rows) + (then is not None) < 2:
        plan: list[Statement] = [(_single(table), values) for table, values in rows]
        return [*plan, then] if then is not None else plan
    shape = (tuple((table.name, tuple(values)) for table, values in rows),
             id(then[0]) if then is not None else None)
    stmt = _CHAINS.get(shape)
    if stmt is None:
        if len(_CHAINS) >= _MAX_CHAINS:
            _CHAINS.clear()
        stmt = _CHAINS[shape] = _chain(rows, then[0] if then is not None else None)
    params = {f"r{i}_{key}": value for i, (_, values) in enumerate(rows)
              for key, value in values.items()}
    if then is not None:
        params.update(then[1])
    return [(stmt, params)]


def _single(table: Table) -> Any:
    stmt = _SINGLE.get(table.name)
    if stmt is None:
        stmt = _SINGLE[table.name] = insert(table)
    return stmt


def _chain(rows: Sequence[NewRow], last: Any) -> Any:
    """WITH r0 AS (INSERT …), r1 AS (INSERT …) <last>: every row's values are bound
    parameters named r<i>_<column>, typed by their columns (asyncpg is told each type). Without
    `last`, the last row's INSERT is the statement itself."""
    inserts = [
        insert(table).values({key: bindparam(f"r{i}_{key}", type_=table.c[key].type)
                              for key in values})
        for i, (table, values) in enumerate(rows)
    ]
    if last is None:
        last = inserts.pop()
    return last.add_cte(*(stmt.cte(f"r{i}") for i, stmt in enumerate(inserts)))
