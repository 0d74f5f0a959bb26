"""爱心超市: goods per community, redemption takes stock and debits points together, collected
or cancelled (stock and points given back); scoped lists."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from app.core.permissions import Role
from app.models import AuditEntry
from app.volunteers.points import service as points
from tests.factories import World, post_points
from tests.volunteers.helpers import volunteers

API = "/api/v1"
GOODS = f"{API}/market/goods"
REDEMPTIONS = f"{API}/market/redemptions"
POINTS = f"{API}/points/statement"


def staff(world: World, key: str = "s1c1") -> Any:
    return world.user(Role.community_admin, key)


async def shelf(client: Any, auth: Any, world: World, **changes: Any) -> dict[str, Any]:
    body = {"community_id": world.communities[0].id, "name": "大米 5 斤", "price_points": 30,
            "stock": 2, **changes}
    r = await client.post(GOODS, headers=auth(staff(world)), json=body)
    assert r.status_code == 201, r.text
    return dict(r.json())


async def funded(db: Any, world: World, amount: int, n: int = 1) -> list[Any]:
    users = await volunteers(db, world, n, prefix="buyer")
    async with db.writing() as s:
        for u in users:
            await post_points(s, u, world.communities[0], amount)
        await s.commit()
    return users


async def redeem(client: Any, auth: Any, user: Any, goods_id: int, quantity: int = 1,
                 expect: int = 201) -> dict[str, Any]:
    r = await client.post(f"{GOODS}/{goods_id}/redemptions", headers=auth(user),
                          json={"quantity": quantity})
    assert r.status_code == expect, r.text
    return dict(r.json())


class TestGoods:
    async def test_staff_shelve_and_members_see_their_community_only(self, client, auth,
                                                                     world: World):
        g = await shelf(client, auth, world)
        assert (g["stock"], g["price_points"], g["active"]) == (2, 30, True)
        mine = (await client.get(GOODS, headers=auth(world.reg_users[0]))).json()["items"]
        assert [x["id"] for x in mine] == [g["id"], world.goods[0].id]
        other = (await client.get(GOODS, headers=auth(world.reg_users[1]))).json()["items"]
        assert [x["id"] for x in other] == [world.goods[1].id]

    async def test_a_member_may_not_shelve(self, client, auth, world: World):
        r = await client.post(GOODS, headers=auth(world.reg_users[0]),
                              json={"community_id": world.communities[0].id, "name": "x",
                                    "price_points": 1})
        assert r.status_code == 403

    async def test_market_outside_a_community_is_422(self, client, auth, world: World):
        r = await client.post(GOODS, headers=auth(world.user(Role.street_admin, "s1")),
                              json={"community_id": world.streets[0].id, "name": "x",
                                    "price_points": 1})
        assert [e["field"] for e in r.json()["errors"]] == ["community_id"]

    async def test_stock_never_below_zero(self, client, auth, world: World):
        g = await shelf(client, auth, world)
        r = await client.post(f"{GOODS}/{g['id']}/stock", headers=auth(staff(world)),
                              json={"delta": -3})
        assert (r.status_code, r.json()["code"]) == (409, "goods_out_of_stock")
        r = await client.post(f"{GOODS}/{g['id']}/stock", headers=auth(staff(world)),
                              json={"delta": 5})
        assert r.json()["stock"] == 7

    async def test_withdrawn_goods_cannot_be_redeemed(self, client, auth, world: World, db):
        g = await shelf(client, auth, world)
        r = await client.patch(f"{GOODS}/{g['id']}", headers=auth(staff(world)),
                               json={"active": False})
        assert r.status_code == 200 and r.json()["active"] is False
        (user,) = await funded(db, world, 100)
        p = await redeem(client, auth, user, g["id"], expect=409)
        assert p["code"] == "goods_withdrawn"


class TestRedeem:
    async def test_redeem_takes_stock_and_points_together(self, client, auth, world: World,
                                                          db):
        g = await shelf(client, auth, world)
        (user,) = await funded(db, world, 100)
        r = await redeem(client, auth, user, g["id"], quantity=2)
        assert (r["status"], r["points"], r["quantity"]) == ("reserved", 60, 2)
        got = (await client.get(f"{GOODS}/{g['id']}", headers=auth(user))).json()
        assert got["stock"] == 0
        st = (await client.get(POINTS, headers=auth(user))).json()
        assert st["balance"] == 40
        assert (st["items"][0]["kind"], st["items"][0]["amount"]) == ("redemption", -60)

    async def test_not_enough_points_takes_no_stock(self, client, auth, world: World, db):
        g = await shelf(client, auth, world)
        (user,) = await funded(db, world, 20)
        p = await redeem(client, auth, user, g["id"], expect=409)
        assert p["code"] == "points_insufficient"
        got = (await client.get(f"{GOODS}/{g['id']}", headers=auth(user))).json()
        assert got["stock"] == 2
        assert (await client.get(POINTS, headers=auth(user))).json()["balance"] == 20

    async def test_out_of_stock_takes_no_points(self, client, auth, world: World, db):
        g = await shelf(client, auth, world)
        (user,) = await funded(db, world, 1000)
        p = await redeem(client, auth, user, g["id"], quantity=3, expect=409)
        assert p["code"] == "goods_out_of_stock"
        assert (await client.get(POINTS, headers=auth(user))).json()["balance"] == 1000

    async def test_other_communitys_goods_are_404(self, client, auth, world: World):
        p = await redeem(client, auth, world.reg_users[0], world.goods[1].id, expect=404)
        assert p["code"] == "goods_not_found"


class TestCollectAndCancel:
    async def test_staff_mark_collected_then_it_cannot_be_cancelled(self, client, auth,
                                                                    world: World, db):
        g = await shelf(client, auth, world)
        (user,) = await funded(db, world, 100)
        r = await redeem(client, auth, user, g["id"])
        done = await client.post(f"{REDEMPTIONS}/{r['id']}/collect", headers=auth(staff(world)))
        assert done.status_code == 200 and done.json()["status"] == "collected"
        again = await client.post(f"{REDEMPTIONS}/{r['id']}/cancel", headers=auth(user))
        assert (again.status_code, again.json()["code"]) == (409,
                                                             "redemption_invalid_transition")

    async def test_the_redeemer_may_not_mark_collected(self, client, auth, world: World, db):
        g = await shelf(client, auth, world)
        (user,) = await funded(db, world, 100)
        r = await redeem(client, auth, user, g["id"])
        done = await client.post(f"{REDEMPTIONS}/{r['id']}/collect", headers=auth(user))
        assert done.status_code == 403

    async def test_cancel_gives_stock_and_points_back(self, client, auth, world: World, db):
        g = await shelf(client, auth, world)
        (user,) = await funded(db, world, 100)
        r = await redeem(client, auth, user, g["id"])
        c = await client.post(f"{REDEMPTIONS}/{r['id']}/cancel", headers=auth(user))
        assert c.status_code == 200 and c.json()["status"] == "cancelled"
        assert (await client.get(f"{GOODS}/{g['id']}", headers=auth(user))).json()["stock"] == 2
        st = (await client.get(POINTS, headers=auth(user))).json()
        assert st["balance"] == 100
        assert [(i["kind"], i["amount"]) for i in st["items"][:2]] == [("reversal", 30),
                                                                       ("redemption", -30)]
        async with db.reading() as s:
            assert all(x == 0 for x in await points.entry_sums(s))
            assert await points.account_mismatches(s) == []
            actions = (await s.execute(select(AuditEntry.action).where(
                AuditEntry.object_type == "market_redemption",
                AuditEntry.object_id == str(r["id"])))).scalars().all()
        assert actions == ["market.redeem", "market.cancel"]

    async def test_someone_else_may_not_see_or_cancel(self, client, auth, world: World, db):
        g = await shelf(client, auth, world)
        u1, u2 = await funded(db, world, 100, n=2)
        r = await redeem(client, auth, u1, g["id"])
        assert (await client.get(f"{REDEMPTIONS}/{r['id']}", headers=auth(u2))).status_code \
            == 404
        c = await client.post(f"{REDEMPTIONS}/{r['id']}/cancel", headers=auth(u2))
        assert c.status_code == 404

    async def test_lists_own_for_members_everyone_for_staff(self, client, auth, world: World,
                                                            db):
        g = await shelf(client, auth, world)
        u1, u2 = await funded(db, world, 100, n=2)
        r1 = await redeem(client, auth, u1, g["id"])
        r2 = await redeem(client, auth, u2, g["id"])
        own = (await client.get(REDEMPTIONS, headers=auth(u1))).json()["items"]
        assert [x["id"] for x in own] == [r1["id"]]
        everyone = (await client.get(REDEMPTIONS, headers=auth(staff(world)))).json()["items"]
        assert [x["id"] for x in everyone] == [r2["id"], r1["id"], world.redemptions[0].id]
        b = (await client.get(REDEMPTIONS, headers=auth(staff(world, "s1c2")))).json()["items"]
        assert [x["id"] for x in b] == [world.redemptions[1].id]
