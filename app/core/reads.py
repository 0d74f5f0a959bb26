"""Compiled reads: a SELECT built once, compiled once per dialect, sent straight to the driver.

A statement through the async ORM session costs, per execution, a cache key over the whole
statement, an execution context, a cursor result, row processing and two greenlet hand-offs —
measured on `GET /me`, more than the driver's own work and the database's together (see
bench/instructions.py). A `Read` skips all of it where that is safe: on a read session in
autocommit (PostgreSQL's GET requests) it sends the compiled SQL with asyncpg's `fetch` and
applies the same type processors SQLAlchemy would. Everywhere else — write sessions (their
transaction belongs to SQLAlchemy), SQLite, the test suite's joined sessions — it runs the same
statement through `session.execute`. Either way the caller gets the same named tuples.

Use it for reads a bench in bench/ shows are hot (the principal, `GET /me`); everything else
stays on the plain ORM path. Statements must have no expanding (IN-list) parameters.
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import Select, visitors
from sqlalchemy.sql.elements import BindParameter

K = TypeVar("K", bound=Hashable)
AnySelect = Select[*tuple[Any, ...]]
DRIVER_KEY = "reads.driver"
FAST_KEY = "reads.autocommit"  # set on sessions of the autocommit read factory (core/db.py)
_OIDS: dict[str, tuple[int, ...]] = {}  # the result types the server reported, by SQL text
_MAX_OIDS = 4096  # SQL texts come from code and scope shapes, not data; the bound is a guard
ENABLED = [True]  # bench/ compares the two paths in one process; nothing else changes it


@dataclass(frozen=True, slots=True)
class _Plan:
    sql: str
    params: tuple[tuple[str | None, Any, Callable[[Any], Any] | None], ...]  # key, const, bind
    results: tuple[Callable[[Any], Any] | None, ...]


class Read:
    """A SELECT with named `bindparam`s, run with `await READ.all(session, name=value)`."""

    def __init__(self, stmt: AnySelect) -> None:
        if any(isinstance(e, BindParameter) and e.expanding for e in visitors.iterate(stmt)):
            raise ValueError("Read: expanding (IN-list) parameters are not supported")
        self.stmt = stmt
        # Rows with the columns' keys as attributes, whichever path made them.
        self.row: Any = namedtuple("Row", list(stmt.selected_columns.keys()), rename=True)  # type: ignore[misc]
        self._plan: _Plan | None = None  # the fast path is PostgreSQL's only

    async def all(self, session: AsyncSession, **params: Any) -> list[Any]:
        if ENABLED[0] and session.info.get(FAST_KEY):
            return await self._fetch(session, params)
        make = self.row._make
        return [make(r) for r in await session.execute(self.stmt, params)]

    async def first(self, session: AsyncSession, **params: Any) -> Any | None:
        rows = await self.all(session, **params)
        return rows[0] if rows else None

    async def _fetch(self, session: AsyncSession, params: dict[str, Any]) -> list[Any]:
        # The session's connection, while the session holds it: a commit or rollback gives it
        # back to the pool, and the next statement must take the session's next connection.
        found: tuple[Any, Connection, Any] | None = session.info.get(DRIVER_KEY)
        if found is None or found[2] is not session.get_transaction():
            conn = await session.connection()
            raw = (await conn.get_raw_connection()).driver_connection
            assert conn.sync_connection is not None  # an open connection has one
            found = session.info[DRIVER_KEY] = (raw, conn.sync_connection,
                                                session.get_transaction())
        driver, sync_conn, _ = found
        make = self.row._make
        try:
            plan = self._plan or await self._compile(sync_conn.dialect, driver)
            args = [(bind(params[key] if key is not None else const) if bind is not None
                     else (params[key] if key is not None else const))
                    for key, const, bind in plan.params]
            if sync_conn.dispatch.before_cursor_execute:  # statement counters (tests, bench/)
                sync_conn.dispatch.before_cursor_execute(sync_conn, None, plan.sql, tuple(args),
                                                         None, False)
            records = await driver.fetch(plan.sql, *args)
        except Exception as error:
            session.info.pop(DRIVER_KEY, None)
            if _server_side(error):
                raise sa_exc.DBAPIError(self._sql(sync_conn.dialect), None,
                                        error) from error
            # The connection failed below SQL (cut, reset, timed out): make sure it is dead,
            # then let SQLAlchemy meet it, so that it invalidates the connection and the pool
            # and raises its disconnect error (503) as on any other path. Fails at once.
            driver.terminate()
            return [make(r) for r in await session.execute(self.stmt, params)]
        procs = plan.results
        if not any(procs):
            return [make(r) for r in records]
        return [make([v if p is None else p(v) for p, v in zip(procs, r, strict=True)])
                for r in records]

    async def _compile(self, dialect: Dialect, driver: Any) -> _Plan:
        self._plan = await _plan(self.stmt, dialect, driver)
        return self._plan

    def _sql(self, dialect: Dialect) -> str:
        return self._plan.sql if self._plan else str(self.stmt.compile(dialect=dialect))


class Shaped(Generic[K]):
    """A family of `Read`s that differ only in shape — e.g. the number of subtrees a caller's
    scope spans — each built and compiled on first use. `build(shape)` returns the statement;
    the values, scope paths included, are parameters, so every caller of a shape shares it."""

    MAX_SHAPES = 256  # shapes come from scopes (a handful of grants), not data

    def __init__(self, build: Callable[[K], AnySelect]) -> None:
        self._build = build
        self._reads: dict[K, Read] = {}

    def __getitem__(self, shape: K) -> Read:
        read = self._reads.get(shape)
        if read is None:
            if len(self._reads) >= self.MAX_SHAPES:
                raise ValueError(f"Shaped read: more than {self.MAX_SHAPES} shapes")
            read = self._reads[shape] = Read(self._build(shape))
        return read


async def _plan(stmt: AnySelect, dialect: Dialect, driver: Any) -> _Plan:
    compiled = stmt.compile(dialect=dialect)
    params = []
    for name in compiled.positiontup or []:
        bind = compiled.binds[name]
        given = bind.value is None and bind.callable is None
        params.append((bind.key if given else None, None if given else bind.effective_value,
                       bind.type.dialect_impl(dialect).bind_processor(dialect)))
    # Some result processors depend on the type the server reports (a float column read as
    # float8 or numeric): ask it once per SQL text, as SQLAlchemy's cursor description would.
    oids = _OIDS.get(compiled.string)
    if oids is None:
        described = (await driver.prepare(compiled.string)).get_attributes()
        oids = tuple(attr.type.oid for attr in described)
        if len(_OIDS) < _MAX_OIDS:
            _OIDS[compiled.string] = oids
    results = tuple(col.type.dialect_impl(dialect).result_processor(dialect, oid)
                    for col, oid in zip(stmt.selected_columns, oids, strict=True))
    return _Plan(compiled.string, tuple(params), results)


def _server_side(error: Exception) -> bool:
    """An error the server answered with on a connection that stays usable (not 08xxx
    connection exceptions, not 57Pxx shutdowns)."""
    import asyncpg  # only PostgreSQL sessions get here

    return isinstance(error, asyncpg.PostgresError) and not str(
        getattr(error, "sqlstate", "")).startswith(("08", "57P"))
