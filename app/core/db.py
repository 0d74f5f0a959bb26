"""Engine, session factory and the request's unit of work."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from app.core import sqlite_inline
from app.core.config import Settings


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    # Let SQLAlchemy, not the driver, decide when transactions begin (makes SAVEPOINT work).
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=5000")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


# `stmt.execution_options(**OFF_LOOP)` marks a long statement (a district-wide aggregate): on
# SQLite it runs in a thread instead of on the event loop; elsewhere it changes nothing.
OFF_LOOP = sqlite_inline.OFF_LOOP


def make_engine(settings: Settings) -> AsyncEngine:
    kwargs: dict[str, Any] = {"echo": settings.db_echo}
    if settings.is_sqlite:
        ensure_sqlite_dir(settings.database_url)
        # Every session ends its transaction before the connection goes back (the unit of
        # work commits or rolls back, `close()` rolls back the rest), so the pool's own
        # reset-on-return rollback would be one more thread hop per request for nothing.
        kwargs.update(pool_reset_on_return=None)
    url = make_url(settings.database_url)
    if settings.is_sqlite:
        if settings.sqlite_inline and url.database:
            kwargs.update(async_creator=sqlite_inline.creator(url.database))
            url = url.set(drivername="sqlite+inline")
    else:
        # No pre-ping (a round trip per checkout); stale connections are recycled instead.
        kwargs.update(pool_size=settings.db_pool_size, pool_recycle=1800)
    engine = create_async_engine(url, **kwargs)
    if settings.is_sqlite:
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        event.listen(engine.sync_engine, "begin", _sqlite_begin)
        event.listen(engine.sync_engine, "before_cursor_execute", sqlite_inline.mark_off_loop)
    return engine


def _sqlite_begin(conn: Any) -> None:
    # A request that will write takes the write lock up front (IMMEDIATE): a deferred
    # transaction that read first and writes later fails at once (SQLITE_BUSY_SNAPSHOT) when
    # another connection committed in between; an immediate one waits its turn (busy_timeout).
    immediate = conn.get_execution_options().get("sqlite_immediate", False)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def ensure_sqlite_dir(url: str) -> None:
    database = make_url(url).database
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)


class Database:
    """Holds the engine and how sessions are made; tests swap both factories."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.session_factory: Callable[[], AsyncSession] = async_sessionmaker(
            engine, expire_on_commit=False, autoflush=True
        )
        # Sessions of requests that write (POST, PUT, PATCH, DELETE). On SQLite they begin
        # IMMEDIATE; elsewhere they are ordinary sessions.
        writer = engine.execution_options(sqlite_immediate=True) if (
            engine.dialect.name == "sqlite") else engine
        self.write_session_factory: Callable[[], AsyncSession] = async_sessionmaker(
            writer, expire_on_commit=False, autoflush=True
        )
        # Sessions of requests that only read (GET, HEAD, OPTIONS). On PostgreSQL they run in
        # autocommit: no BEGIN and COMMIT round trips around a page that is one SELECT.
        reader = engine.execution_options(isolation_level="AUTOCOMMIT") if (
            engine.dialect.name == "postgresql") else engine
        self.read_session_factory: Callable[[], AsyncSession] = async_sessionmaker(
            reader, expire_on_commit=False, autoflush=True
        )
        # SQLite has one writer at a time. Queueing this process's writers here costs nothing;
        # leaving them to SQLite's busy handler means sleeping and polling (long tails).
        self.write_lock: asyncio.Lock | None = (
            asyncio.Lock() if engine.dialect.name == "sqlite" else None
        )

    async def dispose(self) -> None:
        await self.engine.dispose()


_TX_CONTROL = ("BEGIN", "SAVEPOINT", "RELEASE", "ROLLBACK", "COMMIT")


def count_statements(engine: Engine, counter: list[int]) -> Callable[[], None]:
    """Count SQL statements sent on `engine` (for tests and benches); returns a remover."""

    def _before(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        # Transaction control (BEGIN, SAVEPOINT, RELEASE) is not a query.
        if not statement.lstrip().upper().startswith(_TX_CONTROL):
            counter[0] += 1

    event.listen(engine, "before_cursor_execute", _before)
    return lambda: event.remove(engine, "before_cursor_execute", _before)


async def get_session(request: Request) -> AsyncSession:
    """The request's one session. `UnitOfWorkRoute` commits or rolls it back and closes it."""
    session: AsyncSession | None = getattr(request.state, "session", None)
    if session is None:
        db: Database = request.app.state.db
        writes = request.method not in ("GET", "HEAD", "OPTIONS")
        if writes and db.write_lock is not None:
            await db.write_lock.acquire()
            request.state.write_lock = db.write_lock  # released by UnitOfWorkRoute
        session = (db.write_session_factory if writes else db.read_session_factory)()
        request.state.session = session
    return session


SessionDep = Annotated[AsyncSession, Depends(get_session)]
