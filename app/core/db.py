"""Engine, session factory and the request's unit of work."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import ORMExecuteState, Session
from sqlalchemy.util.concurrency import await_

from app.core import reads, sqlite_inline
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
    # hide_parameters: a failed statement's error text (logged) never carries its values.
    kwargs: dict[str, Any] = {"echo": settings.db_echo, "hide_parameters": True}
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
        kwargs.update(pool_size=settings.db_pool_size, max_overflow=settings.db_max_overflow,
                      pool_recycle=1800, pool_timeout=settings.db_pool_timeout_seconds,
                      connect_args=_pg_timeouts(settings))
    engine = create_async_engine(url, **kwargs)
    if url.get_backend_name() == "postgresql":
        event.listen(engine.sync_engine, "handle_error", _drop_unanswered)
    if settings.is_sqlite:
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        event.listen(engine.sync_engine, "begin", _sqlite_begin)
        event.listen(engine.sync_engine, "before_cursor_execute", sqlite_inline.mark_off_loop)
        _hold_write_lock_until_end(engine)
    return engine


def _pg_timeouts(settings: Settings) -> dict[str, Any]:
    """A frozen server must not hang requests: connecting gives up after the connect timeout;
    a statement is cancelled by the server after the statement timeout and, should the server
    not answer at all, abandoned by asyncpg half a second later (`_drop_unanswered`)."""
    statement = settings.db_statement_timeout_seconds
    return {"timeout": settings.db_connect_timeout_seconds, "command_timeout": statement + 0.5,
            "server_settings": {"statement_timeout": str(int(statement * 1000))}}


def _drop_unanswered(ctx: Any) -> None:
    """asyncpg gave up waiting for the server (client-side timeout): the connection is in an
    unknown state. Close it at once, or SQLAlchemy's invalidation would first try a graceful
    close that waits 2 s more on a server that does not answer."""
    if isinstance(ctx.original_exception, TimeoutError) and ctx.connection is not None:
        with contextlib.suppress(Exception):
            ctx.connection.connection.driver_connection.terminate()
        ctx.is_disconnect = True


def _sqlite_begin(conn: Any) -> None:
    # A transaction that will write takes the write lock up front (IMMEDIATE): a deferred
    # transaction that read first and writes later fails at once (SQLITE_BUSY_SNAPSHOT) when
    # another connection committed in between; an immediate one waits its turn (busy_timeout).
    # This process's writers queue on `Database.write_lock` first, taken here — at the
    # transaction's first statement, not when the request starts — and given back when the
    # transaction ends (`_release_write_lock`).
    options = conn.get_execution_options()
    if not options.get("sqlite_immediate", False):
        conn.exec_driver_sql("BEGIN")
        return
    lock: asyncio.Lock | None = options.get("sqlite_write_lock")
    if lock is not None:
        await_(lock.acquire())
        conn.info["write_lock"] = lock
    try:
        conn.exec_driver_sql("BEGIN IMMEDIATE")
    except BaseException:
        _release_write_lock(conn.info)
        raise


def _release_write_lock(info: dict[str, Any]) -> None:
    lock: asyncio.Lock | None = info.pop("write_lock", None)
    if lock is not None:
        lock.release()


def _info_of(dbapi_conn: Any) -> dict[str, Any]:
    """The pooled connection's `.info`; the engine's first-connect check passes an entry
    without one, which never held the lock."""
    try:
        info = dbapi_conn.info
    except (AttributeError, NotImplementedError):
        return {}
    return info if isinstance(info, dict) else {}


def _hold_write_lock_until_end(engine: AsyncEngine) -> None:
    """Give the in-process write lock back once COMMIT or ROLLBACK has run. SQLAlchemy's
    `commit`/`rollback` connection events fire before the statement, and a waiter woken then
    would meet SQLite's own lock; so the dialect's own methods are wrapped. A connection that is
    invalidated or checked in without either still gives the lock back (pool events)."""
    dialect = engine.sync_engine.dialect
    for name in ("do_commit", "do_rollback"):
        inner = getattr(dialect, name)

        def ended(dbapi_conn: Any, _inner: Callable[[Any], None] = inner) -> None:
            try:
                _inner(dbapi_conn)
            finally:
                _release_write_lock(_info_of(dbapi_conn))

        setattr(dialect, name, ended)
    for name in ("checkin", "invalidate"):
        event.listen(engine.sync_engine.pool, name,
                     lambda _dbapi, record, *_: _release_write_lock(record.info))


def ensure_sqlite_dir(url: str) -> None:
    database = make_url(url).database
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)


class Database:
    """The engine and the one way to open a transaction.

    Inside a request the route class owns the unit of work (`get_session`). Everything else —
    worker, CLI, seed, import — opens its transaction with `writing()` (begins IMMEDIATE on
    SQLite, queued behind this process's other writers) or `reading()` (autocommit on
    PostgreSQL). The session factories stay private to this module."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        sqlite = engine.dialect.name == "sqlite"
        # SQLite has one writer at a time. Queueing this process's writers here costs nothing;
        # leaving them to SQLite's busy handler means sleeping and polling (long tails).
        self.write_lock: asyncio.Lock | None = asyncio.Lock() if sqlite else None
        writer = engine.execution_options(
            sqlite_immediate=True, sqlite_write_lock=self.write_lock) if sqlite else engine
        # Reads run in autocommit on PostgreSQL: no BEGIN and COMMIT round trips around a page
        # that is one SELECT.
        reader = engine.execution_options(isolation_level="AUTOCOMMIT") if (
            engine.dialect.name == "postgresql") else engine
        self._writer = async_sessionmaker(writer, expire_on_commit=False, autoflush=True,
                                          sync_session_class=WriteSession)
        # `reads.Read` sends its statements straight to the driver on these (autocommit only).
        self._reader = async_sessionmaker(
            reader, expire_on_commit=False, autoflush=True,
            info={reads.FAST_KEY: True} if engine.dialect.name == "postgresql" else None)
        # Every statement of a read session commits by itself (PostgreSQL): the unit of work
        # has nothing to commit at the end unless ORM objects wait to be flushed.
        self.reads_autocommit = engine.dialect.name == "postgresql"

    def session(self, *, writes: bool) -> AsyncSession:
        """A new session for a request's unit of work (`get_session`), or for `writing()` /
        `reading()`. Callers outside this module use those two."""
        return (self._writer if writes else self._reader)()

    @asynccontextmanager
    async def writing(self) -> AsyncIterator[AsyncSession]:
        """One write transaction: committed when the block ends, rolled back if it raises."""
        async with self.session(writes=True) as session:
            try:
                yield session
                await session.commit()
            except BaseException:
                await session.rollback()
                raise

    @asynccontextmanager
    async def reading(self) -> AsyncIterator[AsyncSession]:
        """A session that only reads (autocommit on PostgreSQL); nothing is committed."""
        async with self.session(writes=False) as session:
            yield session

    @asynccontextmanager
    async def bound_to(self, conn: AsyncConnection) -> AsyncIterator[None]:
        """Tests: every session joins `conn` (its commits become savepoint releases), so a
        test's outer transaction can roll everything back."""
        saved = self._writer, self._reader
        # Joined sessions run inside the test's transaction: never in autocommit.
        autocommit, self.reads_autocommit = self.reads_autocommit, False
        joined = async_sessionmaker(bind=conn, expire_on_commit=False,
                                    join_transaction_mode="create_savepoint",
                                    sync_session_class=WriteSession)
        self._writer = self._reader = joined
        try:
            yield
        finally:
            self._writer, self._reader = saved
            self.reads_autocommit = autocommit

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
    """The request's one session. `UnitOfWorkRoute` commits or rolls it back and closes it.
    On SQLite a writing request queues for the write lock at its first statement."""
    session: AsyncSession | None = getattr(request.state, "session", None)
    if session is None:
        db: Database = request.app.state.db
        writes = request.method not in ("GET", "HEAD", "OPTIONS")
        session = db.session(writes=writes)
        request.state.session = session
        request.state.session_autocommits = not writes and db.reads_autocommit
    return session


async def end_reads(session: AsyncSession) -> None:
    """End a unit of work's read-only part before slow work (a password hash, a call to
    WeChat): its connection, PostgreSQL transaction and SQLite's write lock go back, and the
    next statement begins anew. Refuses if the session has written anything: that must commit
    with the rest of the request."""
    if session.info.get("wrote") or session.new or session.dirty or session.deleted:
        raise RuntimeError("end_reads after a write: the request would no longer be atomic")
    if session.in_transaction():
        await session.commit()


class WriteSession(Session):
    """Sessions that may write note whether they did (`end_reads` needs it). Read sessions are
    plain: a `do_orm_execute` listener makes every execute build an ORMExecuteState."""


@event.listens_for(WriteSession, "do_orm_execute")
def _note_writes(state: ORMExecuteState) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        state.session.info["wrote"] = True


@event.listens_for(WriteSession, "after_flush")
def _note_flush(session: Session, _context: Any) -> None:
    session.info["wrote"] = True


@event.listens_for(WriteSession, "after_commit")
@event.listens_for(WriteSession, "after_rollback")
def _reset_writes(session: Session) -> None:
    session.info.pop("wrote", None)


SessionDep = Annotated[AsyncSession, Depends(get_session)]
