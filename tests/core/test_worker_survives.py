"""The worker outlives database errors: a failing sweep, a failing claim, SQLite's write lock
taken by the API between a read and a write, and a database that goes away for a while."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy import event, func, select
from sqlalchemy.engine import make_url

from app.core import outbox
from app.core.db import Database, make_engine
from app.core.permissions import Role
from app.main import create_app
from app.models import OutboxEvent
from tests.cases.helpers import API, body, grid_index
from tests.conftest import DATABASE_URL, IS_PG, make_settings
from tests.factories import World
from tests.realdb import committed_rows_removed


@pytest.fixture
def handlers():
    saved_handlers, saved_periodic = dict(outbox.HANDLERS), list(outbox.PERIODIC)
    yield outbox.HANDLERS
    outbox.HANDLERS.clear()
    outbox.HANDLERS.update(saved_handlers)
    outbox.PERIODIC[:] = saved_periodic


@contextlib.asynccontextmanager
async def running(ctx: outbox.WorkerContext) -> AsyncIterator[asyncio.Task[None]]:
    task = asyncio.create_task(outbox.run_forever(ctx, idle_seconds=0.05, max_backoff=0.2))
    try:
        yield task
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def _wait_until(check: Any, seconds: float) -> None:
    deadline = asyncio.get_running_loop().time() + seconds
    while not await check():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.05)


class TestLoopGuard:
    async def test_failing_sweep_and_claim_do_not_end_the_worker(self, db, handlers,
                                                                 worker_ctx, monkeypatch):
        seen: list[int] = []
        sweeps = {"runs": 0}

        @outbox.handles("test.guard")
        async def ok(ev: OutboxEvent, _ctx: outbox.WorkerContext) -> None:
            seen.append(ev.payload["n"])

        async def broken_sweep(_ctx: outbox.WorkerContext) -> None:
            sweeps["runs"] += 1
            raise RuntimeError("sweep bug")

        outbox.PERIODIC[:] = [("broken", 0.0, broken_sweep)]
        real_claim, failures = outbox.claim, {"left": 3}

        async def flaky_claim(d: Database, batch: int = 20) -> list[OutboxEvent]:
            if failures["left"]:
                failures["left"] -= 1
                raise ConnectionResetError("database went away")
            return await real_claim(d, batch)

        monkeypatch.setattr(outbox, "claim", flaky_claim)
        async with db.writing() as s:
            for i in range(3):
                outbox.enqueue(s, "test.guard", {"n": i})
        async with running(worker_ctx) as task:
            async def delivered() -> bool:
                return sorted(seen) == [0, 1, 2]
            await _wait_until(delivered, 10)
            assert not task.done()
        assert failures["left"] == 0 and sweeps["runs"] >= 2  # retried after backing off


@pytest.mark.real_commits
async def test_worker_keeps_delivering_while_the_api_commits(db, world: World, auth, settings,
                                                             handlers):
    """The worker on its own engine (as its own process would be) against the database the
    API writes to without pause. On SQLite the worker's claim used to read in a deferred
    transaction and fail with "database is locked" when a request committed in between.
    Deliveries are recorded instead of sent (the fixture world's webhook receivers are not
    listening); fan-out keeps its real handler, so the worker writes as well as reads."""
    delivered: list[int] = []

    async def record(ev: OutboxEvent, _ctx: outbox.WorkerContext) -> None:
        delivered.append(ev.id)

    fan_out = handlers.get("webhook.fanout")
    for topic in list(handlers):
        handlers[topic] = record
    if fan_out is not None:
        handlers["webhook.fanout"] = fan_out
    seconds = 6.0 if IS_PG else 20.0
    worker_db = Database(make_engine(settings))
    app = create_app(make_settings(), Database(db.engine))
    worker = grid_worker = world.user(Role.grid_worker, "s1c1g1")
    k = grid_index(world, "s1c1g1")
    async with committed_rows_removed(db) as marks, httpx.AsyncClient() as http, httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://t") as api:
        ctx = outbox.WorkerContext(db=worker_db, settings=settings, http=http)
        async with running(ctx) as task:
            loop, reported = asyncio.get_running_loop(), 0
            stop = loop.time() + seconds
            while loop.time() < stop:
                r = await api.post(f"{API}/cases", headers=auth(grid_worker),
                                   json=body(k, description=f"压力 {reported}"))
                assert r.status_code == 201, r.text
                reported += 1

            async def drained() -> bool:
                async with db.reading() as s:
                    left = await s.scalar(select(func.count()).select_from(OutboxEvent).where(
                        OutboxEvent.status.in_(("pending", "processing"))))
                return left == 0
            await _wait_until(drained, 60)  # generous: CI runs two suites side by side
            assert not task.done(), task
        async with db.reading() as s:
            failed = (await s.execute(select(OutboxEvent.topic, OutboxEvent.last_error).where(
                OutboxEvent.id > marks["outbox_events"], OutboxEvent.status != "done"))).all()
        assert reported > 20 and failed == [] and delivered
    await worker_db.dispose()
    del worker


class _Proxy:
    """A TCP proxy to PostgreSQL that can vanish (connections cut, port refusing)."""

    def __init__(self, port: int) -> None:
        self.target, self.port = port, 0
        self.server: asyncio.Server | None = None
        self.links: set[asyncio.StreamWriter] = set()

    async def start(self) -> None:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", self.port)
        self.port = self.server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        assert self.server is not None
        self.server.close()
        for w in list(self.links):
            w.close()
        await self.server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_r, up_w = await asyncio.open_connection("127.0.0.1", self.target)
        self.links |= {writer, up_w}

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            with contextlib.suppress(Exception):
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            dst.close()

        await asyncio.gather(pipe(reader, up_w), pipe(up_r, writer))


@contextlib.asynccontextmanager
async def vanishing_database(settings: Any) -> AsyncIterator[tuple[Database, Any]]:
    """A worker database that can go away: through a proxy on PostgreSQL; on SQLite (a file
    cannot be unplugged from under open connections) every statement fails meanwhile."""
    if IS_PG:
        url = make_url(DATABASE_URL)
        proxy = _Proxy(url.port or 5432)
        await proxy.start()
        proxied = url.set(port=proxy.port).render_as_string(hide_password=False)
        wdb = Database(make_engine(make_settings(database_url=proxied)))

        async def outage(seconds: float) -> None:
            await proxy.stop()
            await asyncio.sleep(seconds)
            await proxy.start()
        try:
            yield wdb, outage
        finally:
            await wdb.dispose()
            await proxy.stop()
        return
    wdb = Database(make_engine(settings))
    down = {"now": False}

    @event.listens_for(wdb.engine.sync_engine, "before_cursor_execute")
    def _gone(*_args: Any) -> None:
        if down["now"]:
            raise sqlite3.OperationalError("unable to open database file")

    async def fail_for(seconds: float) -> None:
        down["now"] = True
        await asyncio.sleep(seconds)
        down["now"] = False
    try:
        yield wdb, fail_for
    finally:
        await wdb.dispose()


@pytest.mark.real_commits
async def test_worker_resumes_after_the_database_comes_back(db, handlers, settings):
    seen: list[int] = []

    @outbox.handles("test.outage")
    async def ok(ev: OutboxEvent, _ctx: outbox.WorkerContext) -> None:
        seen.append(ev.payload["n"])

    async def enqueue(n: int) -> None:
        async with db.writing() as s:
            outbox.enqueue(s, "test.outage", {"n": n})

    async with committed_rows_removed(db), vanishing_database(settings) as (wdb, outage), \
            httpx.AsyncClient() as http:
        async with running(outbox.WorkerContext(db=wdb, settings=settings, http=http)) as task:
            await enqueue(0)

            async def got(n: int) -> Any:
                async def check() -> bool:
                    return len(seen) >= n
                return check
            await _wait_until(await got(1), 10)
            gone = asyncio.create_task(outage(3.0))
            await asyncio.sleep(0.5)
            await enqueue(1)  # written while the worker cannot reach the database
            await gone
            await enqueue(2)
            await _wait_until(await got(3), 20)
            assert not task.done()
    assert sorted(seen) == [0, 1, 2]
