"""The baseline for bench/cases.py: a bare FastAPI app that sends the same SQL as the real
`GET /cases` and `POST /cases` through the raw driver (asyncpg or aiosqlite) — no ORM, no auth,
no validation, no serialisation models. bench/cases.py writes the SQL (compiled from the app's
own statements where it can) to a JSON file and starts this app with BENCH_SQL pointing at it.
"""

from __future__ import annotations

import asyncio
import json
import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiosqlite
import asyncpg
from fastapi import FastAPI, Request

SPEC: dict[str, Any] = json.loads(Path(os.environ["BENCH_SQL"]).read_text())
PG = SPEC["dialect"] == "postgresql"
state: dict[str, Any] = {}


@asynccontextmanager
async def lifespan(_: FastAPI) -> AsyncIterator[None]:
    if PG:
        state["pool"] = await asyncpg.create_pool(SPEC["dsn"], min_size=2, max_size=10)
    else:
        conn = await aiosqlite.connect(SPEC["dsn"], isolation_level=None)
        await conn.execute("PRAGMA journal_mode=WAL")
        await conn.execute("PRAGMA busy_timeout=5000")
        state["conn"] = conn
        state["tx_lock"] = asyncio.Lock()
    yield


app = FastAPI(lifespan=lifespan)


def _ts(dt: datetime) -> Any:
    return dt if PG else dt.replace(tzinfo=None).isoformat(sep=" ")


def _in(sql: str, values: list[Any]) -> tuple[str, list[Any]]:
    """`IN (...)` for a list: one array parameter on PostgreSQL, n placeholders on SQLite."""
    if PG:
        return sql.replace("(:list)", "(SELECT unnest($1::text[]))"), [[str(v) for v in values]]
    return sql.replace("(:list)", "(" + ",".join("?" * len(values)) + ")"), values


async def _fetch(conn: Any, sql: str, args: list[Any]) -> list[Any]:
    if PG:
        return list(await conn.fetch(sql, *args))
    cur = await conn.execute(sql, args)
    return list(await cur.fetchall())


@asynccontextmanager
async def _conn(tx: bool) -> AsyncIterator[Any]:
    if PG:
        async with state["pool"].acquire() as c:
            if tx:
                async with c.transaction():
                    yield c
            else:
                yield c
        return
    conn = state["conn"]
    if tx:
        # One connection: transactions take turns (the app queues its SQLite writers too).
        async with state["tx_lock"]:
            await conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                await conn.execute("ROLLBACK")
                raise
            await conn.execute("COMMIT")
    else:
        yield conn


@app.get("/cases")
async def list_cases(scope: str, page: str = "first") -> dict[str, Any]:
    q = SPEC["list"][scope][page]
    async with _conn(tx=False) as c:
        await _fetch(c, SPEC["principal_sql"], [SPEC["user_ids"][scope]])
        # The app's page statement carries each case's attachment ids; category names come
        # from its in-process cache (the baseline looks them up: a conservative baseline).
        rows = await _fetch(c, q["sql"], q["args"])
        if rows:
            codes = sorted({r[SPEC["category_index"]] for r in rows})
            await _fetch(c, *_in(SPEC["names_sql"], codes))
    items = [dict(zip(SPEC["columns"], (str(v) for v in r), strict=False)) for r in rows[:20]]
    return {"items": items, "next_cursor": str(rows[19][0]) if len(rows) > 20 else None}


@app.post("/cases", status_code=201)
async def create_case(request: Request) -> dict[str, Any]:
    body = await request.json()
    w = SPEC["write"]
    key = request.headers.get("idempotency-key") or uuid.uuid4().hex
    now = datetime.now(UTC)
    async with _conn(tx=False) as c:
        await _fetch(c, SPEC["principal_sql"], [SPEC["writer_id"]])
    async with _conn(tx=True) as c:  # the key is claimed in its own short transaction
        await _fetch(c, w["claim"], [key, _ts(now)])
    async with _conn(tx=True) as c:
        await _fetch(c, w["category"], [w["category_code"]])
        await _fetch(c, w["grid"], [body["lng"], body["lng"], body["lat"], body["lat"]])
        [row] = await _fetch(c, w["case"], [f"tmp-{uuid.uuid4().hex[:28]}", body["description"],
                                            body["lng"], body["lat"], _ts(now),
                                            _ts(now + timedelta(hours=4))])
        case_id = row[0]
        await _fetch(c, w["code"], [f"AJ{now:%Y%m%d}{case_id:07d}", case_id])
        await _fetch(c, w["event"], [case_id, _ts(now)])
        await _fetch(c, w["outbox"], [json.dumps({"id": case_id}), _ts(now)])
        await _fetch(c, w["audit"], [str(case_id), _ts(now)])
        await _fetch(c, w["complete"], [json.dumps({"id": case_id}).encode(), key])
    return {"id": case_id, "status": "reported"}
