"""GET /cases and POST /cases on a district with ≥200,000 cases, against a bare baseline.

    .venv/bin/python bench/cases.py                      # SQLite (file under /tmp)
    DATABASE_URL=postgresql+asyncpg://postgres@127.0.0.1:5432/bench .venv/bin/python bench/cases.py

Loads the demo district and N cases (default 200,000; kept between runs, topped up when
short), then serves the real app and bench/raw_app.py (the same SQL through the raw driver,
no ORM/auth/validation) with one uvicorn worker each, and drives both with wrk in turn:
GET /cases first page and a deep cursor page (20 items) scoped to a community and to the whole
district, and POST /cases with a fresh Idempotency-Key per request (claim, case, timeline,
outbox, audit in one transaction). Prints p50/p99 latency, requests/s and the app/baseline
ratio for each. Needs `wrk` (Debian package). Figures drift between runs: compare ratios.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
WORK = Path(tempfile.gettempdir()) / "gridapi-bench"
WORK.mkdir(exist_ok=True)
os.environ.setdefault("DATABASE_URL", f"sqlite+aiosqlite:///{WORK}/cases.db")

from alembic import command
from sqlalchemy import func, insert, select, text
from sqlalchemy.engine import Connection

from app.cases import categories
from app.cases import repository as cases_repo
from app.cli import alembic_config
from app.core.auth import load_user_principal
from app.core.config import Settings
from app.core.db import Database, make_engine
from app.core.pagination import PageParams, encode_cursor
from app.core.security import issue_access_token
from app.core.types import utcnow
from app.models import Case, CaseCategory, Grid, User
from app.seed import demo

STATUSES = ["reported", "accepted", "dispatched", "in_progress", "resolved", "closed", "closed",
            "closed", "rejected", "suspended"]


def migrate(conn: Connection, settings: Settings) -> None:
    cfg = alembic_config(settings)
    cfg.attributes["connection"] = conn
    command.upgrade(cfg, "head")


async def load_cases(db: Database, target: int) -> int:
    async with db.writing() as s:
        have = int(await s.scalar(select(func.count()).select_from(Case)) or 0)
        grids = list((await s.execute(select(Grid))).scalars())
        leaves = list((await s.execute(select(CaseCategory.code).where(
            CaseCategory.time_limit_hours.is_not(None)))).scalars())
        reporter = (await s.execute(select(User.id).where(
            User.username == "demo_grid_worker"))).scalar_one()
    rng = random.Random(7)
    now = utcnow()
    batch: list[dict[str, Any]] = []
    for i in range(have, target):
        g = rng.choice(grids)
        assert g.min_lng is not None and g.max_lng is not None
        assert g.min_lat is not None and g.max_lat is not None
        reported = now - timedelta(minutes=rng.randint(0, 180 * 24 * 60))
        status = rng.choice(STATUSES)
        batch.append({
            "code": f"BENCH{i:09d}", "category_code": rng.choice(leaves),
            "description": "占道经营，影响通行", "address": None,
            "lng": rng.uniform(g.min_lng, g.max_lng), "lat": rng.uniform(g.min_lat, g.max_lat),
            "grid_id": g.id, "org_path": g.org_path, "street_id": g.street_id,
            "community_id": g.community_id, "status": status, "source": "app",
            "reporter_id": reporter, "reporter_key": f"user:{reporter}", "client_ref": None,
            "reported_at": reported, "due_at": reported + timedelta(hours=8),
            "closed_at": reported + timedelta(hours=5) if status == "closed" else None,
            "rework_count": 0, "return_count": 0, "version": 1, "created_at": reported,
            "updated_at": reported,
        })
        if len(batch) == 5000:
            await _insert(db, batch)
            batch = []
            print(f"  loaded {i + 1:,} cases", file=sys.stderr)
    if batch:
        await _insert(db, batch)
    return max(have, target)


async def _insert(db: Database, rows: list[dict[str, Any]]) -> None:
    async with db.writing() as s:
        await s.execute(insert(Case), rows)
        await s.commit()


def compiled(stmt: Any, dialect: Any) -> dict[str, Any]:
    # Expanding parameters (IN lists) rendered as the app's
    # driver would receive them.
    c = stmt.compile(dialect=dialect, compile_kwargs={"render_postcompile": True})
    names = c.positiontup or []
    return {"sql": str(c), "args": [c.params[n] for n in names]}


async def sql_spec(db: Database, users: dict[str, int], settings: Settings) -> dict[str, Any]:
    pg = db.engine.dialect.name == "postgresql"
    # Numbered placeholders on both (`?5` is SQLite's `$5`): a value may be used twice.
    ph = (lambda i: f"${i}") if pg else (lambda i: f"?{i}")
    spec: dict[str, Any] = {"dialect": db.engine.dialect.name, "user_ids": users, "list": {}}
    spec["dsn"] = (settings.database_url.replace("postgresql+asyncpg", "postgresql") if pg
                   else settings.database_url.split("///", 1)[1])
    spec["columns"] = [c.name for c in Case.__table__.columns]
    spec["category_index"] = spec["columns"].index("category_code")
    async with db.writing() as s:
        for scope in ("community", "district"):
            p = await load_user_principal(s, users[scope])
            first = cases_repo.list_statement(p, filters=[],
                                              page=PageParams(limit=20, cursor=None))
            ids = list((await s.execute(select(Case.id).where(cases_repo.visible(p))
                                        .order_by(Case.id.desc()))).scalars())
            deep_id = ids[len(ids) // 2]
            deep = cases_repo.list_statement(
                p, filters=[], page=PageParams(limit=20, cursor=encode_cursor([deep_id])))
            spec["list"][scope] = {"first": compiled(first, db.engine.dialect),
                                   "deep": compiled(deep, db.engine.dialect),
                                   "cursor": encode_cursor([deep_id]), "visible": len(ids)}
        grid = (await s.execute(select(Grid).where(Grid.code == "JA-XY-01-G1"))).scalar_one()
    spec["principal_sql"] = (
        "SELECT users.id, users.username, users.is_active, role_assignments.id, "
        "role_assignments.role, role_assignments.org_id, role_assignments.org_path FROM users "
        "LEFT OUTER JOIN role_assignments ON role_assignments.user_id = users.id "
        f"WHERE users.id = {ph(1)}")
    spec["names_sql"] = "SELECT code, name FROM case_categories WHERE code IN (:list)"
    writer = users["writer"]
    spec["writer_id"] = writer
    cat = (await _leaf(db))
    spec["write"] = {
        "category_code": cat,
        "category": f"SELECT * FROM case_categories WHERE code = {ph(1)}",
        "grid": (f"SELECT * FROM grids WHERE min_lng <= {ph(1)} AND max_lng >= {ph(2)} AND "
                 f"min_lat <= {ph(3)} AND max_lat >= {ph(4)} ORDER BY id"),
        "claim": ("INSERT INTO idempotency_keys (principal, key, endpoint, request_hash, state, "
                  f"created_at) VALUES ('user:{writer}', {ph(1)}, 'POST /api/v1/cases', 'h', "
                  f"'in_flight', {ph(2)}) RETURNING id"),
        "case": ("INSERT INTO cases (code, category_code, description, address, lng, lat, "
                 "grid_id, org_path, street_id, community_id, status, source, reporter_id, "
                 "reporter_key, reported_at, due_at, escalation_level, rework_count, "
                 "return_count, version, created_at, updated_at) VALUES "
                 f"({ph(1)}, '{cat}', {ph(2)}, NULL, {ph(3)}, {ph(4)}, {grid.id}, "
                 f"'{grid.org_path}', {grid.street_id}, {grid.community_id}, 'reported', 'app', "
                 f"{writer}, 'user:{writer}', {ph(5)}, {ph(6)}, 0, 0, 0, 1, {ph(5)}, {ph(5)}) "
                 "RETURNING id"),
        "code": f"UPDATE cases SET code = {ph(1)} WHERE id = {ph(2)}",
        "event": ("INSERT INTO case_events (case_id, action, to_status, actor, data, at) VALUES "
                  f"({ph(1)}, 'report', 'reported', 'user:{writer}', '{{}}', {ph(2)})"),
        "outbox": ("INSERT INTO outbox_events (topic, payload, status, attempts, available_at, "
                   f"created_at) VALUES ('webhook.fanout', {ph(1)}, 'pending', 0, {ph(2)}, "
                   f"{ph(2)})"),
        "audit": ("INSERT INTO audit_log (actor, action, object_type, object_id, detail, at) "
                  f"VALUES ('user:{writer}', 'case.report', 'case', {ph(1)}, '{{}}', {ph(2)})"),
        "complete": ("UPDATE idempotency_keys SET state = 'done', response_status = 201, "
                     f"response_body = {ph(1)} WHERE principal = 'user:{writer}' AND "
                     f"key = {ph(2)}"),
        "point": [(grid.min_lng + grid.max_lng) / 2, (grid.min_lat + grid.max_lat) / 2],
    }
    return spec


async def _leaf(db: Database) -> str:
    async with db.writing() as s:
        return str((await s.execute(select(CaseCategory.code).where(
            CaseCategory.time_limit_hours.is_not(None)).order_by(CaseCategory.code))).scalar())


def serve(args: list[str], port: int, env: dict[str, str]) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", *args, "--port", str(port), "--no-access-log",
         "--log-level", "warning"], cwd=ROOT, env={**os.environ, **env},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(100):
        try:
            import urllib.request

            urllib.request.urlopen(f"http://127.0.0.1:{port}/docs", timeout=1)
            return proc
        except Exception:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit(f"server on port {port} did not start")


WARMUP_SECONDS = 2


def wrk(url: str, seconds: int, connections: int, headers: dict[str, str],
        script: str | None = None) -> dict[str, float]:
    """Drive `url` for `seconds` after an unmeasured warm-up of the same requests (both sides
    alike: a fresh process fills its statement caches and principal cache on first use)."""
    if seconds > WARMUP_SECONDS:
        _wrk(url, WARMUP_SECONDS, connections, headers, script)
    return _wrk(url, seconds, connections, headers, script)


def _wrk(url: str, seconds: int, connections: int, headers: dict[str, str],
         script: str | None = None) -> dict[str, float]:
    cmd = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency"]
    for k, v in headers.items():
        cmd += ["-H", f"{k}: {v}"]
    if script:
        cmd += ["-s", script]
    out = subprocess.run([*cmd, url], capture_output=True, text=True, check=True).stdout
    def ms(label: str) -> float:
        m = re.search(rf"^\s*{label}\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        if not m:
            return float("nan")
        return float(m.group(1)) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[m.group(2)]
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {"p50": ms("50%"), "p99": ms("99%"), "rps": float(rps.group(1)) if rps else 0.0,
            "errors": float(errors.group(1)) if errors else 0.0}


POST_LUA = """
counter = 0
request = function()
  counter = counter + 1
  local key = "bench-" .. os.time() .. "-" .. counter .. "-" .. math.random(1000000000)
  wrk.headers["Idempotency-Key"] = key
  return wrk.format("POST", nil, nil, wrk.body)
end
"""


async def prepare(n: int) -> tuple[Settings, dict[str, Any], dict[str, str]]:
    settings = Settings(log_json=True)
    db = Database(make_engine(settings))
    async with db.engine.begin() as conn:
        await conn.run_sync(migrate, settings)
    async with db.writing() as s:
        await categories.sync(s)
        await s.commit()
    await demo.seed(db, settings, progress=lambda _m: None)
    total = await load_cases(db, n)
    async with db.engine.connect() as conn:  # planner statistics, as a live database has them
        await conn.execute(text("ANALYZE"))
        await conn.commit()
    async with db.writing() as s:
        users = {name: (await s.execute(select(User.id).where(User.username == u))).scalar_one()
                 for name, u in (("community", "demo_community_admin"),
                                 ("district", "demo_district_admin"),
                                 ("writer", "demo_grid_worker"))}
    spec = await sql_spec(db, users, settings)
    tokens = {k: issue_access_token(settings, subject=f"user:{v}", ttl_seconds=7200)
              for k, v in users.items()}
    await db.dispose()
    print(f"{total:,} cases; community admin sees {spec['list']['community']['visible']:,}, "
          f"district admin {spec['list']['district']['visible']:,}", file=sys.stderr)
    return settings, spec, tokens


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=200_000)
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--connections", type=int, default=16)
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is needed: apt-get install wrk")
    settings, spec, tokens = asyncio.run(prepare(args.cases))
    spec_file = WORK / "spec.json"
    spec_file.write_text(json.dumps(spec, default=str))
    env = {"DATABASE_URL": settings.database_url, "BENCH_SQL": str(spec_file),
           "GRID_LOGIN_IP_LIMIT": "100000/minute"}
    app = serve(["app.main:create_app", "--factory"], 8101, env)
    raw = serve(["bench.raw_app:app"], 8102, env)
    lua = WORK / "post.lua"
    lua.write_text(POST_LUA)
    try:
        rows = []
        for scope in ("community", "district"):
            for page in ("first", "deep"):
                cursor = f"&cursor={spec['list'][scope]['cursor']}" if page == "deep" else ""
                a = wrk(f"http://127.0.0.1:8101/api/v1/cases?limit=20{cursor}", args.seconds,
                        args.connections, {"Authorization": f"Bearer {tokens[scope]}"})
                b = wrk(f"http://127.0.0.1:8102/cases?scope={scope}&page={page}", args.seconds,
                        args.connections, {})
                rows.append((f"GET /cases {scope}, {page} page", a, b))
        lng, lat = spec["write"]["point"]
        body = json.dumps({"category_code": spec["write"]["category_code"],
                           "description": "占道经营", "lng": lng, "lat": lat})
        post_headers = {"Content-Type": "application/json",
                        "Authorization": f"Bearer {tokens['writer']}"}
        lua.write_text(f"wrk.body = {json.dumps(body)}\n" + POST_LUA)
        a = wrk("http://127.0.0.1:8101/api/v1/cases", args.seconds, args.connections,
                post_headers, str(lua))
        b = wrk("http://127.0.0.1:8102/cases", args.seconds, args.connections,
                {"Content-Type": "application/json"}, str(lua))
        rows.append(("POST /cases (Idempotency-Key, outbox)", a, b))
    finally:
        app.terminate()
        raw.terminate()
    db_name = spec["dialect"]
    print(f"\n{db_name}, {args.connections} connections, {args.seconds}s each, one worker each")
    print(f"{'':40} {'app p50':>8} {'p99':>8} {'req/s':>7} {'err':>4} | {'raw p50':>8} "
          f"{'p99':>8} {'req/s':>7} {'err':>4} | {'ratio':>5}")
    for name, a, b in rows:
        # A side with more than 1% errors measured something else: no ratio for it.
        ok = b["rps"] and all(x["errors"] <= 0.01 * x["rps"] * args.seconds for x in (a, b))
        ratio = a["rps"] / b["rps"] if ok else float("nan")
        print(f"{name:40} {a['p50']:8.2f} {a['p99']:8.2f} {a['rps']:7.0f} {a['errors']:4.0f} | "
              f"{b['p50']:8.2f} {b['p99']:8.2f} {b['rps']:7.0f} {b['errors']:4.0f} | "
              f"{ratio:5.2f}")


if __name__ == "__main__":
    main()
