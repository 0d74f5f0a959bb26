"""GET /cases and POST /cases on a district with ≥200,000 cases, against a bare baseline.

    .venv/bin/python bench/cases.py                      # SQLite (file under /tmp)
    DATABASE_URL=postgresql+asyncpg://postgres@127.0.0.1:5432/bench .venv/bin/python bench/cases.py

Loads the demo district and N cases (default 200,000; kept between runs, topped up when
short), then serves the real app and bench/raw_app.py with one uvicorn worker each, and drives
both with wrk in turn: GET /cases first page and a deep cursor page (20 items) scoped to a
community and to the whole district, and POST /cases with a fresh Idempotency-Key per request
(claim, case, timeline, outbox, audit in one transaction). Prints p50/p99 latency,
requests/s and the app/baseline ratio for each. Needs `wrk` (Debian package). Figures drift
between runs: compare ratios.

The baseline sends the statements the app sends, no more and no fewer: before serving, the
app runs in-process and every statement it sends per request is recorded (`Recorder`, an
engine event listener; the request after a first one, its caches warm — principal 5 s,
categories, grid boundaries — as in the measured runs), written to a file the baseline
replays, and the baseline is run in-process and held to the same list of SQL, request for
request (`check_same_sql`, whose summary is printed). Per request that is, on SQLite,
GET: BEGIN, the page, COMMIT; POST: BEGIN IMMEDIATE, the key's claim, the grid, the case,
its event, the outbox row, the audit row, the key's completion, COMMIT. On PostgreSQL, GET:
the page (autocommit); POST: BEGIN, the claim, the grid, the case, one statement for the
event, outbox, audit and completion, COMMIT. The principal's statement is sent at most once
per 5 s per user on both sides.
"""

from __future__ import annotations

import argparse
import asyncio
import enum
import json
import logging
import os
import random
import re
import sys
import tempfile
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
WORK = Path(tempfile.gettempdir()) / "gridapi-bench"
WORK.mkdir(exist_ok=True)
os.environ.setdefault("DATABASE_URL", f"sqlite+aiosqlite:///{WORK}/cases.db")
SPEC_FILE = WORK / "spec.json"

import httpx
from alembic import command
from sqlalchemy import event, func, insert, select, text
from sqlalchemy.engine import Connection

from app.cases import categories
from app.cases import repository as cases_repo
from app.cases.service import CASES_LIST
from app.cli import alembic_config
from app.core.auth import load_user_principal
from app.core.config import Settings
from app.core.db import Database, make_engine
from app.core.idempotency import advisory_key
from app.core.pagination import encode_cursor
from app.core.security import issue_access_token
from app.core.types import utcnow
from app.main import create_app
from app.models import Case, CaseCategory, Grid, IdempotencyKey, User
from app.seed import demo
from bench.drive import need_wrk, print_side_by_side, serve, wrk

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


class Recorder:
    """Every statement the app sends on an engine, in order, as the driver receives it:
    SQL text, parameters, and transaction control — SQLite's BEGIN [IMMEDIATE] is a statement
    of its own; PostgreSQL's BEGIN is implicit (asyncpg sends it before the first statement)
    and noted here from the engine's `begin` event, except in autocommit (reads)."""

    def __init__(self, engine: Any) -> None:
        self.log: list[tuple[str, tuple[Any, ...]]] = []
        self.columns: dict[str, list[str]] = {}
        sync = engine.sync_engine
        self.pg = sync.dialect.name == "postgresql"
        event.listen(sync, "before_cursor_execute", self._execute)
        event.listen(sync, "after_cursor_execute", self._described)
        event.listen(sync, "begin", lambda conn: self._control(conn, "BEGIN"))
        event.listen(sync, "commit", lambda conn: self._control(conn, "COMMIT"))
        event.listen(sync, "rollback", lambda conn: self._control(conn, "ROLLBACK"))

    def _execute(self, _conn: Any, _cursor: Any, sql: str, params: Any, *_: Any) -> None:
        self.log.append((sql, tuple(params or ())))

    def _described(self, _conn: Any, cursor: Any, sql: str, *_: Any) -> None:
        if cursor.description:
            self.columns[sql] = [d[0] for d in cursor.description]

    def _control(self, conn: Any, what: str) -> None:
        if conn.get_execution_options().get("isolation_level") == "AUTOCOMMIT":
            return  # nothing is sent
        if what != "BEGIN" or self.pg:  # SQLite's BEGIN is logged as the statement it is
            self.log.append((what, ()))


PRINCIPAL_SQL = "SELECT users.id, users.username, users.is_active"


def _plain(v: Any) -> Any:
    return v.value if isinstance(v, enum.Enum) else v


def _warm(log: list[tuple[str, tuple[Any, ...]]]) -> list[list[Any]]:
    return [[sql, [_plain(p) for p in params]] for sql, params in log
            if not sql.startswith(PRINCIPAL_SQL)]


_SQLITE_TS = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}$")


def post_template(log: list[tuple[str, tuple[Any, ...]]], *, key: str, lock: int,
                  case_id: int, claim_id: int) -> dict[str, Any]:
    """The app's statements of one POST /cases, with the values that change per request
    marked for the baseline to fill in: {"$": name}."""
    statements = _warm(log)
    claim_at = next(i for i, (sql, _) in enumerate(statements)
                    if sql.startswith("INSERT INTO idempotency_keys"))
    case_at = next(i for i, (sql, _) in enumerate(statements)
                   if sql.startswith("INSERT INTO cases "))
    body = ""
    for i, (sql, params) in enumerate(statements):
        for j, v in enumerate(params):
            mark = None
            if isinstance(v, datetime) or (isinstance(v, str) and _SQLITE_TS.match(v)):
                mark = "now"
            elif v == key:
                mark = "key"
            elif isinstance(v, int) and v == lock and i == claim_at:
                mark = "lock"
            elif isinstance(v, bytes | memoryview):
                body, mark = bytes(v).decode(), "body"
            elif i > case_at and "UPDATE idempotency_keys" in sql and j == len(params) - 1:
                assert v == claim_id, (v, claim_id)
                mark = "claim_id"
            elif i > case_at and type(v) is int and v == case_id:
                mark = "case_id"
            elif i > case_at and v == str(case_id):
                mark = "case_id_str"
            if mark:
                params[j] = {"$": mark}
    returning = [c.strip().removeprefix("cases.")
                 for c in statements[case_at][0].rsplit("RETURNING", 1)[1].split(",")]
    marks = [p["$"] for _, params in statements for p in params if isinstance(p, dict)]
    assert {"key", "claim_id", "case_id", "now", "body"} <= set(marks), marks
    return {"statements": statements, "claim_at": claim_at, "case_at": case_at,
            "case_id_column": returning.index("id"), "body": body}


async def capture(db: Database, settings: Settings, users: dict[str, int],
                  tokens: dict[str, str]) -> dict[str, Any]:
    """What the app sends per request, recorded in-process (see bench/raw_app.py)."""
    pg = db.engine.dialect.name == "postgresql"
    spec: dict[str, Any] = {"dialect": db.engine.dialect.name, "get": {}, "principal": {},
                            "principal_ttl": settings.principal_cache_seconds}
    spec["dsn"] = (settings.database_url.replace("postgresql+asyncpg", "postgresql") if pg
                   else settings.database_url.split("///", 1)[1])
    cursors: dict[str, str] = {}
    async with db.reading() as s:
        for scope in ("community", "district"):
            p = await load_user_principal(s, users[scope])
            ids = list((await s.execute(select(Case.id).where(cases_repo.visible(p))
                                        .order_by(Case.id.desc()))).scalars())
            cursors[scope] = encode_cursor([ids[len(ids) // 2]], CASES_LIST)
            spec.setdefault("visible", {})[scope] = len(ids)
    spec["cursor"] = cursors
    app = create_app(settings, db)
    logging.getLogger("gridapi").setLevel(logging.WARNING)
    rec = Recorder(db.engine)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://bench") as client:
        for scope in ("community", "district"):
            auth = {"Authorization": f"Bearer {tokens[scope]}"}
            for page, url in (("first", "/api/v1/cases?limit=20"),
                              ("deep", f"/api/v1/cases?limit=20&cursor={cursors[scope]}")):
                for _ in range(2):  # the first fills the caches; the second is the one
                    rec.log.clear()
                    r = await client.get(url, headers=auth)
                    assert r.status_code == 200, r.text
                    _note_principal(spec, scope, rec.log)
                spec["get"].setdefault(scope, {})[page] = _warm(rec.log)
        page_sql = next(sql for sql, _ in spec["get"]["district"]["first"]
                        if sql not in ("BEGIN", "COMMIT"))
        spec["get_columns"] = rec.columns.get(page_sql) or await _described(db, page_sql)
        spec["post_body"] = post_body = await _post_body(db)
        for _ in range(2):
            rec.log.clear()
            key = uuid.uuid4().hex
            r = await client.post("/api/v1/cases", json=post_body, headers={
                "Authorization": f"Bearer {tokens['writer']}", "Idempotency-Key": key})
            assert r.status_code == 201, r.text
            _note_principal(spec, "writer", rec.log)
            post_log = list(rec.log)
    async with db.reading() as s:
        claim_id = (await s.execute(select(IdempotencyKey.id).where(
            IdempotencyKey.key == key))).scalar_one()
    spec["post"] = post_template(post_log, key=key, case_id=r.json()["id"], claim_id=claim_id,
                                 lock=advisory_key(f"user:{users['writer']}", key))
    event.remove(db.engine.sync_engine, "before_cursor_execute", rec._execute)
    return spec


async def _described(db: Database, sql: str) -> list[str]:
    """The result columns of `sql`, asked of the server: a compiled read (app/core/reads.py)
    goes to asyncpg directly, so no cursor description reaches the Recorder."""
    async with db.reading() as s:
        driver = (await (await s.connection()).get_raw_connection()).driver_connection
        return [a.name for a in (await driver.prepare(sql)).get_attributes()]


def _note_principal(spec: dict[str, Any], user: str, log: list[Any]) -> None:
    for sql, params in log:
        if sql.startswith(PRINCIPAL_SQL):
            spec["principal"][user] = {"sql": sql, "params": list(params)}


async def _post_body(db: Database) -> dict[str, Any]:
    async with db.reading() as s:
        code = (await s.execute(select(CaseCategory.code).where(
            CaseCategory.time_limit_hours.is_not(None)).order_by(CaseCategory.code))).scalar()
        grid = (await s.execute(select(Grid).where(Grid.code == "JA-XY-01-G1"))).scalar_one()
    assert grid.min_lng is not None and grid.max_lng is not None
    assert grid.min_lat is not None and grid.max_lat is not None
    return {"category_code": code, "description": "占道经营",
            "lng": (grid.min_lng + grid.max_lng) / 2, "lat": (grid.min_lat + grid.max_lat) / 2}


async def check_same_sql(spec: dict[str, Any], spec_file: Path) -> str:
    """Run the baseline in-process and hold what it sends, request for request, to what the
    app sent (the statements' SQL text, transaction control included)."""
    os.environ["BENCH_SQL"] = str(spec_file)
    from bench import raw_app

    raw_app.SENT = sent = []
    async with raw_app.lifespan(raw_app.app), httpx.AsyncClient(
            transport=httpx.ASGITransport(app=raw_app.app), base_url="http://raw") as client:
        for scope in ("community", "district"):
            for page in ("first", "deep"):
                await client.get(f"/cases?scope={scope}&page={page}")  # principal loaded
                sent.clear()
                await client.get(f"/cases?scope={scope}&page={page}")
                app_sent = [sql for sql, _ in spec["get"][scope][page]]
                assert sent == app_sent, (scope, page, sent, app_sent)
        await client.post("/cases", json=spec["post_body"])
        sent.clear()
        r = await client.post("/cases", json=spec["post_body"],
                              headers={"Idempotency-Key": uuid.uuid4().hex})
        assert r.status_code == 201, r.text
        app_sent = [sql for sql, _ in spec["post"]["statements"]]
        assert sent == app_sent, (sent, app_sent)
    raw_app.SENT = None
    get = spec["get"]["district"]["first"]
    return (f"baseline sends what the app sends: GET /cases {len(get)} statements "
            f"({', '.join(_short(sql) for sql, _ in get)}), POST /cases "
            f"{len(app_sent)} ({', '.join(_short(sql) for sql in app_sent)}); "
            f"the principal at most every {spec['principal_ttl']:g} s on both")


def _short(sql: str) -> str:
    words = sql.split()
    if words[0] in ("BEGIN", "COMMIT", "ROLLBACK"):
        return " ".join(words)
    if words[0] == "WITH":
        return "WITH (INSERT…) UPDATE " + words[words.index("UPDATE") + 1]
    table = {"SELECT": words[1].split(".")[0], "UPDATE": words[1]}.get(words[0], words[2])
    return f"{words[0]} {table}"


# Keys unique across wrk processes: the app's run and the baseline's claim keys for the same
# principal, and a fixed random seed with os.time() and a counter repeated keys between runs
# that met within one second (the claim then inserts nothing).
POST_LUA = """
local urandom = io.open("/dev/urandom", "rb")
local hex = function(c) return string.format("%02x", c:byte()) end
local run = string.gsub(urandom:read(8), ".", hex)
urandom:close()
counter = 0
request = function()
  counter = counter + 1
  local key = "bench-" .. run .. "-" .. counter
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
    tokens = {k: issue_access_token(settings, subject=f"user:{v}", ttl_seconds=7200)
              for k, v in users.items()}
    spec = await capture(db, settings, users, tokens)
    await db.dispose()
    SPEC_FILE.write_text(json.dumps(spec, default=str))
    print(await check_same_sql(spec, SPEC_FILE), file=sys.stderr)
    print(f"{total:,} cases; community admin sees {spec['visible']['community']:,}, "
          f"district admin {spec['visible']['district']:,}", file=sys.stderr)
    return settings, spec, tokens


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=200_000)
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--connections", type=int, default=16)
    args = parser.parse_args()
    need_wrk()
    settings, spec, tokens = asyncio.run(prepare(args.cases))
    # One writer posts as fast as wrk can: the per-user report limit would answer 429.
    env = {"DATABASE_URL": settings.database_url, "BENCH_SQL": str(SPEC_FILE),
           "GRID_LOGIN_IP_LIMIT": "100000/minute", "GRID_CASE_CREATE_LIMIT": "10000000/minute"}
    app = serve(["app.main:create_app", "--factory"], 8101, env)
    raw = serve(["bench.raw_app:app"], 8102, env)
    lua = WORK / "post.lua"
    lua.write_text(POST_LUA)
    try:
        rows = []
        for scope in ("community", "district"):
            for page in ("first", "deep"):
                cursor = f"&cursor={spec['cursor'][scope]}" if page == "deep" else ""
                a = wrk(f"http://127.0.0.1:8101/api/v1/cases?limit=20{cursor}", args.seconds,
                        args.connections, {"Authorization": f"Bearer {tokens[scope]}"})
                b = wrk(f"http://127.0.0.1:8102/cases?scope={scope}&page={page}", args.seconds,
                        args.connections, {})
                rows.append((f"GET /cases {scope}, {page} page", a, b))
        body = json.dumps(spec["post_body"])
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
    print_side_by_side(f"{spec['dialect']}, {args.connections} connections, {args.seconds}s each, "
                       "one worker each", rows, args.seconds)

if __name__ == "__main__":
    main()
