"""Resident lookups on a register of 1,000,000: `GET /residents?id_number=` (blind index) and
`GET /residents?household_id=`, p50/p99, as the district admin and as a grid worker.

    .venv/bin/python bench/people_lookup.py [--residents 1000000] [--requests 400]      # SQLite
    .venv/bin/python bench/people_lookup.py --database-url postgresql+asyncpg://postgres@127.0.0.1:5432/bench

A fresh database (a temp SQLite file, or the scratch PostgreSQL database given, which is reset):
migrations, the demo seed, then the residents loaded fast — ciphertexts and blind indexes
computed with the app's FieldCipher, rows written with sqlite3 `executemany` in big batches or
asyncpg `copy_records_to_table` — spread over the demo's grids, 3 to a household, 20 buildings
a grid. The app then runs in-process (httpx ASGI transport), as in bench/lists.py. Not in CI.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import asyncpg
import httpx
from sqlalchemy import select, text
from sqlalchemy.engine import make_url

from app.core import maintenance
from app.core.config import Settings
from app.core.crypto import FieldCipher
from app.core.db import Database, count_statements, make_engine
from app.main import create_app
from app.models import Grid
from app.people.idcard import check_digit
from app.seed import demo
from bench.lists import login, migrate

BUILDINGS_PER_GRID = 20
PER_HOUSEHOLD = 3
CHUNK = 50_000
RESIDENT_COLUMNS = ["id", "household_id", "grid_id", "org_path", "street_id", "community_id",
                    "name", "gender", "id_number_cipher", "id_number_index", "phone_cipher",
                    "phone_index", "birth_date", "ethnicity", "relation_to_head", "tags",
                    "version", "created_at", "updated_at"]
PLACE_COLUMNS = ["id", "grid_id", "org_path", "street_id", "community_id", "version",
                 "created_at", "updated_at"]


def id_number(k: int) -> str:
    born = (date(1930, 1, 1) + timedelta(days=k // 1000)).strftime("%Y%m%d")
    first17 = f"410102{born}{k % 1000:03d}"
    return first17 + check_digit(first17)


class Layout:
    """Where resident k lives: household k // 3, round-robin over the grids."""

    def __init__(self, grids: list[Grid], residents: int) -> None:
        self.grids = grids
        self.households = (residents + PER_HOUSEHOLD - 1) // PER_HOUSEHOLD

    def grid_of_household(self, h: int) -> Grid:
        return self.grids[h % len(self.grids)]

    def building_id(self, h: int) -> int:
        g = h % len(self.grids)
        return g * BUILDINGS_PER_GRID + (h // len(self.grids)) % BUILDINGS_PER_GRID + 1


def _scope(grid: Grid, now: datetime) -> list[Any]:
    return [grid.id, grid.org_path, grid.street_id, grid.community_id, 1, now, now]


def buildings(layout: Layout, now: datetime) -> list[tuple[Any, ...]]:
    return [(g * BUILDINGS_PER_GRID + b + 1, *_scope(grid, now), f"{b + 1}栋")
            for g, grid in enumerate(layout.grids) for b in range(BUILDINGS_PER_GRID)]


def households(layout: Layout, now: datetime) -> Iterator[tuple[Any, ...]]:
    for h in range(layout.households):
        yield (h + 1, *_scope(layout.grid_of_household(h), now), layout.building_id(h),
               "1单元", str(100 + h // (len(layout.grids) * BUILDINGS_PER_GRID)))


def residents(layout: Layout, cipher: FieldCipher, n: int, now: datetime, json_tags: bool
              ) -> Iterator[tuple[Any, ...]]:
    tags: Any = "[]" if json_tags else []
    for k in range(n):
        h = k // PER_HOUSEHOLD
        grid = layout.grid_of_household(h)
        number, phone = id_number(k), f"139{k:08d}"
        yield (k + 1, h + 1, grid.id, grid.org_path, grid.street_id, grid.community_id, "张伟",
               "male" if k % 2 else "female",
               cipher.encrypt(number, context="resident.id_number"),
               cipher.blind_index(number, context="resident.id_number"),
               cipher.encrypt(phone, context="resident.phone"),
               cipher.blind_index(phone, context="resident.phone"),
               date(int(number[6:10]), int(number[10:12]), int(number[12:14])), "汉族", "户主",
               tags, 1, now, now)


def chunks(rows: Iterator[tuple[Any, ...]]) -> Iterator[list[tuple[Any, ...]]]:
    batch: list[tuple[Any, ...]] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= CHUNK:
            yield batch
            batch = []
    if batch:
        yield batch


def _sql(table: str, columns: list[str]) -> str:
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"


def load_sqlite(path: str, layout: Layout, cipher: FieldCipher, n: int) -> None:
    now = datetime.now(UTC)
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA synchronous=OFF")
    iso = now.replace(tzinfo=None).isoformat(sep=" ")  # as UTCDateTime stores it on SQLite
    conn.executemany(_sql("buildings", [*PLACE_COLUMNS, "name"]),
                     [(*r[:6], iso, iso, r[8]) for r in buildings(layout, now)])
    for batch in chunks(households(layout, now)):
        conn.executemany(_sql("households", [*PLACE_COLUMNS, "building_id", "unit_no", "room"]),
                         [(*r[:6], iso, iso, *r[8:]) for r in batch])
    for batch in chunks(residents(layout, cipher, n, now, json_tags=True)):
        conn.executemany(_sql("residents", RESIDENT_COLUMNS),
                         [(*r[:12], r[12].isoformat(), *r[13:17], iso, iso) for r in batch])
        print(f"  {batch[-1][0]:,} residents", file=sys.stderr, flush=True)
    conn.commit()
    conn.close()


async def load_postgres(dsn: str, layout: Layout, cipher: FieldCipher, n: int) -> None:
    now = datetime.now(UTC)
    conn = await asyncpg.connect(dsn)
    await conn.copy_records_to_table("buildings", records=buildings(layout, now),
                                     columns=[*PLACE_COLUMNS, "name"])
    for batch in chunks(households(layout, now)):
        await conn.copy_records_to_table(
            "households", records=batch,
            columns=[*PLACE_COLUMNS, "building_id", "unit_no", "room"])
    for batch in chunks(residents(layout, cipher, n, now, json_tags=True)):
        await conn.copy_records_to_table("residents", records=batch, columns=RESIDENT_COLUMNS)
        print(f"  {batch[-1][0]:,} residents", file=sys.stderr, flush=True)
    for table in ("buildings", "households", "residents"):
        await conn.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                           f"(SELECT max(id) FROM {table}))")
        await conn.execute(f"ANALYZE {table}")
    await conn.close()


async def measure(client: httpx.AsyncClient, urls: list[str], headers: dict[str, str],
                  counter: list[int]) -> tuple[float, float, float]:
    await client.get(urls[0], headers=headers)  # warm
    counter[0] = 0
    times = []
    for url in urls:
        t0 = time.perf_counter()
        r = await client.get(url, headers=headers)
        times.append((time.perf_counter() - t0) * 1000)
        assert r.status_code == 200 and r.json()["items"], (url, r.text[:300])
    times.sort()
    p99 = times[max(int(len(times) * 0.99) - 1, 0)]
    return statistics.median(times), p99, counter[0] / len(urls)


async def reset_postgres(url: str) -> None:
    db = Database(make_engine(Settings(database_url=url)))
    async with db.engine.begin() as conn:
        await conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        await conn.execute(text("CREATE SCHEMA public"))
    await db.dispose()


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--residents", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    url = args.database_url or f"sqlite+aiosqlite:///{tempfile.mkdtemp()}/lookup.db"
    if url.startswith("postgresql"):
        await reset_postgres(url)
    settings = Settings(database_url=url, log_json=False, login_ip_limit="1000/minute",
                        reveal_limit="1000/minute")
    db = Database(make_engine(settings))
    async with db.engine.begin() as conn:
        await conn.run_sync(migrate, settings)
    await demo.seed(db, settings, progress=lambda _m: None)
    async with db.writing() as s:
        grids = list((await s.scalars(select(Grid).order_by(Grid.id))).all())
    layout = Layout(grids, args.residents)
    cipher = FieldCipher.from_settings(settings)
    t0 = time.perf_counter()
    if url.startswith("sqlite"):
        load_sqlite(str(make_url(url).database), layout, cipher, args.residents)
        await maintenance.analyze(db, full=True)
    else:
        dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
        await load_postgres(dsn, layout, cipher, args.residents)
    print(f"loaded {args.residents:,} residents, {layout.households:,} households in "
          f"{time.perf_counter() - t0:.0f} s")
    await lookups(db, settings, layout, args)
    await db.dispose()


async def lookups(db: Database, settings: Settings, layout: Layout, args: Any) -> None:
    app = create_app(settings, db)
    logging.getLogger("gridapi").setLevel(logging.WARNING)
    counter = [0]
    count_statements(db.engine.sync_engine, counter)
    rng = random.Random(7)
    demo_grid = next(g for g in layout.grids if g.name == demo.DEMO_GRID)
    g = layout.grids.index(demo_grid)
    everyone = [rng.randrange(args.residents) for _ in range(args.requests)]
    # Residents and households of the worker's own grid (household h is in grid h % grids).
    own_households = [h for h in (rng.randrange(layout.households // len(layout.grids))
                                  * len(layout.grids) + g for _ in range(args.requests))
                      if h * PER_HOUSEHOLD < args.residents]
    own = [h * PER_HOUSEHOLD for h in own_households]
    cases = {
        "admin": (everyone, [k // PER_HOUSEHOLD for k in everyone]),
        "grid worker": (own, own_households),
    }
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
        users = {"admin": await login(client, "demo_district_admin", settings.demo_password),
                 "grid worker": await login(client, "demo_grid_worker", settings.demo_password)}
        print(f"database: {settings.database_url.split(':')[0]}, {args.requests} requests each")
        print(f"{'lookup':40} {'p50 ms':>8} {'p99 ms':>8} {'stmts':>6}")
        for who, (people, homes) in cases.items():
            by_id = [f"/api/v1/residents?id_number={id_number(k)}" for k in people]
            by_home = [f"/api/v1/residents?household_id={h + 1}" for h in homes]
            for label, urls in (("id_number", by_id), ("household_id", by_home)):
                p50, p99, stmts = await measure(client, urls, users[who], counter)
                print(f"{label + ' as ' + who:40} {p50:8.2f} {p99:8.2f} {stmts:6.1f}")
    print(json.dumps({"residents": args.residents}))


if __name__ == "__main__":
    asyncio.run(main())
