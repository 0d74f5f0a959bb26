"""The outbox and its worker: delivery, retry with backoff, dead letters, no double claims."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import delete, select

from app.core import outbox, retention
from app.core.db import Database
from app.core.types import utcnow
from app.models import IdempotencyKey, OutboxEvent
from tests.conftest import IS_PG


@pytest.fixture
def handlers():
    saved = dict(outbox.HANDLERS)
    yield outbox.HANDLERS
    outbox.HANDLERS.clear()
    outbox.HANDLERS.update(saved)


async def _enqueue(db: Database, topic: str, n: int = 1) -> list[int]:
    async with db.writing() as s:
        for i in range(n):
            outbox.enqueue(s, topic, {"n": i})
    async with db.reading() as s:
        return list((await s.scalars(select(OutboxEvent.id).where(
            OutboxEvent.topic == topic).order_by(OutboxEvent.id.desc()).limit(n))).all())[::-1]


async def _get(db: Database, event_id: int) -> OutboxEvent:
    async with db.writing() as s:
        return (await s.execute(select(OutboxEvent).where(OutboxEvent.id == event_id))).scalar_one()


class TestWorker:
    async def test_delivers_once(self, db, handlers, worker_ctx):
        seen: list[int] = []

        @outbox.handles("test.ok")
        async def ok(event: OutboxEvent, ctx: outbox.WorkerContext) -> None:
            seen.append(event.payload["n"])

        [eid] = await _enqueue(db, "test.ok")
        assert await outbox.run_once(worker_ctx) >= 1
        assert await outbox.run_once(worker_ctx) == 0
        assert seen == [0]
        event = await _get(db, eid)
        assert event.status == "done" and event.processed_at is not None

    async def test_failure_is_retried_later(self, db, handlers, worker_ctx):
        @outbox.handles("test.fail")
        async def fail(event: OutboxEvent, ctx: outbox.WorkerContext) -> None:
            raise ConnectionError("receiver down")

        [eid] = await _enqueue(db, "test.fail")
        await outbox.run_once(worker_ctx)
        event = await _get(db, eid)
        assert event.status == "pending" and event.attempts == 1
        assert "receiver down" in (event.last_error or "")
        assert event.available_at > event.created_at
        assert await outbox.run_once(worker_ctx) == 0  # not due yet: backoff

    async def test_gives_up_after_max_attempts(self, db, handlers, worker_ctx):
        @outbox.handles("test.dead")
        async def fail(event: OutboxEvent, ctx: outbox.WorkerContext) -> None:
            raise ValueError("bad payload")

        [eid] = await _enqueue(db, "test.dead")
        async with db.writing() as s:
            row = await s.get(OutboxEvent, eid)
            assert row is not None
            row.attempts = outbox.MAX_ATTEMPTS - 1
            await s.commit()
        await outbox.run_once(worker_ctx)
        assert (await _get(db, eid)).status == "dead"

    async def test_permanent_failure_is_not_retried(self, db, handlers, worker_ctx):
        @outbox.handles("test.permanent")
        async def refuse(event: OutboxEvent, ctx: outbox.WorkerContext) -> None:
            raise outbox.Permanent("user refused")

        [eid] = await _enqueue(db, "test.permanent")
        await outbox.run_once(worker_ctx)
        event = await _get(db, eid)
        assert event.status == "dead" and event.attempts == 1

    def test_backoff_grows_and_is_capped(self):
        assert outbox.backoff(1) < outbox.backoff(5) < outbox.backoff(30)
        assert outbox.backoff(30).total_seconds() == 3600


@pytest.mark.real_commits
@pytest.mark.skipif(not IS_PG, reason="SKIP LOCKED is PostgreSQL's; SQLite has one writer")
async def test_two_workers_never_claim_the_same_event(engine):
    db = Database(engine)
    ids = await _enqueue(db, "test.race", 40)
    try:
        a, b = await asyncio.gather(outbox.claim(db, 25), outbox.claim(db, 25))
        got_a, got_b = {e.id for e in a}, {e.id for e in b}
        assert not got_a & got_b
        assert got_a | got_b == set(ids)
    finally:
        async with db.writing() as s:
            await s.execute(delete(OutboxEvent).where(OutboxEvent.id.in_(ids)))
            await s.commit()


async def test_retention_purges_only_expired_rows(db, world):
    async with db.writing() as s:
        s.add_all([
            IdempotencyKey(principal="user:1", key="old", endpoint="POST /x", request_hash="h",
                           created_at=utcnow() - timedelta(days=2)),
            IdempotencyKey(principal="user:1", key="new", endpoint="POST /x", request_hash="h"),
        ])
        await s.commit()
    removed = await retention.purge(db)
    assert removed["idempotency_keys"] >= 1
    async with db.writing() as s:
        keys = set((await s.execute(select(IdempotencyKey.key))).scalars())
    assert "new" in keys and "old" not in keys
