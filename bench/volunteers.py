"""500 concurrent sign-ups and 500 concurrent redemptions on the demo district, then the ledger
checked (issue 13).

    DATABASE_URL=postgresql+asyncpg://postgres@127.0.0.1:5432/bench_volunteers \\
        .venv/bin/python bench/volunteers.py
    .venv/bin/python bench/volunteers.py                 # SQLite (fresh file under /tmp)

Migrates and seeds the demo district (a PostgreSQL database whose name starts with `bench` is
dropped and created again), then adds in one transaction `--people` accounts holding
`volunteer` at 幸福社区, each credited 20 points (a balanced ledger entry), an activity with
`--seats` seats and goods priced 10 points with `--stock` in stock. Serves the app with one
uvicorn worker and fires, all at once from one client (each request its own account, bearer
token and Idempotency-Key): `POST /activities/{id}/signups` for every account, then
`POST /market/goods/{id}/redemptions` (quantity 1) for every account. Prints requests/s (all
answered ÷ wall time from the first sent to the last answered), p50/p99 latency and the
answers by status, then checks what must hold: of the sign-ups answered 201, min(seats, them)
accepted and the rest wait-listed, the activity's count equal to its accepted places; every
ledger entry sums to zero and so do all postings; no account below zero and each equal to its
postings; stock never below zero and stock + reserved = what was on the shelf. Exit status 1
when a check fails.

Every sign-up queues on the one activity's row lock and every redemption on the goods' row, so
a burst of 500 holds the pool's connections while the rest wait for one: past the pool timeout
(5 s by default) they are shed with 503 + Retry-After, by design, and write nothing. Run with
`--pool-timeout 60` to see every request through.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
WORK = Path(tempfile.gettempdir()) / "gridapi-bench"
WORK.mkdir(exist_ok=True)
os.environ.setdefault("DATABASE_URL", f"sqlite+aiosqlite:///{WORK}/volunteers.db")

import httpx
from sqlalchemy import func, select

from app.core.config import Settings
from app.core.db import Database, make_engine
from app.core.security import issue_access_token
from app.core.types import utcnow
from app.models import (
    Activity,
    ActivitySignup,
    MarketGoods,
    Org,
    PointsAccount,
    PointsEntry,
    PointsPosting,
    Redemption,
    RoleAssignment,
    User,
)
from app.models.scoped import scope_from
from app.seed.demo import XINGFU
from bench.drive import fresh_database, load_average, seed, serve

API = "/api/v1"
CREDIT, PRICE = 20, 10


async def prepare(db: Database, people: int, seats: int, stock: int) -> tuple[list[int], int, int]:
    """(user ids, activity id, goods id), written in one transaction."""
    tag = uuid.uuid4().hex[:6]
    async with db.writing() as s:
        community = (await s.execute(select(Org).where(Org.name == XINGFU))).scalar_one()
        users = [
            User(
                username=f"bench_{tag}_{i}",
                display_name=f"志愿者{i}",
                org_id=community.id,
                org_path=community.path,
            )
            for i in range(people)
        ]
        s.add_all(users)
        await s.flush()
        s.add_all(
            [
                RoleAssignment(
                    user_id=u.id, role="volunteer", org_id=community.id, org_path=community.path
                )
                for u in users
            ]
        )
        starts = utcnow() + timedelta(days=5)
        activity = Activity(
            org_id=community.id,
            **scope_from(community, Activity),
            title=f"压测活动 {tag}",
            kind="service",
            starts_at=starts,
            ends_at=starts + timedelta(hours=2),
            capacity=seats,
            accepted_count=0,
            radius_m=200,
            points_per_hour=10,
            status="open",
        )
        goods = MarketGoods(
            **scope_from(community, MarketGoods),
            name=f"压测商品 {tag}",
            price_points=PRICE,
            stock=stock,
            active=True,
        )
        s.add_all([activity, goods])
        await s.flush()
        for u in users:
            entry = PointsEntry(
                kind="service", memo="bench credit", **scope_from(community, PointsEntry)
            )
            s.add(entry)
            await s.flush()
            s.add_all(
                [
                    PointsPosting(
                        entry_id=entry.id, account=f"user:{u.id}", user_id=u.id, amount=CREDIT
                    ),
                    PointsPosting(
                        entry_id=entry.id, account=f"issued:{community.id}", amount=-CREDIT
                    ),
                ]
            )
            s.add(PointsAccount(user_id=u.id, balance=CREDIT))
        await s.flush()
        return [u.id for u in users], activity.id, goods.id


async def fire(
    base: str, path: str, tokens: list[str], body: dict[str, Any] | None
) -> dict[str, Any]:
    """Every request at once; latency per request and the wall time of the whole burst."""
    latencies: list[float] = []
    statuses: Counter[int] = Counter()
    limits = httpx.Limits(max_connections=len(tokens), max_keepalive_connections=len(tokens))

    async def one(client: httpx.AsyncClient, token: str) -> None:
        headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": uuid.uuid4().hex}
        t0 = time.perf_counter()
        try:
            r = await client.post(base + path, json=body, headers=headers)
            statuses[r.status_code] += 1
        except httpx.HTTPError:
            statuses[0] += 1
        latencies.append(time.perf_counter() - t0)

    async with httpx.AsyncClient(limits=limits, timeout=300) as client:
        started = time.perf_counter()
        await asyncio.gather(*(one(client, t) for t in tokens))
        wall = time.perf_counter() - started
    latencies.sort()
    return {
        "rps": len(tokens) / wall,
        "wall_s": wall,
        "p50_ms": statistics.median(latencies) * 1000,
        "p99_ms": latencies[max(0, int(len(latencies) * 0.99) - 1)] * 1000,
        "statuses": dict(sorted(statuses.items())),
    }


async def check(
    db: Database, activity_id: int, goods_id: int, signed: int, seats: int, stock: int
) -> list[tuple[str, bool, str]]:
    """`signed`: the sign-ups answered 201 (a 503 shed under load wrote nothing)."""
    async with db.reading() as s:
        activity = await s.get(Activity, activity_id)
        assert activity is not None
        by_status = dict(
            (
                await s.execute(
                    select(ActivitySignup.status, func.count())
                    .where(ActivitySignup.activity_id == activity_id)
                    .group_by(ActivitySignup.status)
                )
            ).all()
        )
        entry_sums = (
            (
                await s.execute(
                    select(func.sum(PointsPosting.amount)).group_by(PointsPosting.entry_id)
                )
            )
            .scalars()
            .all()
        )
        total = await s.scalar(select(func.coalesce(func.sum(PointsPosting.amount), 0)))
        negative = await s.scalar(select(func.count()).where(PointsAccount.balance < 0))
        sums = (
            select(PointsPosting.user_id, func.sum(PointsPosting.amount).label("t"))
            .where(PointsPosting.user_id.is_not(None))
            .group_by(PointsPosting.user_id)
            .subquery()
        )
        mismatched = await s.scalar(
            select(func.count())
            .select_from(PointsAccount)
            .outerjoin(sums, sums.c.user_id == PointsAccount.user_id)
            .where(PointsAccount.balance != func.coalesce(sums.c.t, 0))
        )
        goods = await s.get(MarketGoods, goods_id)
        assert goods is not None
        reserved = await s.scalar(
            select(func.coalesce(func.sum(Redemption.quantity), 0)).where(
                Redemption.goods_id == goods_id, Redemption.status == "reserved"
            )
        )
    accepted, waiting = by_status.get("accepted", 0), by_status.get("waitlisted", 0)
    return [
        (
            "seats",
            accepted == min(seats, signed) == activity.accepted_count
            and waiting == signed - accepted,
            f"accepted {accepted}, wait-listed {waiting}, count {activity.accepted_count}",
        ),
        ("entries sum to zero", all(x == 0 for x in entry_sums), f"{len(entry_sums)} entries"),
        ("postings sum to zero", total == 0, f"sum {total}"),
        ("no negative balance", negative == 0, f"{negative} below zero"),
        ("accounts = postings", mismatched == 0, f"{mismatched} differ"),
        (
            "stock",
            goods.stock >= 0 and goods.stock + reserved == stock,
            f"stock {goods.stock}, reserved {reserved}, shelf {stock}",
        ),
    ]


async def run(args: argparse.Namespace, url: str) -> bool:
    """One event loop for the whole run: the engine's connections belong to it."""
    settings = Settings(database_url=url)
    db = Database(make_engine(settings))
    users, activity_id, goods_id = await prepare(db, args.people, args.seats, args.stock)
    tokens = [issue_access_token(settings, subject=f"user:{u}", ttl_seconds=3600) for u in users]
    env = {"DATABASE_URL": url}
    if args.pool_timeout:
        env["GRID_DB_POOL_TIMEOUT_SECONDS"] = str(args.pool_timeout)
    server = await asyncio.to_thread(serve, ["app.main:create_app", "--factory"], args.port, env)
    base = f"http://127.0.0.1:{args.port}{API}"
    try:
        signups = await fire(base, f"/activities/{activity_id}/signups", tokens, None)
        redemptions = await fire(
            base, f"/market/goods/{goods_id}/redemptions", tokens, {"quantity": 1}
        )
    finally:
        server.terminate()
        server.wait()
    signed = signups["statuses"].get(201, 0)
    checks = await check(db, activity_id, goods_id, signed, args.seats, args.stock)
    await db.engine.dispose()
    print(
        f"\n{url.split(':')[0]}, one uvicorn worker, {args.people} at once, pool timeout "
        f"{args.pool_timeout or 'default'} s; load average {load_average()}"
    )
    for name, r in (("sign-ups", signups), ("redemptions", redemptions)):
        print(
            f"{name:12} {r['rps']:7.1f} req/s  p50 {r['p50_ms']:7.0f} ms  "
            f"p99 {r['p99_ms']:7.0f} ms  wall {r['wall_s']:5.1f} s  {r['statuses']}"
        )
    for name, ok, detail in checks:
        print(f"{'ok ' if ok else 'FAIL'} {name}: {detail}")
    return all(ok for _, ok, _ in checks)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--people", type=int, default=500)
    parser.add_argument("--seats", type=int, default=100)
    parser.add_argument("--stock", type=int, default=300)
    parser.add_argument("--port", type=int, default=8131)
    parser.add_argument(
        "--pool-timeout",
        type=float,
        default=0,
        help="GRID_DB_POOL_TIMEOUT_SECONDS for the server (0: the app's default, 5 s)",
    )
    args = parser.parse_args()
    url = os.environ["DATABASE_URL"]
    fresh_database(url)
    seed(Path(__file__).resolve().parent.parent, {"DATABASE_URL": url})
    sys.exit(0 if asyncio.run(run(args, url)) else 1)


if __name__ == "__main__":
    main()
