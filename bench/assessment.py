"""Scoring a quarter for every community of a district-scale tree: p50/p99 of applying a round,
recomputing it and reading its results, with statements per request.

    .venv/bin/python bench/assessment.py [--runs 20] [--requests 100]      # SQLite (temp file)
    DATABASE_URL=postgresql+asyncpg://postgres@127.0.0.1:5432/bench_assessment \\
        .venv/bin/python bench/assessment.py

In-process (httpx ASGI transport), like bench/bulletin.py: migrations and the demo seed (for the
district admin's login), then a bench tree under the district, kept between runs: 12 streets ×
12–13 communities (150), each with 3 grids, a year's cases (~20 a month per community, ~36,000
in all, most closed, some late), 3 approved 双报到 registrations, and 4 of the district's key
tasks naming it responsible with a report for every week of the year (~31,800 reports).
A sheet with every computed metric (and a manual item) is applied to 2026-Q4 of the whole
district (`POST /assessment/rounds`, each run a new sheet version so the quarter can be applied
again), recomputed (`POST .../recompute`), and its results read (`GET .../results`) as the
district admin. The seed must run in 2026 (its year is the current one).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

if "DATABASE_URL" not in os.environ:
    os.environ["DATABASE_URL"] = f"sqlite+aiosqlite:///{tempfile.mkdtemp()}/bench.db"

import httpx
from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.cases import categories
from app.cases.categories_data import CATEGORIES
from app.core.config import Settings
from app.core.db import Database
from app.models import Case, Grid, KeyTask, Member, Org, Registration, TaskReport, TaskResponsible
from app.models.base import table_of
from app.models.scoped import scope_from
from app.orgs import service as orgs
from app.orgs.schemas import OrgKind
from app.tasks.weeks import Week, weeks_in
from bench.lists import login, seeded_app

YEAR, STREETS, COMMUNITIES, GRIDS = 2026, 12, 150, 3
TASKS_EACH, CASES_PER_MONTH, REGISTRATIONS = 4, 20, 3
LEAF = next(c.code for c in CATEGORIES if c.time_limit_hours)
BENCH = "BENCH-A"  # code prefix of the bench streets
ITEMS: list[dict[str, Any]] = [
    {"name": "案件办结率", "weight": 1, "max_score": 20, "source": "computed",
     "metric": "case_closure_rate"},
    {"name": "案件按期办结率", "weight": 1, "max_score": 20, "source": "computed",
     "metric": "case_on_time_rate"},
    {"name": "在职党员报到", "weight": 1, "max_score": 10, "source": "computed",
     "metric": "registrations_approved", "target": 3},
    {"name": "重点任务按时报送", "weight": 1, "max_score": 10, "source": "computed",
     "metric": "task_reports_on_time"},
    {"name": "组织生活", "weight": 1, "max_score": 40, "source": "manual"},
]


async def _tree(s: AsyncSession, root: Org) -> list[tuple[Org, list[Grid]]]:
    out: list[tuple[Org, list[Grid]]] = []
    for si in range(STREETS):
        street = await orgs.add_node(s, None, root, OrgKind.street, f"压测街道{si + 1}",
                                     f"{BENCH}-{si + 1:02d}")
        n = COMMUNITIES // STREETS + (si < COMMUNITIES % STREETS)
        for ci in range(n):
            community = await orgs.add_node(s, None, street, OrgKind.community,
                                            f"压测社区{si + 1}-{ci + 1}", None)
            grids = []
            for gi in range(GRIDS):
                branch = await orgs.add_node(s, None, community, OrgKind.grid_branch,
                                             f"压测网格{si + 1}-{ci + 1}-{gi + 1}支部", None)
                grid = Grid(branch_id=branch.id, community_id=community.id,
                            street_id=community.street_id, org_path=branch.path,
                            name=f"压测网格{si + 1}-{ci + 1}-{gi + 1}")
                s.add(grid)
                grids.append(grid)
            await s.flush()
            out.append((community, grids))
    return out


def _cases(tree: list[tuple[Org, list[Grid]]], reporter: int) -> list[dict[str, Any]]:
    rows = []
    start = datetime(YEAR, 1, 1, tzinfo=UTC)
    for ci, (_, grids) in enumerate(tree):
        for k in range(12 * CASES_PER_MONTH):
            grid = grids[k % len(grids)]
            reported = start + timedelta(hours=36 * k + ci)
            closed = k % 5 != 0
            rows.append({
                "code": f"B{grid.id}-{k}", "category_code": LEAF, "description": "压测",
                "lng": 113.8, "lat": 34.0, "grid_id": grid.id, "org_path": grid.org_path,
                "street_id": grid.street_id, "community_id": grid.community_id,
                "status": "closed" if closed else "reported", "reporter_id": reporter,
                "reporter_key": f"user:{reporter}", "reported_at": reported,
                "due_at": reported + timedelta(hours=48),
                "closed_at": reported + timedelta(hours=24 if k % 7 else 72) if closed else None,
            })
    return rows


async def _reports(s: AsyncSession, root: Org, tree: list[tuple[Org, list[Grid]]]) -> None:
    tasks = list((await s.scalars(select(KeyTask).where(
        KeyTask.org_id == root.id, KeyTask.year == YEAR).order_by(KeyTask.seq))).all())
    named = []
    for ci, (community, _) in enumerate(tree):
        for k in range(TASKS_EACH):
            task = tasks[(ci + 12 * k) % len(tasks)]
            named.append(TaskResponsible(task_id=task.id, org_id=community.id,
                                         staff_org_id=community.id, name=community.name))
    s.add_all(named)
    await s.flush()
    rows = [
        {"task_id": r.task_id, "responsible_id": r.id, "org_path": root.path,
         "street_id": None, "community_id": None, "week": str(Week(YEAR, w)),
         "week_start": Week(YEAR, w).monday, "percent": min(100, 2 * w), "text": "按计划推进",
         "attachment_ids": [], "late": (w + r.id) % 6 == 0, "version": 1}
        for r in named for w in range(1, weeks_in(YEAR) + 1)
    ]
    for i in range(0, len(rows), 5000):
        await s.execute(insert(table_of(TaskReport)), rows[i : i + 5000])


async def _registrations(s: AsyncSession, tree: list[tuple[Org, list[Grid]]]) -> None:
    seq = 0
    for community, grids in tree:
        for _ in range(REGISTRATIONS):
            seq += 1
            member = Member(org_id=grids[0].branch_id, **scope_from(grids[0], Member),
                            name="压测党员", id_number_cipher=f"bench-{seq}",
                            id_number_index=f"bench-{seq}", status="full", category="regular")
            s.add(member)
            await s.flush()
            s.add(Registration(member_id=member.id, **scope_from(community, Registration),
                               address="压测路1号", skills=[], status="approved",
                               active_member_id=member.id,
                               decided_at=datetime(YEAR, 11, 1, tzinfo=UTC)))
    await s.flush()


async def load(db: Database, admin_id: int) -> Org:
    async with db.writing() as s:
        root = (await s.execute(select(Org).where(Org.parent_id.is_(None)))).scalar_one()
        if await s.scalar(select(Org.id).where(Org.code == f"{BENCH}-01")):
            return root
        await categories.sync(s)  # `gridapi sync-categories` in a deployment
        tree = await _tree(s, root)
        rows = _cases(tree, admin_id)
        for i in range(0, len(rows), 5000):
            await s.execute(insert(table_of(Case)), rows[i : i + 5000])
        await _reports(s, root, tree)
        await _registrations(s, tree)
    return root


def _figures(name: str, times: list[float], stmts: list[int]) -> str:
    times.sort()
    p99 = times[max(0, int(len(times) * 0.99) - 1)]
    return (f"{name:<38} p50 {statistics.median(times):8.2f} ms  p99 {p99:8.2f} ms  "
            f"{statistics.mean(stmts):.1f} statements")


async def _timed(counter: list[int], call: Any) -> tuple[float, int, httpx.Response]:
    counter[0] = 0
    t0 = time.perf_counter()
    r = await call
    return (time.perf_counter() - t0) * 1000, counter[0], r


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=20, help="rounds applied and recomputed")
    parser.add_argument("--requests", type=int, default=100, help="GET results")
    args = parser.parse_args()
    settings = Settings(log_json=False, login_ip_limit="1000/minute")
    db, app, counter = await seeded_app(settings)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://bench"
    ) as client:
        admin = await login(client, "demo_district_admin", settings.demo_password)
        me = (await client.get("/api/v1/me", headers=admin)).json()
        root = await load(db, me["id"])
        if db.engine.dialect.name == "postgresql":
            async with db.engine.connect() as conn:  # fresh bulk rows: plan on real counts
                await (await conn.execution_options(isolation_level="AUTOCOMMIT")).exec_driver_sql(
                    "ANALYZE")
        async with db.reading() as s:
            cases = await s.scalar(select(func.count(Case.id)))
            reports = await s.scalar(select(func.count(TaskReport.id)))
            communities = await s.scalar(select(func.count(Org.id)).where(
                Org.kind == "community"))
        print(f"database: {settings.database_url.split(':')[0]}, {communities} communities, "
              f"{cases} cases, {reports} task reports")
        sheet = (await client.post("/api/v1/assessment/sheets", headers=admin, json={
            "org_id": root.id, "year": YEAR, "org_kind": "community",
            "name": f"压测细则 {time.time():.0f}", "items": ITEMS})).json()
        applied: dict[str, tuple[list[float], list[int]]] = {
            k: ([], []) for k in ("apply", "recompute", "results")}
        body = {"sheet_id": sheet["id"], "org_id": root.id, "quarter": f"{YEAR}-Q4"}
        rnd = 0
        for _ in range(args.runs):
            ms, n, r = await _timed(counter, client.post(
                "/api/v1/assessment/rounds", headers=admin, json=body))
            assert r.status_code == 201, r.text
            applied["apply"][0].append(ms)
            applied["apply"][1].append(n)
            rnd = r.json()["id"]
            ms, n, r = await _timed(counter, client.post(
                f"/api/v1/assessment/rounds/{rnd}/recompute", headers=admin))
            assert r.status_code == 200, r.text
            applied["recompute"][0].append(ms)
            applied["recompute"][1].append(n)
            # The next run applies a new version of the sheet (a sheet in use is frozen).
            v = await client.post(f"/api/v1/assessment/sheets/{body['sheet_id']}/versions",
                                  headers=admin)
            assert v.status_code == 201, v.text
            body["sheet_id"] = v.json()["id"]
        url = f"/api/v1/assessment/rounds/{rnd}/results"
        lines = len((await client.get(url, headers=admin)).json()["items"])
        for _ in range(args.requests):
            ms, n, r = await _timed(counter, client.get(url, headers=admin))
            assert r.status_code == 200, r.text
            applied["results"][0].append(ms)
            applied["results"][1].append(n)
        print(f"{args.runs} rounds of {lines} communities × {len(ITEMS)} items; "
              f"{args.requests} GET results")
        print(_figures("POST /assessment/rounds (apply Q4)", *applied["apply"]))
        print(_figures("POST /assessment/rounds/{id}/recompute", *applied["recompute"]))
        print(_figures("GET /assessment/rounds/{id}/results", *applied["results"]))
    await db.dispose()


if __name__ == "__main__":
    asyncio.run(main())
