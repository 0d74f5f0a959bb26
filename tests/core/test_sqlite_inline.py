"""The inline SQLite driver: statements on the loop, and a write lock held by another process
waited for without blocking the loop."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import text

from app.core import sqlite_inline
from tests.conftest import IS_PG

pytestmark = pytest.mark.skipif(IS_PG, reason="SQLite driver")


async def _inline(path: Path) -> sqlite_inline.InlineConnection:
    conn: sqlite_inline.InlineConnection = await sqlite_inline.creator(str(path))()
    return conn


async def test_statements_run_and_fetch(tmp_path: Path):
    conn = await _inline(tmp_path / "a.db")
    await conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)")
    cur = conn.cursor()
    await cur.executemany("INSERT INTO t (v) VALUES (?)", [("a",), ("b",), ("c",)])
    await cur.execute("SELECT v FROM t ORDER BY id")
    assert await cur.fetchone() == ("a",)
    assert await cur.fetchmany(1) == [("b",)]
    assert await cur.fetchall() == [("c",)]
    assert cur.description[0][0] == "v"
    await conn.close()
    with pytest.raises(ValueError):
        conn.cursor()


async def test_begin_immediate_waits_for_another_process_without_blocking_the_loop(
        tmp_path: Path):
    path = tmp_path / "b.db"
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("PRAGMA journal_mode=WAL")
    other.execute("CREATE TABLE t (id INTEGER PRIMARY KEY)")
    other.execute("BEGIN IMMEDIATE")  # the worker process holds the write lock
    conn = await _inline(path)
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0.005)

    async def release_later() -> None:
        await asyncio.sleep(0.2)
        other.execute("COMMIT")

    tick_task = asyncio.create_task(ticker())
    release = asyncio.create_task(release_later())
    await conn.cursor().execute("BEGIN IMMEDIATE")
    await release
    tick_task.cancel()
    assert ticks >= 10  # the loop kept running while the lock was held elsewhere
    await conn.execute("INSERT INTO t DEFAULT VALUES")
    await conn.commit()
    cur = await conn.execute("PRAGMA busy_timeout")
    assert await cur.fetchall() == [(5000,)]  # restored for everything else
    await conn.close()
    other.close()


async def test_begin_immediate_gives_up_after_the_busy_timeout(tmp_path: Path, monkeypatch):
    path = tmp_path / "c.db"
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("PRAGMA journal_mode=WAL")
    other.execute("BEGIN IMMEDIATE")
    monkeypatch.setattr(sqlite_inline, "BUSY_TIMEOUT_S", 0.05)
    conn = await _inline(path)
    with pytest.raises(sqlite3.OperationalError, match="locked"):
        await conn.cursor().execute("BEGIN IMMEDIATE")
    other.execute("ROLLBACK")
    await conn.close()
    other.close()


@pytest.mark.parametrize("driver", ["aiosqlite", "inline"])
async def test_a_statement_marked_off_loop_runs_in_a_thread(tmp_path: Path, driver: str):
    import threading

    from sqlalchemy import event, func, select
    from sqlalchemy.ext.asyncio import create_async_engine

    from app.core.db import OFF_LOOP

    engine = create_async_engine(f"sqlite+{driver}:///{tmp_path}/d.db",
                                 async_creator=sqlite_inline.creator(str(tmp_path / "d.db")))
    event.listen(engine.sync_engine, "before_cursor_execute", sqlite_inline.mark_off_loop)

    @event.listens_for(engine.sync_engine, "connect")
    def _tid(dbapi_conn, _record):  # a SQL function answering the thread it runs in
        dbapi_conn.create_function("tid", 0, threading.get_ident)

    async with engine.connect() as conn:
        on_loop = (await conn.execute(select(func.tid()))).scalar()
        off_loop = (await conn.execute(select(func.tid()).execution_options(**OFF_LOOP))
                    ).scalar()
        again = (await conn.execute(select(func.tid()))).scalar()
    await engine.dispose()
    assert on_loop == again == threading.get_ident()
    assert off_loop != threading.get_ident()


async def test_the_app_engine_uses_the_inline_dialect_and_its_errors_are_sqlalchemys(
        tmp_path: Path):
    from sqlalchemy import text
    from sqlalchemy.exc import IntegrityError

    from app.core.db import make_engine
    from tests.conftest import make_settings

    engine = make_engine(make_settings(database_url=f"sqlite+aiosqlite:///{tmp_path}/e.db",
                                       sqlite_inline=True))  # whatever GRID_SQLITE_INLINE says
    assert engine.dialect.driver == "inline"
    async with engine.begin() as conn:
        await conn.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT UNIQUE)"))
        await conn.execute(text("INSERT INTO t (v) VALUES ('a')"))
        with pytest.raises(IntegrityError):  # raised in the greenlet, translated as usual
            await conn.execute(text("INSERT INTO t (v) VALUES ('a')"))
    async with engine.connect() as conn:
        rows = (await conn.execute(text("SELECT v FROM t"))).all()
        one = (await conn.execute(text("SELECT count(*) FROM t"))).scalar_one()
    await engine.dispose()
    assert [tuple(r) for r in rows] == [("a",)] and one == 1


@pytest.mark.skipif(IS_PG, reason="SQLite statements run on the event loop")
async def test_a_slow_statement_on_the_loop_is_logged_without_parameters(db, caplog):
    if db.engine.dialect.driver != "inline":
        pytest.skip("GRID_SQLITE_INLINE=false: statements run in aiosqlite's thread")
    slow = text("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < :n) "
                "SELECT count(*) FROM c")
    with caplog.at_level(logging.WARNING, logger="gridapi.db"):
        async with db.reading() as s:
            assert await s.scalar(slow, {"n": 20}) == 20
        assert not caplog.records  # quick: not logged
        async with db.reading() as s:
            assert await s.scalar(slow, {"n": 3_000_000}) == 3_000_000
    [record] = caplog.records
    assert record.getMessage() == "slow statement on the event loop"
    fields = record.fields  # type: ignore[attr-defined]
    assert fields["statement"].startswith("WITH RECURSIVE c(x)") and fields["ms"] > 100
    assert "3000000" not in str(fields)
