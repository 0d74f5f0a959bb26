"""Latency and statement counts of the foundation's list endpoints on the demo district.

    .venv/bin/python bench/lists.py [--requests 400]            # SQLite (temp file)
    DATABASE_URL=postgresql+asyncpg://postgres@127.0.0.1:5432/bench .venv/bin/python bench/lists.py

Runs the app in-process (httpx ASGI transport, no network) so the figures are the app's own
cost: migrations, demo seed, then for each endpoint and page size the p50/p99 latency, requests/s
and SQL statements per request. Numbers drift between runs on shared machines; compare ratios.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

if "DATABASE_URL" not in os.environ:
    os.environ["DATABASE_URL"] = f"sqlite+aiosqlite:///{tempfile.mkdtemp()}/bench.db"

import httpx
from alembic import command
from sqlalchemy import select
from sqlalchemy.engine import Connection

from app.cli import alembic_config
from app.core.config import Settings
from app.core.db import Database, count_statements, make_engine
from app.main import create_app
from app.models import Grid, Org
from app.seed import demo


def migrate(conn: Connection, settings: Settings) -> None:
    cfg = alembic_config(settings)
    cfg.attributes["connection"] = conn
    command.upgrade(cfg, "head")


async def login(client: httpx.AsyncClient, username: str, password: str) -> dict[str, str]:
    r = await client.post("/api/v1/auth/login", json={"username": username, "password": password})
    r.raise_for_status()
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


async def measure(client: httpx.AsyncClient, url: str, headers: dict[str, str], n: int,
                  counter: list[int]) -> tuple[float, float, float, float]:
    await client.get(url, headers=headers)  # warm
    counter[0] = 0
    times = []
    started = time.perf_counter()
    for _ in range(n):
        t0 = time.perf_counter()
        r = await client.get(url, headers=headers)
        times.append((time.perf_counter() - t0) * 1000)
        assert r.status_code == 200, r.text
    total = time.perf_counter() - started
    times.sort()
    return (statistics.median(times), times[int(len(times) * 0.99) - 1], n / total,
            counter[0] / n)


async def seeded_app(settings: Settings) -> tuple[Database, Any, list[int]]:
    """The database migrated and demo-seeded, the app on it (its access log quiet: no log lines
    in the figures) and a counter of the statements sent from now on. Shared by the benches
    that drive the app in-process (lists, bulletin, assessment)."""
    db = Database(make_engine(settings))
    async with db.engine.begin() as conn:
        await conn.run_sync(migrate, settings)
    await demo.seed(db, settings, progress=lambda _m: None)
    app = create_app(settings, db)
    logging.getLogger("gridapi").setLevel(logging.WARNING)
    counter = [0]
    count_statements(db.engine.sync_engine, counter)
    return db, app, counter


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=400)
    args = parser.parse_args()
    settings = Settings(log_json=False, login_ip_limit="1000/minute")
    db, app, counter = await seeded_app(settings)
    async with db.writing() as s:
        street = (await s.execute(select(Org).where(Org.code == "JA-XY"))).scalar_one()
        community = (await s.execute(select(Grid.community_id).limit(1))).scalar_one()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://bench") as client:
        admin = await login(client, "demo_district_admin", settings.demo_password)
        print(f"database: {settings.database_url.split(':')[0]}, {args.requests} requests each")
        print(f"{'endpoint':55} {'p50 ms':>8} {'p99 ms':>8} {'req/s':>8} {'stmts':>6}")
        for limit in (10, 100):
            for url in (f"/api/v1/orgs?parent_id={street.id}&limit={limit}",
                        f"/api/v1/orgs?parent_id={community}&limit={limit}",
                        f"/api/v1/grids?community_id={community}&limit={limit}",
                        f"/api/v1/grids?limit={limit}"):
                p50, p99, rps, stmts = await measure(client, url, admin, args.requests, counter)
                print(f"{url:55} {p50:8.2f} {p99:8.2f} {rps:8.0f} {stmts:6.1f}")
    await db.dispose()


if __name__ == "__main__":
    asyncio.run(main())
