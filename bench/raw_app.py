"""The baseline for bench/cases.py: a bare FastAPI app that sends the statements the real app
sends for `GET /cases` and `POST /cases`, through the raw driver — no ORM, no auth, no
validation, no serialisation models.

What "the same statements" means, and how it is made so: bench/cases.py runs the real app
in-process on the bench database (production settings: principal cache 5 s) and records with
an engine event listener every statement it sends for each request — SQL text and parameters
as the driver receives them, transaction control included (SQLite's `BEGIN`/`BEGIN IMMEDIATE`
and `COMMIT`; PostgreSQL's implicit `BEGIN` and `COMMIT`, none for reads, which run in
autocommit). It keeps the request that follows a first one (the principal, category and grid
boundary caches warm: what the bench measures) and writes it to the file named by BENCH_SQL.
This app replays that list verbatim, with the values that change per request put back in
(idempotency key, its advisory lock id, timestamps, the new case's id, the claim's id,
the stored response). The principal statement is replayed as the app caches it: at most once
per user per `principal_ttl` seconds, after the request's BEGIN. Before measuring, cases.py
runs this app in-process too and checks that, request for request, it sent exactly the SQL
the app sent.

SQLite runs on the event loop (the stdlib driver, as the app's `sqlite+inline` dialect does);
with GRID_SQLITE_INLINE=false it goes through aiosqlite's thread, as the app then does.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import sqlite3
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiosqlite
import asyncpg
from fastapi import FastAPI, Request

SPEC: dict[str, Any] = json.loads(Path(os.environ["BENCH_SQL"]).read_text())
PG = SPEC["dialect"] == "postgresql"
INLINE = os.environ.get("GRID_SQLITE_INLINE", "true").lower() not in ("0", "false", "no")
TX = ("BEGIN", "BEGIN IMMEDIATE", "COMMIT", "ROLLBACK")
state: dict[str, Any] = {"principal_until": {}}
# The SQL sent, in order, when a list is put here (the check in bench/cases.py).
SENT: list[str] | None = None


@asynccontextmanager
async def lifespan(_: FastAPI) -> AsyncIterator[None]:
    if PG:
        state["pool"] = await asyncpg.create_pool(SPEC["dsn"], min_size=2, max_size=10)
    elif INLINE:
        conn = sqlite3.connect(SPEC["dsn"], isolation_level=None, check_same_thread=False)
        for pragma in ("journal_mode=WAL", "foreign_keys=ON", "busy_timeout=5000",
                       "synchronous=NORMAL"):
            conn.execute(f"PRAGMA {pragma}")
        state["conn"] = conn
    else:
        conn = await aiosqlite.connect(SPEC["dsn"], isolation_level=None)
        for pragma in ("journal_mode=WAL", "foreign_keys=ON", "busy_timeout=5000",
                       "synchronous=NORMAL"):
            await conn.execute(f"PRAGMA {pragma}")
        state["conn"] = conn
    # One SQLite connection: its transactions take turns (the app queues its writers too; on
    # the loop a transaction never yields, so the lock only matters through aiosqlite).
    state["write_lock"] = asyncio.Lock()
    yield
    if PG:
        await state["pool"].close()
    elif INLINE:
        state["conn"].close()
    else:
        await state["conn"].close()


app = FastAPI(lifespan=lifespan)


def _value(v: Any, values: dict[str, Any]) -> Any:
    return values[v["$"]] if isinstance(v, dict) else v


async def _send(c: Any, sql: str, params: list[Any], values: dict[str, Any]) -> list[Any]:
    if SENT is not None:
        SENT.append(sql)
    args = [_value(p, values) for p in params]
    if PG:
        if sql == "BEGIN":
            values["_tx"] = c.transaction()
            await values["_tx"].start()
            return []
        if sql in ("COMMIT", "ROLLBACK"):
            tx = values.pop("_tx")
            await (tx.commit() if sql == "COMMIT" else tx.rollback())
            return []
        return list(await c.fetch(sql, *args))
    if INLINE:
        return c.execute(sql, args).fetchall()  # type: ignore[no-any-return]
    cur = await c.execute(sql, args)
    return list(await cur.fetchall())


@asynccontextmanager
async def _connection(writes: bool) -> AsyncIterator[Any]:
    if PG:
        async with state["pool"].acquire() as c:
            yield c
    elif writes:
        async with state["write_lock"]:
            yield state["conn"]
    else:
        yield state["conn"]


async def _run(statements: list[list[Any]], user: str, values: dict[str, Any],
               returned: Any = None) -> list[Any]:
    """Send `statements` in order on one connection, with the principal statement after the
    BEGIN when the app's cache would have expired; `returned(i, rows)` sees each statement's
    rows before the next is sent (a returned id goes into the next ones)."""
    principal = SPEC["principal"][user]
    due = state["principal_until"].get(user, 0.0) <= time.monotonic()
    writes = not PG and any(sql in TX for sql, _ in statements)
    out: list[Any] = []
    async with _connection(writes) as c:
        try:
            for i, (sql, params) in enumerate(statements):
                if due and (i > 0 or sql not in TX):
                    await _send(c, principal["sql"], principal["params"], values)
                    state["principal_until"][user] = time.monotonic() + SPEC["principal_ttl"]
                    due = False
                out.append(await _send(c, sql, params, values))
                if returned is not None:
                    returned(i, out[-1])
        except BaseException:
            if not PG and c.in_transaction:  # (asyncpg's pool rolls back on release)
                await _send(c, "ROLLBACK", [], values)
            raise
    return out


def _now() -> Any:
    now = datetime.now(UTC)
    return now if PG else now.replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")


@app.get("/cases")
async def list_cases(scope: str, page: str = "first") -> dict[str, Any]:
    statements = SPEC["get"][scope][page]
    results = await _run(statements, scope, {})
    rows = next(r for (sql, _), r in zip(statements, results, strict=True) if sql not in TX)
    columns = SPEC["get_columns"]
    items = [dict(zip(columns, (str(v) for v in r), strict=False)) for r in rows[:20]]
    return {"items": items, "next_cursor": "next" if len(rows) > 20 else None}


BODY = SPEC["post"]["body"].encode()


@app.post("/cases", status_code=201)
async def create_case(request: Request) -> dict[str, Any]:
    await request.json()
    post = SPEC["post"]
    values: dict[str, Any] = {
        "key": request.headers.get("idempotency-key") or uuid.uuid4().hex,
        "lock": random.getrandbits(62), "now": _now(), "body": BODY}

    def returned(i: int, rows: list[Any]) -> None:
        if i == post["claim_at"]:
            values["claim_id"] = rows[0][0]
        elif i == post["case_at"]:
            values["case_id"] = rows[0][post["case_id_column"]]
            values["case_id_str"] = str(values["case_id"])

    await _run(post["statements"], "writer", values, returned)
    return {"id": values["case_id"], "status": "reported"}
