"""The per-request floor: `GET /api/v1/me` and `GET /api/v1/grids/{id}` of the real app beside
a bare FastAPI app doing the same token and database work (bench/raw_floor.py).

    .venv/bin/python bench/floor.py                       # SQLite (file under /tmp)
    DATABASE_URL=postgresql+asyncpg://postgres@127.0.0.1:5432/bench_floor \\
        .venv/bin/python bench/floor.py [--seconds 8] [--connections 16 64]

Migrates and seeds the demo district (a `bench*` PostgreSQL database is recreated), logs the
demo grid worker in, then runs the app in-process and records, for the second (warm) request
of each endpoint, every statement it sends (SQL, parameters, transaction control; the
principal's statement, sent at most once per 5 s, separately) and the response body. The
baseline replays exactly that list through the raw driver, verifies the same JWT with PyJWT,
caches claims and the principal for the same 5 s, and answers the recorded body; before
measuring, it runs in-process and is held to the same SQL, request for request. Both are
served by one uvicorn worker each (production settings for the app: access log, metrics,
principal cache) and driven with wrk in turn. Prints p50/p99, requests/s and app ÷ baseline.
Needs `wrk`. Figures drift between runs and with the machine's load: compare ratios.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
WORK = Path(tempfile.gettempdir()) / "gridapi-bench"
WORK.mkdir(exist_ok=True)
os.environ.setdefault("DATABASE_URL", f"sqlite+aiosqlite:///{WORK}/floor.db")
SPEC_FILE = WORK / "floor.json"

import httpx
from sqlalchemy import event, select

from app.core.config import Settings
from app.core.db import Database, make_engine
from app.main import create_app
from app.models import Grid, RoleAssignment, User
from bench.cases import PRINCIPAL_SQL, Recorder, _note_principal, _short, _warm
from bench.drive import (
    fresh_database,
    load_average,
    need_wrk,
    print_side_by_side,
    seed,
    serve,
    wrk,
)

ENDPOINTS = ("me", "grid")


async def capture(settings: Settings) -> tuple[dict[str, Any], str, int]:
    db = Database(make_engine(settings))
    async with db.reading() as s:
        user_id = (await s.execute(select(User.id).where(
            User.username == "demo_grid_worker"))).scalar_one()
        org_path = (await s.execute(select(RoleAssignment.org_path).where(
            RoleAssignment.user_id == user_id))).scalars().first()
        grid_id = (await s.execute(select(Grid.id).where(Grid.org_path == org_path))
                   ).scalars().first()
    assert grid_id is not None, "the demo grid worker's grid"
    pg = db.engine.dialect.name == "postgresql"
    spec: dict[str, Any] = {
        "dialect": db.engine.dialect.name, "principal": {},
        "principal_ttl": settings.principal_cache_seconds,
        "dsn": (settings.database_url.replace("postgresql+asyncpg", "postgresql") if pg
                else settings.database_url.split("///", 1)[1]),
        "jwt": {"keys": settings.jwt_keys, "audience": settings.jwt_audience,
                "issuer": settings.jwt_issuer},
    }
    app = create_app(settings, db)
    logging.getLogger("gridapi").setLevel(logging.WARNING)
    rec = Recorder(db.engine)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://bench") as client:
        r = await client.post("/api/v1/auth/login", json={
            "username": "demo_grid_worker", "password": "Demo@2026"})
        assert r.status_code == 200, r.text
        token = r.json()["access_token"]
        auth = {"Authorization": f"Bearer {token}"}
        for name, url in (("me", "/api/v1/me"), ("grid", f"/api/v1/grids/{grid_id}")):
            for _ in range(2):  # the first fills the caches; the second is the one
                rec.log.clear()
                r = await client.get(url, headers=auth)
                assert r.status_code == 200, r.text
                _note_principal(spec, "user", rec.log)
            spec[name] = {"statements": _warm(rec.log), "body": r.content.decode()}
    event.remove(db.engine.sync_engine, "before_cursor_execute", rec._execute)
    spec["principal"] = spec["principal"]["user"]
    await db.dispose()
    return spec, token, grid_id


async def check_same_sql(spec: dict[str, Any], token: str, grid_id: int) -> str:
    """Run the baseline in-process; hold what it sends to what the app sent, and its body to
    the app's body."""
    os.environ["BENCH_FLOOR_SQL"] = str(SPEC_FILE)
    from bench import raw_floor

    raw_floor.SENT = sent = []
    auth = {"Authorization": f"Bearer {token}"}
    async with raw_floor.lifespan(raw_floor.app), httpx.AsyncClient(
            transport=httpx.ASGITransport(app=raw_floor.app), base_url="http://raw") as client:
        for name, url in (("me", "/api/v1/me"), ("grid", f"/api/v1/grids/{grid_id}")):
            await client.get(url, headers=auth)  # claims and principal cached
            sent.clear()
            r = await client.get(url, headers=auth)
            assert r.status_code == 200 and r.text == spec[name]["body"], r.text
            assert sent == [sql for sql, _ in spec[name]["statements"]], (name, sent)
    raw_floor.SENT = None
    return "; ".join(
        f"{name}: {len(spec[name]['statements'])} statements "
        f"({', '.join(_short(sql) for sql, _ in spec[name]['statements'])})"
        for name in ENDPOINTS) + f"; the principal ({_short(spec['principal']['sql'])}) " \
        f"at most every {spec['principal_ttl']:g} s on both"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--connections", type=int, nargs="+", default=[16, 64])
    args = parser.parse_args()
    need_wrk()
    url = os.environ["DATABASE_URL"]
    fresh_database(url)
    env = {"DATABASE_URL": url}
    seed(ROOT, env)
    settings = Settings(log_json=True)
    spec, token, grid_id = asyncio.run(capture(settings))
    assert spec["principal"]["sql"].startswith(PRINCIPAL_SQL)
    SPEC_FILE.write_text(json.dumps(spec, default=str))
    print(asyncio.run(check_same_sql(spec, token, grid_id)), file=sys.stderr)
    env["BENCH_FLOOR_SQL"] = str(SPEC_FILE)
    app = serve(["app.main:create_app", "--factory"], 8111, env, probe="/healthz")
    raw = serve(["bench.raw_floor:app"], 8112, env, probe="/docs")
    auth = {"Authorization": f"Bearer {token}"}
    rows = []
    try:
        for connections in args.connections:
            for name, path in (("GET /me", "/api/v1/me"),
                               ("GET /grids/{id}", f"/api/v1/grids/{grid_id}")):
                a = wrk(f"http://127.0.0.1:8111{path}", args.seconds, connections, auth)
                b = wrk(f"http://127.0.0.1:8112{path}", args.seconds, connections, auth)
                rows.append((f"{name}, {connections} connections", a, b))
    finally:
        app.terminate()
        raw.terminate()
    print_side_by_side(f"{spec['dialect']}, {args.seconds}s each, one worker each, "
                       f"load average {load_average()}", rows, args.seconds)

if __name__ == "__main__":
    main()
