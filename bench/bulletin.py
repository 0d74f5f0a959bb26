"""The district's weekly bulletin on a full year of reports: p50/p99 and statements per request.

    .venv/bin/python bench/bulletin.py [--requests 200]          # SQLite (temp file)
    DATABASE_URL=postgresql+asyncpg://postgres@127.0.0.1:5432/bench \
        .venv/bin/python bench/bulletin.py

In-process (httpx ASGI transport, no network), like bench/lists.py: migrations, the demo seed,
then the seed's 2026 list of 48 district tasks made to name every street office and town as
responsible (15 units), with a report from every unit for every one of the 53 weeks but a few
(48 × 15 × 53 ≈ 38,000 reports), loaded once with plain INSERTs. The seed must run in 2026
(its year is the current one). Measures GET /tasks/bulletin for
2026-W49 of the whole district as the district admin. Target (issue 14): p50 ≤ 50 ms on
PostgreSQL; the statement count does not grow with the data (tests/tasks/test_bulletin.py).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

if "DATABASE_URL" not in os.environ:
    os.environ["DATABASE_URL"] = f"sqlite+aiosqlite:///{tempfile.mkdtemp()}/bench.db"

import httpx
from sqlalchemy import func, insert, select

from app.core.config import Settings
from app.core.db import Database
from app.models import KeyTask, Org, TaskReport, TaskResponsible
from app.models.base import table_of
from app.seed.demo_data import STREETS, TOWNS
from app.tasks.weeks import Week, weeks_in
from bench.lists import login, measure, seeded_app

YEAR, TASKS, WEEK = 2026, 48, "2026-W49"


async def load(db: Database) -> Org:
    """Every street office and town responsible for each of the seed's 48 district tasks, and a
    report from each for every week of the year but a few (kept between runs)."""
    async with db.writing() as s:
        root = (await s.execute(select(Org).where(Org.parent_id.is_(None)))).scalar_one()
        codes = [c for c, _ in STREETS + TOWNS]
        units = list((await s.scalars(select(Org).where(Org.code.in_(codes)))).all())
        tasks = list(
            (
                await s.scalars(
                    select(KeyTask).where(KeyTask.org_id == root.id, KeyTask.year == YEAR)
                )
            ).all()
        )
        assert len(tasks) == TASKS, f"the demo seed's {YEAR} list has {len(tasks)} tasks"
        named = list(
            (
                await s.scalars(
                    select(TaskResponsible).where(
                        TaskResponsible.task_id.in_([t.id for t in tasks])
                    )
                )
            ).all()
        )
        have = {(r.task_id, r.org_id) for r in named}
        extra = [
            TaskResponsible(task_id=t.id, org_id=u.id, staff_org_id=u.id, name=u.name)
            for t in tasks
            for u in units
            if (t.id, u.id) not in have
        ]
        s.add_all(extra)
        await s.flush()
        filed = set(
            (
                await s.execute(
                    select(TaskReport.task_id, TaskReport.responsible_id, TaskReport.week)
                )
            )
            .tuples()
            .all()
        )
        rows = [
            {
                "task_id": r.task_id,
                "responsible_id": r.id,
                "org_path": root.path,
                "street_id": None,
                "community_id": None,
                "week": str(Week(YEAR, w)),
                "week_start": Week(YEAR, w).monday,
                "percent": min(100, 2 * w),
                "text": "按计划推进",
                "attachment_ids": [],
                "late": w % 9 == 0,
                "version": 1,
            }
            for r in [*named, *extra]
            for w in range(1, weeks_in(YEAR) + 1)
            if (w + r.id) % 13 and (r.task_id, r.id, str(Week(YEAR, w))) not in filed
        ]
        for i in range(0, len(rows), 5000):
            await s.execute(insert(table_of(TaskReport)), rows[i : i + 5000])
    return root


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    settings = Settings(log_json=False, login_ip_limit="1000/minute")
    db, app, counter = await seeded_app(settings)
    root = await load(db)
    async with db.reading() as s:
        reports = await s.scalar(select(func.count(TaskReport.id)))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://bench"
    ) as client:
        admin = await login(client, "demo_district_admin", settings.demo_password)
        url = f"/api/v1/tasks/bulletin?week={WEEK}&org_id={root.id}"
        body = (await client.get(url, headers=admin)).json()
        print(
            f"database: {settings.database_url.split(':')[0]}, {reports} reports, "
            f"bulletin of {body['totals']['tasks']} tasks × units = "
            f"{body['totals']['expected']}, {args.requests} requests"
        )
        p50, p99, rps, stmts = await measure(client, url, admin, args.requests, counter)
        print(
            f"GET /tasks/bulletin  p50 {p50:.2f} ms  p99 {p99:.2f} ms  {rps:.0f} req/s  "
            f"{stmts:.1f} statements"
        )
    await db.dispose()


if __name__ == "__main__":
    asyncio.run(main())
