"""Where the time of one `GET /api/v1/me` goes, in-process, under cProfile.

    .venv/bin/python bench/profile_me.py [--requests 3000] [--path /api/v1/me]
    DATABASE_URL=postgresql+asyncpg://postgres@127.0.0.1:5432/bench_profile \\
        .venv/bin/python bench/profile_me.py

Migrates and seeds the demo district (a temporary SQLite file unless DATABASE_URL is set), logs
the demo grid worker in, then calls the ASGI app directly (no HTTP, no client library: the
request and response messages are plain dicts) `--requests` times with the same token, in
production settings (access log on, to a null stream; metrics on; principal cache 5 s).
Prints µs per request without the profiler, then the share of the profiled time spent in
each layer (cumulative time of the layer's entry point minus that of the next layer inside
it) and the top functions by own time. cProfile slows Python code more than C code:
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

# (label, file suffix, function): a layer's entry point. Each layer's own share is its
# cumulative time minus that of the layers listed inside it (`INSIDE`).
LAYERS = [
    ("request context: request id, language, access log, metrics", "core/observability.py",
     "__call__"),
    ("body limit middleware", "core/bodylimit.py", "__call__"),
    ("Starlette exception middleware + routing", "starlette/routing.py", "handle"),
    ("unit of work wrapper (route class)", "core/routing.py", "run"),
    ("FastAPI request handling: body, dependency solving, validation", "fastapi/routing.py",
     "app"),
    ("dependencies: principal (JWT claims cache, principal cache)", "core/auth.py",
     "get_principal"),
    ("dependencies: session", "core/db.py", "get_session"),
    ("endpoint: service (SQL, ORM, decrypting the phone)", "users/router.py", "get_me"),
    ("response: validation + JSON", "fastapi/routing.py", "serialize_response"),
    ("unit of work end: commit/close, connection back to the pool", "core/routing.py",
     "_finish"),
    ("access log record", "logging/__init__.py", "info"),
]
INSIDE = {
    0: [1, 10], 1: [2], 2: [3], 3: [4, 9], 4: [5, 6, 7, 8], 5: [], 6: [], 7: [], 8: [], 9: [],
}


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
    started = time.perf_counter()
    for _ in range(n):
        await call()
    plain = (time.perf_counter() - started) / n * 1e6
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(n):
        await call()
    profiler.disable()
    await db.dispose()
    report(profiler, n, plain, settings.database_url.split(":")[0], path)


def report(profiler: cProfile.Profile, n: int, plain: float, db: str, path: str) -> None:
    stats = pstats.Stats(profiler)
    raw: dict[Any, Any] = stats.stats  # type: ignore[attr-defined]
    total = sum(tt for (_cc, _nc, tt, _ct, _callers) in raw.values())
    cum = []
    for _label, suffix, name in LAYERS:
        cum.append(sum(ct for (file, _line, fn), (_cc, _nc, _tt, ct, _c) in raw.items()
                       if fn == name and file.endswith(suffix)))
    print(f"\nGET {path} on {db}: {plain:.0f} µs per request without the profiler "
          f"({n} requests, in-process); profiled {total / n * 1e6:.0f} µs")
    print(f"{'layer (own share: its time minus the layers inside it)':66} {'µs':>6} {'share':>6}")
    for i, (label, _suffix, _name) in enumerate(LAYERS):
        own = cum[i] - sum(cum[j] for j in INSIDE.get(i, []))
        print(f"{label:66} {own / n * 1e6:6.0f} {own / total:6.1%}")
    print(f"{'(outside: the loop, the caller)':66} {(total - cum[0]) / n * 1e6:6.0f} "
          f"{(total - cum[0]) / total:6.1%}")
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(25)
    print("\ntop functions by own time:")
    print("\n".join(out.getvalue().splitlines()[6:34]))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--path", default="/api/v1/me")
    args = parser.parse_args()
    with open(os.devnull, "w") as sink:
        asyncio.run(run(args.requests, args.path, sink))


if __name__ == "__main__":
    main()
