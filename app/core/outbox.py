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

from app.core import retention, rows
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
            available_at: datetime | None = None) -> None:
    """Queue an event in the caller's transaction (`app.core.rows`: written with it)."""
    rows.defer(session, [row(topic, payload, available_at)])


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
    async with db.writing() as s:
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
        events = list((await s.execute(stmt)).scalars())
        for event in events:
            event.status = "processing"
            event.locked_until = now + timedelta(seconds=LEASE_SECONDS)
            event.attempts += 1
        return events


async def _settle(db: Database, event: OutboxEvent, error: str | None, *,
                  permanent: bool = False) -> None:
    async with db.writing() as s:
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
        await _settle_soon(ctx.db, event, error, permanent=permanent)
    return len(events)


async def _settle_soon(db: Database, event: OutboxEvent, error: str | None, *,
                       permanent: bool, tries: int = 3) -> None:
    """Settle, retrying briefly: a delivery already made is redone only if its row cannot be
    marked for a whole lease (handlers are idempotent by state, so that is safe, but slow)."""
    for attempt in range(tries):
        try:
            await _settle(db, event, error, permanent=permanent)
            return
        except Exception:
            if attempt == tries - 1:
                raise
            await asyncio.sleep(0.2 * 2 ** attempt)


Periodic = Callable[[WorkerContext], Awaitable[Any]]
PERIODIC: list[tuple[str, float, Periodic]] = []


def every(seconds: float, name: str) -> Callable[[Periodic], Periodic]:
    """Register a sweep the worker runs every `seconds` (escalation, retention)."""

    def deco(fn: Periodic) -> Periodic:
        PERIODIC.append((name, seconds, fn))
        return fn

    return deco


class _Backoff:
    """Seconds to wait after consecutive failures of one loop step: 1, 2, 4 … capped."""

    def __init__(self, cap: float = 60.0) -> None:
        self.cap = cap
        self.failures = 0

    def failed(self) -> float:
        self.failures += 1
        return min(self.cap, 2.0 ** (self.failures - 1))

    def ok(self) -> None:
        self.failures = 0


async def _guarded(name: str, step: Callable[[WorkerContext], Awaitable[Any]],
                   ctx: WorkerContext, backoff: _Backoff) -> tuple[bool, Any]:
    """Run one loop step; any exception is logged with the step's name and answered with a
    wait, never with the end of the process (a database restart, SQLite's "database is
    locked", a bug in one sweep must not stop deliveries)."""
    try:
        result = await step(ctx)
    except asyncio.CancelledError:
        raise
    except Exception:
        wait = backoff.failed()
        log.exception("worker step failed", extra={"fields": {
            "job": name, "failures": backoff.failures, "retry_in_s": wait}})
        return False, wait
    backoff.ok()
    return True, result


async def sweep_once(ctx: WorkerContext) -> tuple[dict[str, Any], list[str]]:
    """Every registered sweep once (`gridapi worker --once`): the results by name and the
    names of those that failed (logged; the others still run)."""
    results: dict[str, Any] = {}
    failed: list[str] = []
    for name, _, fn in PERIODIC:
        ok, result = await _guarded(name, fn, ctx, _Backoff())
        if ok:
            results[name] = result
        else:
            failed.append(name)
    return results, failed


async def run_forever(ctx: WorkerContext, *, idle_seconds: float = 1.0,
                      max_backoff: float = 60.0) -> None:
    loop = asyncio.get_running_loop()
    due = {name: 0.0 for name, _, _ in PERIODIC}
    backoffs = {name: _Backoff(max_backoff) for name in [*due, "deliver"]}
    while True:
        for name, seconds, fn in PERIODIC:
            if loop.time() < due[name]:
                continue
            ok, result = await _guarded(name, fn, ctx, backoffs[name])
            if ok:
                log.info("periodic job", extra={"fields": {"job": name, "result": result}})
            due[name] = loop.time() + (seconds if ok else result)
        ok, result = await _guarded("deliver", run_once, ctx, backoffs["deliver"])
        if not ok:
            await asyncio.sleep(result)
        elif not result:
            await asyncio.sleep(idle_seconds)


@every(600, "retention")
async def _retention(ctx: WorkerContext) -> dict[str, int]:
    keep = timedelta(days=ctx.settings.audit_retention_days)
    return await retention.purge(ctx.db, audit_keep=keep)
