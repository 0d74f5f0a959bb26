"""The outbox: side effects are rows written in the request's transaction and delivered by
`gridapi worker`. Claims use `FOR UPDATE SKIP LOCKED` on PostgreSQL, so several workers can run
without ever working on the same row at once; a claim is a lease that expires if a worker dies."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.core import retention
from app.core.config import Settings
from app.core.db import Database
from app.core.rows import NewRow
from app.core.types import utcnow
from app.models import OutboxEvent
from app.models.base import table_of

log = logging.getLogger("gridapi.worker")
_TABLE = table_of(OutboxEvent)


@dataclass
class WorkerContext:
    """What delivery functions get besides the event: no database session (a delivery never
    holds a connection across an external call; it opens a short one if it must)."""

    db: Database
    settings: Settings
    http: httpx.AsyncClient
    extras: dict[str, Any] = field(default_factory=dict)


Handler = Callable[[OutboxEvent, WorkerContext], Awaitable[None]]
HANDLERS: dict[str, Handler] = {}
MAX_ATTEMPTS = 12
LEASE_SECONDS = 120


def handles(topic: str) -> Callable[[Handler], Handler]:
    """Register the delivery function for a topic (domains call this at import time)."""

    def deco(fn: Handler) -> Handler:
        HANDLERS[topic] = fn
        return fn

    return deco


class Permanent(Exception):
    """Raised by a handler when retrying cannot help (e.g. the user refused the message)."""


def enqueue(session: AsyncSession, topic: str, payload: dict[str, Any],
            available_at: datetime | None = None) -> OutboxEvent:
    event = OutboxEvent(**_values(topic, payload, available_at))
    session.add(event)
    return event


def row(topic: str, payload: dict[str, Any], available_at: datetime | None = None) -> NewRow:
    """The same event as a row for `app.core.rows` (a hot write's side rows)."""
    return _TABLE, _values(topic, payload, available_at)


def _values(topic: str, payload: dict[str, Any], available_at: datetime | None
            ) -> dict[str, Any]:
    return {"topic": topic, "payload": payload, "available_at": available_at or utcnow()}


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


async def _settle(db: Database, event: OutboxEvent, error: str | None, *,
                  permanent: bool = False) -> None:
    async with db.session_factory() as s:
        values: dict[str, Any]
        if error is None:
            values = {"status": "done", "processed_at": utcnow(), "last_error": None}
        elif permanent or event.attempts >= MAX_ATTEMPTS:
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


async def deliver(event: OutboxEvent, ctx: WorkerContext) -> tuple[str | None, bool]:
    """Run the topic's handler: (error or None, whether the error is permanent)."""
    handler = HANDLERS.get(event.topic)
    if handler is None:
        return f"no handler for topic {event.topic!r}", False
    try:
        await handler(event, ctx)
    except Permanent as exc:
        return f"permanent: {exc}", True
    except Exception as exc:
        log.warning("outbox delivery failed", extra={"fields": {"event": event.id,
                                                                 "topic": event.topic}})
        return f"{type(exc).__name__}: {exc}", False
    return None, False


async def run_once(ctx: WorkerContext, batch: int = 20) -> int:
    events = await claim(ctx.db, batch)
    for event in events:
        error, permanent = await deliver(event, ctx)
        await _settle(ctx.db, event, error, permanent=permanent)
    return len(events)


Periodic = Callable[[WorkerContext], Awaitable[Any]]
PERIODIC: list[tuple[str, float, Periodic]] = []


def every(seconds: float, name: str) -> Callable[[Periodic], Periodic]:
    """Register a sweep the worker runs every `seconds` (escalation, retention)."""

    def deco(fn: Periodic) -> Periodic:
        PERIODIC.append((name, seconds, fn))
        return fn

    return deco


async def run_forever(ctx: WorkerContext, *, idle_seconds: float = 1.0) -> None:
    loop = asyncio.get_running_loop()
    due = {name: 0.0 for name, _, _ in PERIODIC}
    while True:
        for name, seconds, fn in PERIODIC:
            if loop.time() >= due[name]:
                result = await fn(ctx)
                log.info("periodic job", extra={"fields": {"job": name, "result": result}})
                due[name] = loop.time() + seconds
        done = await run_once(ctx)
        if not done:
            await asyncio.sleep(idle_seconds)


@every(600, "retention")
async def _retention(ctx: WorkerContext) -> dict[str, int]:
    return await retention.purge(ctx.db)
