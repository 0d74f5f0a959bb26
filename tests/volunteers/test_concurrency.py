"""Real concurrency against the real database (no shared test connection): 50 people tap
"sign up" at once for 10 seats; exactly 10 are accepted and 40 wait, on SQLite (the writer is
serialised) and on PostgreSQL (the activity row is locked FOR UPDATE). Parallel redemptions
neither oversell the shelf nor overdraw anyone (conditional UPDATEs of stock and balance).
Parallel valid case closures never credit their reporter past the rule's cap."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from sqlalchemy import func, select

from app.core.db import Database
from app.core.permissions import Role
from app.main import create_app
from app.models import Activity, ActivitySignup, MarketGoods, PointsEntry, PointsPosting
from app.volunteers.points import service as points
from tests.conftest import make_settings
from tests.factories import (
    World,
    give_role,
    make_activity,
    make_case,
    make_user,
    post_points,
)
from tests.realdb import committed_rows_removed

pytestmark = pytest.mark.real_commits
ACTIVITIES = "/api/v1/activities"
GOODS = "/api/v1/market/goods"


@pytest.fixture
async def real_db(engine):
    return Database(engine)


@pytest.fixture
async def real_client(real_db):
    app = create_app(make_settings(), real_db)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://t") as c:
        yield c


async def test_fifty_signups_for_ten_seats(real_client, real_db, auth, world: World):
    async with committed_rows_removed(real_db):
        async with real_db.writing() as s:
            activity = await make_activity(s, world.communities[0], capacity=10)
            users = []
            for i in range(50):
                user = await make_user(s, f"racer{i}", world.communities[0])
                await give_role(s, user, Role.volunteer, world.communities[0])
                users.append(user)
        results = await asyncio.gather(*[
            real_client.post(f"{ACTIVITIES}/{activity.id}/signups", headers=auth(u))
            for u in users
        ])
        assert [r.status_code for r in results] == [201] * 50, [
            r.text for r in results if r.status_code != 201]
        statuses = sorted(r.json()["status"] for r in results)
        assert statuses == ["accepted"] * 10 + ["waitlisted"] * 40
        async with real_db.reading() as s:
            seats = await s.scalar(select(Activity.accepted_count).where(
                Activity.id == activity.id))
            accepted = await s.scalar(select(func.count()).select_from(ActivitySignup).where(
                ActivitySignup.activity_id == activity.id,
                ActivitySignup.status == "accepted"))
        assert (seats, accepted) == (10, 10)
        # The ten accepted are the first ten in sign-up order: the line is fair.
        async with real_db.reading() as s:
            order = (await s.execute(select(ActivitySignup.status).where(
                ActivitySignup.activity_id == activity.id).order_by(ActivitySignup.id))
                     ).scalars().all()
        assert order == ["accepted"] * 10 + ["waitlisted"] * 40


async def test_concurrent_cancellations_promote_each_waiting_person_once(
        real_client, real_db, auth, world: World):
    async with committed_rows_removed(real_db):
        async with real_db.writing() as s:
            activity = await make_activity(s, world.communities[0], capacity=5)
            users = []
            for i in range(15):
                user = await make_user(s, f"leaver{i}", world.communities[0])
                await give_role(s, user, Role.volunteer, world.communities[0])
                users.append(user)
        ids = []
        for u in users:  # in order, so the first five hold the seats
            r = await real_client.post(f"{ACTIVITIES}/{activity.id}/signups", headers=auth(u))
            assert r.status_code == 201, r.text
            ids.append(r.json()["id"])
        results = await asyncio.gather(*[
            real_client.delete(f"{ACTIVITIES}/{activity.id}/signups/{sid}", headers=auth(u))
            for u, sid in zip(users[:5], ids[:5], strict=True)
        ])
        assert [r.status_code for r in results] == [204] * 5, [r.text for r in results]
        async with real_db.reading() as s:
            order = (await s.execute(select(ActivitySignup.status).where(
                ActivitySignup.activity_id == activity.id).order_by(ActivitySignup.id))
                     ).scalars().all()
            seats = await s.scalar(select(Activity.accepted_count).where(
                Activity.id == activity.id))
        assert order == ["cancelled"] * 5 + ["accepted"] * 5 + ["waitlisted"] * 5
        assert seats == 5


async def test_parallel_redemptions_never_oversell_or_overdraw(real_client, real_db, auth,
                                                               world: World):
    """Ten people with 25 points each fire three redemptions of a 10-point item at once (each
    can afford two); the shelf holds 12. Exactly 12 go through (stock 0), nobody goes below
    zero, and the ledger still balances."""
    async with committed_rows_removed(real_db):
        community = world.communities[0]
        async with real_db.writing() as s:
            goods = MarketGoods(org_path=community.path, street_id=community.street_id,
                                community_id=community.id, name="抽纸", price_points=10,
                                stock=12, active=True)
            s.add(goods)
            users = []
            for i in range(10):
                user = await make_user(s, f"shopper{i}", community)
                await give_role(s, user, Role.volunteer, community)
                await post_points(s, user, community, 25)
                users.append(user)
        results = await asyncio.gather(*[
            real_client.post(f"{GOODS}/{goods.id}/redemptions", headers=auth(u),
                             json={"quantity": 1})
            for u in users for _ in range(3)
        ])
        codes = [r.status_code for r in results]
        assert sorted(set(codes)) == [201, 409], [r.text for r in results]
        assert codes.count(201) == 12
        refused = {r.json()["code"] for r in results if r.status_code == 409}
        assert refused <= {"goods_out_of_stock", "points_insufficient"}
        async with real_db.reading() as s:
            stock = await s.scalar(select(MarketGoods.stock).where(MarketGoods.id == goods.id))
            balances = [await points.balance(s, u.id) for u in users]
            assert all(x == 0 for x in await points.entry_sums(s))
            assert await points.account_mismatches(s) == []
        assert stock == 0
        assert min(balances) >= 0
        assert sum(25 - b for b in balances) == 12 * 10


async def test_parallel_valid_case_closures_never_pass_the_credit_cap(
        real_client, real_db, auth, world: World):
    """Eight valid cases of one reporter closed at once under a rule capped at 3 a month: the
    reporter gets exactly three credits (the cap counts under the lock of their account row),
    every close still succeeds, and the ledger balances."""
    async with committed_rows_removed(real_db):
        community = world.communities[0]
        staff = world.user(Role.community_admin, "s1c1")
        r = await real_client.put("/api/v1/points/rules", params={"community_id": community.id},
                                  headers=auth(staff),
                                  json={"rules": [{"rule": "case_report", "points": 4,
                                                   "cap": 3, "period": "month"}]})
        assert r.status_code == 200, r.text
        async with real_db.writing() as s:
            # A new volunteer: their account row goes with the clean-up, balance and all.
            reporter = await make_user(s, "capped", community)
            await give_role(s, reporter, Role.volunteer, community)
            cases = [await make_case(s, world.grids[0], reporter, status="resolved",
                                     code=f"CAP-{i}") for i in range(8)]
        results = await asyncio.gather(*[
            real_client.post(f"/api/v1/cases/{c.id}/transitions", headers=auth(staff),
                             json={"action": "verify", "note": "核查属实"})
            for c in cases
        ])
        assert [r.status_code for r in results] == [200] * 8, [r.text for r in results]
        async with real_db.reading() as s:
            credits = await s.scalar(select(func.count()).select_from(PointsPosting).join(
                PointsEntry, PointsEntry.id == PointsPosting.entry_id).where(
                PointsPosting.user_id == reporter.id, PointsEntry.rule == "case_report"))
            assert credits == 3
            assert await points.balance(s, reporter.id) == 3 * 4
            assert all(x == 0 for x in await points.entry_sums(s))
            assert await points.account_mismatches(s) == []
