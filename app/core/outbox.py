"""The outbox: side effects are rows written in the request's transaction and delivered by
`gridapi worker`. Claims use `FOR UPDATE SKIP LOCKED` on PostgreSQL, so several workers can run
without ever working on the same row at once; a claim is a lease that expires if a worker dies."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.core import retention
from app.core.db import Database
from app.core.types import utcnow
from app.models import OutboxEvent

log = logging.getLogger("gridapi.worker")
Handler = Callable[[OutboxEvent], Awaitable[None]]
HANDLERS: dict[str, Handler] = {}
MAX_ATTEMPTS = 12
LEASE_SECONDS = 120


def handles(topic: str) -> Callable[[Handler], Handler]:
    """Register the delivery function for a topic (domains call this at import time)."""

    def deco(fn: Handler) -> Handler:
        HANDLERS[topic] = fn
        return fn

    return deco


def enqueue(session: AsyncSession, topic: str, payload: dict[str, Any]) -> OutboxEvent:
    event = OutboxEvent(topic=topic, payload=payload)
    session.add(event)
    return event


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(3600, 2 ** min(attempts, 12)))


async def claim(db: Database, batch: int = 20) -> list[OutboxEvent]:
    now = utcnow()
    async with db.session_factory() as s:
        stmt = (
            select(OutboxEvent)
            .where(
                or_(
                    (OutboxEvent.status == "pending") & (OutboxEvent.available_at <= now),
                    (OutboxEvent.status == "processing") & (OutboxEvent.locked_until < now),
                )
            )
            .order_by(OutboxEvent.id)
            .limit(batch)
        )
        if db.engine.dialect.name == "postgresql":
            stmt = stmt.with_for_update(skip_locked=True)
        rows = list((await s.execute(stmt)).scalars())
        for row in rows:
            row.status = "processing"
            row.locked_until = now + timedelta(seconds=LEASE_SECONDS)
            row.attempts += 1
        await s.commit()
        return rows


async def _settle(db: Database, event: OutboxEvent, error: str | None) -> None:
    async with db.session_factory() as s:
        values: dict[str, Any]
        if error is None:
            values = {"status": "done", "processed_at": utcnow(), "last_error": None}
        elif event.attempts >= MAX_ATTEMPTS:
            values = {"status": "dead", "last_error": error[:2000]}
        else:
            values = {
                "status": "pending",
                "available_at": utcnow() + backoff(event.attempts),
                "last_error": error[:2000],
            }
        # Only settle our own lease: a row re-claimed after our lease ran out is not ours.
        await s.execute(
            update(OutboxEvent)
            .where(OutboxEvent.id == event.id, OutboxEvent.locked_until == event.locked_until)
            .values(locked_until=None, **values)
        )
        await s.commit()


async def deliver(event: OutboxEvent) -> str | None:
    handler = HANDLERS.get(event.topic)
    if handler is None:
        return f"no handler for topic {event.topic!r}"
    try:
        await handler(event)
    except Exception as exc:
        log.warning("outbox delivery failed", extra={"fields": {"event": event.id}})
        return f"{type(exc).__name__}: {exc}"
    return None


async def run_once(db: Database, batch: int = 20) -> int:
    events = await claim(db, batch)
    for event in events:
        await _settle(db, event, await deliver(event))
    return len(events)


async def run_forever(
    db: Database, *, idle_seconds: float = 1.0, purge_every_seconds: float = 600.0
) -> None:
    next_purge = 0.0
    loop = asyncio.get_running_loop()
    while True:
        if loop.time() >= next_purge:
            removed = await retention.purge(db)
            log.info("retention purge", extra={"fields": removed})
            next_purge = loop.time() + purge_every_seconds
        done = await run_once(db)
        if not done:
            await asyncio.sleep(idle_seconds)
