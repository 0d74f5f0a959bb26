"""The baseline for bench/floor.py: a bare FastAPI app that answers `GET /api/v1/me` and
`GET /api/v1/grids/{id}` the way the real app does at the database and token level, and does
nothing else.

- The bearer token is verified with PyJWT exactly as `app.core.security.decode_access_token`
  does (kid lookup, HS256, audience, issuer, required claims), and a verified token's claims
  are kept for the principal cache's TTL, as `PrincipalCache.claims` does.
- The statements are the app's own, recorded in-process by bench/floor.py (the second,
  warm request: SQL text and parameters as the driver received them, transaction control
  included) and replayed verbatim through the raw driver. The principal's statement is sent at
  most once per user per TTL, as the app's cache does.
- The response body is the app's recorded body, byte for byte: the baseline does no
  serialisation at all, which makes it a stricter yardstick, not a kinder one.

SQLite runs on the event loop through the stdlib driver, as the app's `sqlite+inline` dialect
does.
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import asyncpg
import jwt
from fastapi import FastAPI, Request, Response

SPEC: dict[str, Any] = json.loads(Path(os.environ["BENCH_FLOOR_SQL"]).read_text())
PG = SPEC["dialect"] == "postgresql"
TX = ("BEGIN", "BEGIN IMMEDIATE", "COMMIT", "ROLLBACK")
state: dict[str, Any] = {"claims": {}, "principal_until": {}}
SENT: list[str] | None = None  # the check in bench/floor.py puts a list here


@asynccontextmanager
async def lifespan(_: FastAPI) -> AsyncIterator[None]:
    if PG:
        state["pool"] = await asyncpg.create_pool(SPEC["dsn"], min_size=2, max_size=10)
    else:
        conn = sqlite3.connect(SPEC["dsn"], isolation_level=None, check_same_thread=False)
        for pragma in ("journal_mode=WAL", "foreign_keys=ON", "busy_timeout=5000",
                       "synchronous=NORMAL"):
            conn.execute(f"PRAGMA {pragma}")
        state["conn"] = conn
    yield
    if PG:
        await state["pool"].close()
    else:
        state["conn"].close()


app = FastAPI(lifespan=lifespan)


class Unauthorized(Exception):
    pass


@app.exception_handler(Unauthorized)
async def _unauthorized(_: Request, __: Unauthorized) -> Response:
    return Response(b'{"code":"unauthorized"}', 401, media_type="application/problem+json")


def _claims(request: Request) -> dict[str, Any]:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise Unauthorized
    hit = state["claims"].get(token)
    if hit is not None and hit[0] >= time.monotonic():
        return hit[1]  # type: ignore[no-any-return]
    jwt_ = SPEC["jwt"]
    try:
        kid = jwt.get_unverified_header(token).get("kid")
        key = jwt_["keys"].get(kid) if isinstance(kid, str) else None
        if key is None:
            raise Unauthorized
        claims = jwt.decode(token, key, algorithms=["HS256"], audience=jwt_["audience"],
                            issuer=jwt_["issuer"],
                            options={"require": ["exp", "iat", "iss", "aud", "sub", "jti"]})
    except jwt.PyJWTError as exc:
        raise Unauthorized from exc
    left = float(claims["exp"]) - time.time()
    state["claims"][token] = (time.monotonic() + min(SPEC["principal_ttl"], left), claims)
    return claims


async def _send(c: Any, sql: str, params: list[Any], tx: list[Any]) -> list[Any]:
    if SENT is not None:
        SENT.append(sql)
    if PG:
        if sql == "BEGIN":
            tx.append(c.transaction())
            await tx[-1].start()
            return []
        if sql in ("COMMIT", "ROLLBACK"):
            t = tx.pop()
            await (t.commit() if sql == "COMMIT" else t.rollback())
            return []
        return list(await c.fetch(sql, *params))
    return c.execute(sql, params).fetchall()  # type: ignore[no-any-return]


@asynccontextmanager
async def _connection() -> AsyncIterator[Any]:
    if PG:
        async with state["pool"].acquire() as c:
            yield c
    else:
        yield state["conn"]


async def _answer(request: Request, endpoint: str) -> Response:
    claims = _claims(request)
    user = str(claims["sub"])
    principal = SPEC["principal"]
    due = state["principal_until"].get(user, 0.0) <= time.monotonic()
    tx: list[Any] = []
    async with _connection() as c:
        for i, (sql, params) in enumerate(SPEC[endpoint]["statements"]):
            if due and (i > 0 or sql not in TX):
                await _send(c, principal["sql"], principal["params"], tx)
                state["principal_until"][user] = time.monotonic() + SPEC["principal_ttl"]
                due = False
            await _send(c, sql, params, tx)
    return Response(SPEC[endpoint]["body"].encode(), media_type="application/json")


@app.get("/api/v1/me")
async def me(request: Request) -> Response:
    return await _answer(request, "me")


@app.get("/api/v1/grids/{grid_id}")
async def grid(request: Request, grid_id: int) -> Response:
    return await _answer(request, "grid")
