"""SQLite on the event loop: a driver connection with aiosqlite's interface that runs each
statement inline instead of handing it to a thread.

Why: aiosqlite crosses to its thread and back for every cursor, execute, fetch and close — four
hops per statement, each 0.2–0.45 ms on these machines under load (PERFORMANCE.md), which made
SQLite requests several times slower than the same SQL sent directly. SQLite statements on a
local file with the right indexes take microseconds, so running them on the loop is cheaper
than any hop. What must never block the loop is waiting for a lock held by another process
(the worker): `BEGIN IMMEDIATE` is therefore tried without SQLite's busy handler and retried
with `asyncio.sleep` until the busy timeout, so other requests keep being served meanwhile.

SQLAlchemy's aiosqlite dialect takes it through `create_async_engine(async_creator=...)`; the
`sqlite+inline` dialect below (a subclass of it) also skips the adapter's greenlet round trips:
each `await_` of an awaitable that never waits still switches greenlets twice, six times per
statement (now two), which cost ~0.2 ms a statement here — more than most statements
themselves.
Statements known to be long (district-wide aggregates) opt out per statement with the `OFF_LOOP`
execution option and run in a thread, as aiosqlite would.
"""

from __future__ import annotations

import asyncio
import collections
import logging
import sqlite3
import time
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy.dialects import registry
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
    AsyncAdapt_aiosqlite_dbapi,
    SQLiteDialect_aiosqlite,
)
from sqlalchemy.util.concurrency import await_

BUSY_TIMEOUT_S = 5.0
SLOW_ON_LOOP_S = 0.1  # longer than this on the loop is logged (`_note_if_slow`)
log = logging.getLogger("gridapi.db")
# `stmt.execution_options(**OFF_LOOP)`: run this statement off the event loop (SQLite inline).
OFF_LOOP = {"sqlite_off_loop": True}
_LOCKED = ("database is locked", "database table is locked")


class InlineCursor:
    """A sqlite3 cursor behind aiosqlite's awaitable methods.

    `offload` (set per statement from the `OFF_LOOP` execution option, see app/core/db.py)
    runs that statement and its fetch in a worker thread instead: a dashboard aggregate over
    the whole district takes long enough (0.5–1 s at 200,000 cases) to stall every other
    request if it ran on the loop."""

    offload = False

    def __init__(self, cursor: sqlite3.Cursor) -> None:
        self._cursor = cursor

    async def __aenter__(self) -> InlineCursor:
        return self

    async def __aexit__(self, *_exc: object) -> None:
        self._cursor.close()

    @property
    def description(self) -> Any:
        return self._cursor.description

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount

    @property
    def lastrowid(self) -> int | None:
        return self._cursor.lastrowid

    @property
    def arraysize(self) -> int:
        return self._cursor.arraysize

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        self._cursor.arraysize = value

    async def execute(self, sql: str, parameters: Any = ()) -> InlineCursor:
        if _begins_immediate(sql):
            await _begin_immediate(self._cursor, sql)
        elif self.offload:
            await asyncio.to_thread(self._cursor.execute, sql, parameters)
        else:
            self._cursor.execute(sql, parameters)
        return self

    async def executemany(self, sql: str, seq_of_parameters: Any) -> InlineCursor:
        self._cursor.executemany(sql, seq_of_parameters)
        return self

    async def fetchone(self) -> Any:
        return self._cursor.fetchone()

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        return self._cursor.fetchmany(size if size is not None else self._cursor.arraysize)

    async def fetchall(self) -> list[Any]:
        if self.offload:
            return await asyncio.to_thread(self._cursor.fetchall)
        return self._cursor.fetchall()

    async def close(self) -> None:
        self._cursor.close()


def _begins_immediate(sql: str) -> bool:
    return sql.lstrip()[:15].upper() == "BEGIN IMMEDIATE"


async def _begin_immediate(cursor: sqlite3.Cursor, sql: str) -> None:
    """Take the write lock without blocking the loop while another process holds it."""
    deadline = time.monotonic() + BUSY_TIMEOUT_S
    delay = 0.001
    cursor.execute("PRAGMA busy_timeout=0")
    try:
        while True:
            try:
                cursor.execute(sql)
                return
            except sqlite3.OperationalError as error:
                if not str(error).startswith(_LOCKED) or time.monotonic() >= deadline:
                    raise
            await asyncio.sleep(delay)
            delay = min(delay * 2, 0.05)
    finally:
        cursor.execute(f"PRAGMA busy_timeout={int(BUSY_TIMEOUT_S * 1000)}")


def _note_if_slow(sql: str, seconds: float) -> None:
    """A statement that held the event loop longer than SLOW_ON_LOOP_S stalled every other
    request of the process: name it (its first words; never its parameters, which may be
    personal data) so it can be marked OFF_LOOP or given an index."""
    if seconds > SLOW_ON_LOOP_S:
        log.warning("slow statement on the event loop", extra={"fields": {
            "statement": " ".join(sql.split())[:160], "ms": round(seconds * 1000, 1)}})


class _RunNow:
    """Stands in for aiosqlite's request queue, which SQLAlchemy uses to set isolation_level."""

    def put_nowait(self, item: tuple[asyncio.Future[Any], Callable[[], Any]]) -> None:
        future, function = item
        try:
            future.set_result(function())
        except Exception as error:  # handed to the awaiting caller, as aiosqlite does
            future.set_exception(error)


class InlineConnection:
    """A sqlite3 connection with the parts of aiosqlite.Connection SQLAlchemy uses."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn: sqlite3.Connection | None = conn
        self._tx = _RunNow()

    @property
    def _connection(self) -> sqlite3.Connection | None:
        return self._conn

    def _live(self) -> sqlite3.Connection:
        if self._conn is None:
            raise ValueError("no active connection")
        return self._conn

    @property
    def isolation_level(self) -> str | None:
        return self._live().isolation_level

    def cursor(self) -> InlineCursor:
        return InlineCursor(self._live().cursor())

    async def execute(self, sql: str, parameters: Sequence[Any] = ()) -> InlineCursor:
        return await self.cursor().execute(sql, parameters)

    async def commit(self) -> None:
        self._live().commit()

    async def rollback(self) -> None:
        self._live().rollback()

    async def create_function(self, *args: Any, **kw: Any) -> None:
        self._live().create_function(*args, **kw)

    async def close(self) -> None:
        self.stop()

    def stop(self) -> None:
        """Terminate (aiosqlite ≥ 0.22): nothing runs elsewhere, so it is a close."""
        if self._conn is not None:
            self._conn.close()
            self._conn = None


def mark_off_loop(_conn: Any, cursor: Any, _statement: str, _parameters: Any, context: Any,
                  _executemany: bool) -> None:
    """`before_cursor_execute` listener: hands the statement's OFF_LOOP option to its cursor
    (SQLAlchemy makes a cursor per statement, so the mark never outlives it)."""
    if context is not None and context.execution_options.get("sqlite_off_loop"):
        inner = getattr(cursor, "_cursor", None)
        if isinstance(inner, InlineCursor):
            inner.offload = True


def creator(database: str) -> Callable[[], Any]:
    """`async_creator` for create_async_engine: a new inline connection to `database`."""

    async def connect() -> InlineConnection:
        # check_same_thread=False: the pool may close a connection from a finalizer thread.
        conn = sqlite3.connect(database, isolation_level=None, check_same_thread=False,
                               timeout=BUSY_TIMEOUT_S)
        return InlineConnection(conn)

    return connect


async def _nothing() -> None:
    return None


class _AdaptedCursor(AsyncAdapt_aiosqlite_cursor):
    """SQLAlchemy's cursor adapter with the statement run right here, in its greenlet: no
    `await_` (two greenlet switches each) for a call that cannot wait. A statement that can
    (`BEGIN IMMEDIATE`, an OFF_LOOP one) takes the adapter's awaiting path as before."""

    __slots__ = ()

    def _aenter_cursor(self, cursor: Any) -> Any:
        return cursor  # InlineCursor.__aenter__ does nothing

    def execute(self, operation: Any, parameters: Any = None) -> Any:
        inline: InlineCursor = self._cursor  # type: ignore[assignment]
        if inline.offload or _begins_immediate(operation):
            return super().execute(operation, parameters)
        started = time.perf_counter()
        try:
            raw = inline._cursor
            raw.execute(operation, () if parameters is None else parameters)
            if raw.description is not None:
                self._rows = collections.deque(raw.fetchall())
        except Exception as error:
            self._adapt_connection._handle_exception(error)
        finally:
            _note_if_slow(operation, time.perf_counter() - started)
        # One no-op await: AsyncConnection.execute insists that the driver awaited something
        # (a check for sync drivers). Two switches, not six.
        await_(_nothing())
        return None

    def executemany(self, operation: Any, seq_of_parameters: Any) -> Any:
        inline: InlineCursor = self._cursor  # type: ignore[assignment]
        try:
            inline._cursor.executemany(operation, seq_of_parameters)
        except Exception as error:
            self._adapt_connection._handle_exception(error)
        return None

    def close(self) -> None:
        self._rows.clear()
        inline: InlineCursor = self._cursor  # type: ignore[assignment]
        inline._cursor.close()


class _AdaptedConnection(AsyncAdapt_aiosqlite_connection):
    __slots__ = ()
    _cursor_cls = _AdaptedCursor

    def commit(self) -> None:
        self._end("commit")

    def rollback(self) -> None:
        self._end("rollback")

    def _end(self, how: str) -> None:
        conn = self._connection._connection
        if conn is not None:
            try:
                getattr(conn, how)()
            except Exception as error:
                self._handle_exception(error)


class _DBAPI(AsyncAdapt_aiosqlite_dbapi):
    def connect(self, *arg: Any, **kw: Any) -> _AdaptedConnection:
        creator = kw.pop("async_creator_fn", None)
        if creator is None:
            raise TypeError("sqlite+inline connects through async_creator (see creator())")
        return _AdaptedConnection(self, await_(creator(*arg, **kw)))


class InlineDialect(SQLiteDialect_aiosqlite):
    """`sqlite+inline`: the aiosqlite dialect over `InlineConnection` (see the module text)."""

    driver = "inline"
    supports_statement_cache = True

    @classmethod
    def import_dbapi(cls) -> AsyncAdapt_aiosqlite_dbapi:
        return _DBAPI(__import__("aiosqlite"), __import__("sqlite3"))


registry.register("sqlite.inline", __name__, "InlineDialect")
