"""积分: the statement is the caller's own; and a property test over random sequences of earning
(service hours and corrections), redeeming, collecting and cancelling: every entry sums to zero,
every account equals the sum of its postings, no balance or stock goes negative, and stock plus
what was handed out or reserved is what was shelved."""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from app.core.permissions import Role
from app.models import Activity, MarketGoods, PointsAccount, Redemption
from app.volunteers.points import service as points
from tests.factories import World, make_activity, make_signup, post_points
from tests.volunteers.helpers import ACTIVITIES, volunteers

API = "/api/v1"
POINTS = f"{API}/points/statement"


class TestStatement:
    async def test_each_person_sees_only_their_own(self, client, auth, world: World, db):
        a, b = await volunteers(db, world, 2, prefix="stmt")
        async with db.writing() as s:
            await post_points(s, a, world.communities[0], 7)
            await post_points(s, b, world.communities[0], 11)
            await s.commit()
        st = (await client.get(POINTS, headers=auth(a))).json()
        assert (st["balance"], [i["amount"] for i in st["items"]]) == (7, [7])

    async def test_pages_newest_first(self, client, auth, world: World, db):
        (a,) = await volunteers(db, world, 1, prefix="pager")
        async with db.writing() as s:
            for amount in (1, 2, 3):
                await post_points(s, a, world.communities[0], amount)
            await s.commit()
        first = (await client.get(POINTS, headers=auth(a), params={"limit": 2})).json()
        assert [i["amount"] for i in first["items"]] == [3, 2]
        rest = (await client.get(POINTS, headers=auth(a),
                                 params={"limit": 2, "cursor": first["next_cursor"]})).json()
        assert ([i["amount"] for i in rest["items"]], rest["next_cursor"]) == ([1], None)
        assert first["balance"] == rest["balance"] == 6

    async def test_a_staff_member_without_points_has_an_empty_statement(self, client, auth,
                                                                        world: World):
        st = (await client.get(POINTS, headers=auth(world.user(Role.grid_worker, "s1c1g1")))
              ).json()
        assert st == {"balance": 0, "items": [], "next_cursor": None}


class TestLeaderboard:
    async def test_ranks_by_points_earned_in_the_community(self, client, auth, world: World,
                                                            db):
        a, b = await volunteers(db, world, 2, prefix="rank")
        community = world.communities[0]
        async with db.writing() as s:
            await post_points(s, a, community, 30)
            await post_points(s, b, community, 10)
            # Spending at the market does not lower a rank; B's other community does not count.
            await post_points(s, a, community, -25, kind="redemption",
                              other=f"market:{community.id}")
            await post_points(s, b, world.communities[1], 500)
            await s.commit()
        r = await client.get(f"{API}/points/leaderboard", headers=auth(world.reg_users[0]),
                             params={"community_id": community.id})
        assert r.status_code == 200, r.text
        items = r.json()["items"]
        # The world's reg_user earned 100 here (tests/factories.py add_market).
        assert [(i["rank"], i["user_id"], i["points"]) for i in items] == [
            (1, world.reg_users[0].id, 100), (2, a.id, 30), (3, b.id, 10)]
        assert all("*" in (i["name"] or "*") for i in items)
        assert {i["org_path"] for i in items} == {community.path}

    async def test_other_community_is_404(self, client, auth, world: World):
        r = await client.get(f"{API}/points/leaderboard", headers=auth(world.reg_users[1]),
                             params={"community_id": world.communities[0].id})
        assert r.status_code == 404

    async def test_grid_staff_without_the_community_is_404(self, client, auth, world: World):
        r = await client.get(f"{API}/points/leaderboard",
                             headers=auth(world.user(Role.grid_worker, "s1c1g1")),
                             params={"community_id": world.communities[0].id})
        assert r.status_code == 404


async def _invariants(db: Any, goods_id: int, shelved: int) -> None:
    async with db.reading() as s:
        assert all(x == 0 for x in await points.entry_sums(s))
        assert await points.account_mismatches(s) == []
        assert (await s.scalar(select(func.min(PointsAccount.balance)))) >= 0
        stock = await s.scalar(select(MarketGoods.stock).where(MarketGoods.id == goods_id))
        out = await s.scalar(select(func.coalesce(func.sum(Redemption.quantity), 0)).where(
            Redemption.goods_id == goods_id, Redemption.status != "cancelled"))
    assert stock is not None and stock >= 0
    assert stock + out == shelved


@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_random_earn_redeem_cancel_correct_keeps_the_ledger_whole(
        seed: int, client, auth, world: World, db):
    rng = random.Random(seed)
    staff = auth(world.user(Role.community_admin, "s1c1"))
    users = await volunteers(db, world, 3, prefix=f"prop{seed}_")
    async with db.writing() as s:
        community = world.communities[0]
        activity = await make_activity(s, community, starts_in=-timedelta(hours=3), hours=2,
                                       points_per_hour=30)
        row = await s.get(Activity, activity.id)
        assert row is not None
        signups = [(await make_signup(s, row, u)).id for u in users]
        goods = MarketGoods(org_path=community.path, street_id=community.street_id,
                            community_id=community.id, name="毛巾", price_points=7, stock=6,
                            active=True)
        s.add(goods)
        await s.commit()
    reserved: list[int] = []
    for _ in range(40):
        op = rng.choice(["correct", "redeem", "redeem", "cancel", "collect"])
        i = rng.randrange(len(users))
        if op == "correct":
            r = await client.post(f"{ACTIVITIES}/{activity.id}/signups/{signups[i]}/correction",
                                  headers=staff, json={"minutes": rng.randrange(0, 121),
                                                       "reason": "核定"})
            assert r.status_code in (200, 409), r.text
        elif op == "redeem":
            r = await client.post(f"{API}/market/goods/{goods.id}/redemptions",
                                  headers=auth(users[i]), json={"quantity": rng.choice([1, 2])})
            assert r.status_code in (201, 409), r.text
            if r.status_code == 201:
                reserved.append(r.json()["id"])
        elif reserved:
            rid = reserved.pop(rng.randrange(len(reserved)))
            who = staff if op == "collect" or rng.random() < 0.3 else None
            if who is None:
                got = await client.get(f"{API}/market/redemptions/{rid}", headers=staff)
                who = auth(next(u for u in users if u.id == got.json()["user_id"]))
            r = await client.post(f"{API}/market/redemptions/{rid}/{op}", headers=who)
            assert r.status_code == 200, r.text
        await _invariants(db, goods.id, 6)
