"""PostgreSQL connections opened while one worker serves 64 connections of GET /me.

    DATABASE_URL=postgresql+asyncpg://postgres@127.0.0.1:5432/bench_pool \\
        .venv/bin/python bench/pool_churn.py [--pools default,10+10,40+0] [--app CHECKOUT]

Seeds the demo district on a fresh database (a `bench*` database is dropped and created
again), then for each pool (`default`: the app's own settings; `P+O`: GRID_DB_POOL_SIZE=P,
GRID_DB_MAX_OVERFLOW=O) serves the app of the checkout under test with one uvicorn worker and
drives `GET /api/v1/me` of the demo grid worker with `wrk -c64` for `--seconds` after a 2 s
warm-up. Prints requests/s, p50/p99, the connections PostgreSQL established during the
measured run (`pg_stat_database.sessions`, read after the run once the backends have reported)
and the most connections the app held at once (`pg_stat_activity`, sampled every 0.2 s).

SQLAlchemy's QueuePool closes an overflow connection as soon as it is checked in while the
pool holds `pool_size` idle ones, so a load that needs more than `pool_size` connections at
once opens and closes connections all the time (churn). A checkout beyond
`pool_size + max_overflow` waits for a connection instead (up to 30 s).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import asyncpg

from bench.drive import (
    ROOT,
    WARMUP_SECONDS,
    fresh_database,
    load_average,
    login_token,
    need_wrk,
    seed,
    serve,
    wrk_once,
)


def dsn_of(url: str) -> tuple[str, str]:
    plain = url.replace("postgresql+asyncpg", "postgresql")
    return plain.rsplit("/", 1)[0] + "/postgres", plain.rsplit("/", 1)[1]


async def sessions(admin_dsn: str, db: str) -> int:
    conn = await asyncpg.connect(admin_dsn)
    try:
        return int(await conn.fetchval(
            "SELECT sessions FROM pg_stat_database WHERE datname = $1", db))
    finally:
        await conn.close()


class Sampler(threading.Thread):
    """The most backends connected to the database at once, sampled (from another database:
    the sampler's own connection is not counted)."""

    def __init__(self, admin_dsn: str, db: str) -> None:
        super().__init__(daemon=True)
        self.admin_dsn, self.db = admin_dsn, db
        self.peak = 0
        self.stop = threading.Event()

    def run(self) -> None:
        asyncio.run(self._sample())

    async def _sample(self) -> None:
        conn = await asyncpg.connect(self.admin_dsn)
        try:
            while not self.stop.is_set():
                n = await conn.fetchval("SELECT count(*) FROM pg_stat_activity "
                                        "WHERE datname = $1", self.db)
                self.peak = max(self.peak, int(n))
                await asyncio.sleep(0.2)
        finally:
            await conn.close()


def measure(app: Path, pool: str, args: argparse.Namespace, base_env: dict[str, str]
            ) -> dict[str, Any]:
    env = dict(base_env)
    if pool != "default":
        size, overflow = pool.split("+")
        env.update(GRID_DB_POOL_SIZE=size, GRID_DB_MAX_OVERFLOW=overflow)
    admin, db = dsn_of(base_env["DATABASE_URL"])
    server = serve(["app.main:create_app", "--factory"], args.port, env, checkout=app)
    try:
        url = f"http://127.0.0.1:{args.port}"
        headers = {"Authorization": f"Bearer {login_token(url, 'demo_grid_worker')}"}
        wrk_once(f"{url}/api/v1/me", WARMUP_SECONDS, args.connections, headers)
        time.sleep(1.5)  # backends report their session counts within a second
        before = asyncio.run(sessions(admin, db))
        sampler = Sampler(admin, db)
        sampler.start()
        result = wrk_once(f"{url}/api/v1/me", args.seconds, args.connections, headers)
        sampler.stop.set()
        sampler.join()
        time.sleep(1.5)
        result["opened"] = asyncio.run(sessions(admin, db)) - before
        result["peak"] = sampler.peak
    finally:
        server.terminate()
        server.wait()
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--app", type=Path, default=ROOT, help="checkout whose app is measured")
    parser.add_argument("--pools", default="default,10+10,40+0",
                        help="comma-separated: default, or POOL_SIZE+MAX_OVERFLOW")
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--port", type=int, default=8121)
    args = parser.parse_args()
    need_wrk()
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgresql"):
        raise SystemExit("DATABASE_URL=postgresql+asyncpg://…/bench_pool (PostgreSQL only)")
    env = {"DATABASE_URL": url}
    fresh_database(url)
    seed(args.app, env)
    rows = [(pool, measure(args.app, pool, args, env)) for pool in args.pools.split(",")]
    print(f"\nGET /api/v1/me, wrk -c{args.connections} -d{args.seconds}s, one worker, app of "
          f"{args.app}; load average {load_average()}")
    print(f"{'pool (size+overflow)':22} {'req/s':>7} {'p50 ms':>8} {'p99 ms':>8} {'err':>5} "
          f"{'opened':>7} {'peak':>5}")
    for pool, r in rows:
        print(f"{pool:22} {r['rps']:7.0f} {r['p50']:8.2f} {r['p99']:8.2f} {r['errors']:5.0f} "
              f"{r['opened']:7.0f} {r['peak']:5d}")


if __name__ == "__main__":
    main()
