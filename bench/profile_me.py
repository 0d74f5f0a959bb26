"""Where the time of one `GET /api/v1/me` goes, in-process, under cProfile.

    .venv/bin/python bench/profile_me.py [--requests 3000] [--path /api/v1/me]
    DATABASE_URL=postgresql+asyncpg://postgres@127.0.0.1:5432/bench_profile \\
        .venv/bin/python bench/profile_me.py

Migrates and seeds the demo district (a temporary SQLite file unless DATABASE_URL is set), logs
the demo grid worker in, then calls the ASGI app directly (no HTTP, no client library: the
request and response messages are plain dicts) `--requests` times with the same token, in
production settings (access log on, to a null stream; metrics on; principal cache 5 s).
Prints µs per request without the profiler (wall and this process's CPU), then where the
profiled time goes (own time by layer or library, built-ins counted with their callers; see
BUCKETS) and the top functions by own time. cProfile slows Python code more than C code:
read shares as a guide, and the unprofiled µs as the truth.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import logging
import os
import pstats
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

if "DATABASE_URL" not in os.environ:
    os.environ["DATABASE_URL"] = f"sqlite+aiosqlite:///{tempfile.mkdtemp()}/profile.db"

from alembic import command
from sqlalchemy.engine import Connection

from app.cases import categories
from app.cli import alembic_config
from app.core.config import Settings
from app.core.db import Database, make_engine
from app.main import create_app
from app.seed import demo

# Own time (cProfile's tottime) is put in the first bucket whose path fragment is in the
# function's file; a built-in (isinstance, dict.get, a C method) goes to the bucket of its
# caller, edge by edge. Own times add up to the whole, so the shares do too.
BUCKETS = [
    ("app/core/observability", "request context middleware: request id, language, wrapping"),
    ("logging/", "access log: record, JSON formatting, write"),
    ("prometheus_client", "metrics: counter + histogram"),
    ("app/core/bodylimit", "body limit middleware"),
    ("app/core/routing", "unit of work route wrapper"),
    ("app/core/auth", "principal dependency (claims + principal caches)"),
    ("fastapi/dependencies", "FastAPI dependency solving"),
    ("fastapi/routing", "FastAPI routing (route matching) + request handler"),
    ("fastapi/", "FastAPI other (encoders, params, responses)"),
    ("starlette/routing", "Starlette routing"),
    ("starlette/", "Starlette middleware, request, response"),
    ("pydantic", "pydantic: response validation + JSON"),
    ("sqlalchemy/orm", "SQLAlchemy ORM: session, identity map, loading"),
    ("sqlalchemy/", "SQLAlchemy Core: compile cache, execute, result"),
    ("greenlet", "greenlet switches (async SQLAlchemy)"),
    ("sqlite", "driver (sqlite3 / sqlite_inline / aiosqlite)"),
    ("asyncpg", "driver (asyncpg)"),
    ("jwt/", "JWT"),
    ("cryptography", "phone number decryption (AES-GCM)"),
    ("app/", "app code (service, presenters, schemas)"),
    ("asyncio/", "asyncio"),
]


def bucket_of(file: str, name: str) -> str | None:
    where = name if file == "~" else file
    for fragment, label in BUCKETS:
        if fragment in where:
            return label
    return None if file == "~" else "other Python"


def migrate(conn: Connection, settings: Settings) -> None:
    cfg = alembic_config(settings)
    cfg.attributes["connection"] = conn
    command.upgrade(cfg, "head")


class Caller:
    """Calls the app as a server would, with prebuilt messages."""

    def __init__(self, app: Any, path: str, token: str) -> None:
        self.app = app
        self.scope = {
            "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
            "method": "GET", "scheme": "http", "path": path, "raw_path": path.encode(),
            "query_string": b"", "root_path": "", "server": ("127.0.0.1", 8000),
            "client": ("127.0.0.1", 50000),
            "headers": [(b"host", b"bench"), (b"authorization", f"Bearer {token}".encode())],
        }
        self.status = 0

    async def receive(self) -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(self, message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            self.status = message["status"]

    async def __call__(self) -> None:
        await self.app(dict(self.scope), self.receive, self.send)
        assert self.status == 200, self.status


async def login(app: Any, settings: Settings) -> str:
    import httpx

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://bench") as client:
        r = await client.post("/api/v1/auth/login", json={
            "username": "demo_grid_worker", "password": settings.demo_password})
        r.raise_for_status()
        return str(r.json()["access_token"])


async def run(n: int, path: str, sink: Any) -> None:
    settings = Settings()
    db = Database(make_engine(settings))
    async with db.engine.begin() as conn:
        await conn.run_sync(migrate, settings)
    async with db.writing() as s:
        await categories.sync(s)
    await demo.seed(db, settings, progress=lambda _m: None)
    app = create_app(settings, db)
    for handler in logging.getLogger().handlers:  # the access log is formatted, not shown
        if isinstance(handler, logging.StreamHandler):
            handler.setStream(sink)
    call = Caller(app, path, await login(app, settings))
    for _ in range(200):
        await call()
    started, cpu = time.perf_counter(), time.process_time()
    for _ in range(n):
        await call()
    plain = (time.perf_counter() - started) / n * 1e6
    # This process's CPU only: steadier than wall time on a shared machine, and what a
    # change in our code moves (the database server's time is not in it).
    cpu_us = (time.process_time() - cpu) / n * 1e6
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(n):
        await call()
    profiler.disable()
    await db.dispose()
    report(profiler, n, plain, cpu_us, settings.database_url.split(":")[0], path)


def report(profiler: cProfile.Profile, n: int, plain: float, cpu_us: float, db: str,
           path: str) -> None:
    stats = pstats.Stats(profiler)
    raw: dict[Any, Any] = stats.stats  # type: ignore[attr-defined]
    total = sum(entry[2] for entry in raw.values())
    shares: dict[str, float] = {}
    for (file, _line, name), (_cc, _nc, tt, _ct, callers) in raw.items():
        label = bucket_of(file, name)
        if label is not None:
            shares[label] = shares.get(label, 0.0) + tt
            continue
        for (cfile, _cline, cname), edge in callers.items():  # a built-in: to its callers
            owner = bucket_of(cfile, cname) or "built-ins called from built-ins"
            shares[owner] = shares.get(owner, 0.0) + edge[2]
    matches = sum(entry[1] for (file, _l, name), entry in raw.items()
                  if name == "matches" and "routing" in file)
    print(f"\nGET {path} on {db}: {plain:.0f} µs per request without the profiler "
          f"({cpu_us:.0f} µs of this process's CPU; {n} requests, in-process); "
          f"{total / n * 1e6:.0f} µs profiled; "
          f"{matches / n:.0f} route.matches() calls per request")
    print(f"{'where the own time goes':62} {'µs':>6} {'share':>6}")
    for label, t in sorted(shares.items(), key=lambda kv: -kv[1]):
        print(f"{label:62} {t / n * 1e6:6.0f} {t / total:6.1%}")
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(20)
    print("\ntop functions by own time:")
    print("\n".join(line[:150] for line in out.getvalue().splitlines()[6:28]))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--path", default="/api/v1/me")
    args = parser.parse_args()
    with open(os.devnull, "w") as sink:
        asyncio.run(run(args.requests, args.path, sink))


if __name__ == "__main__":
    main()
