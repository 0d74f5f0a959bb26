"""GET /cases/nearby: the duplicate suggestion before a report is submitted."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from app.core.geo import wgs84_to_gcj02
from app.core.permissions import Role
from app.core.types import utcnow
from tests.cases.helpers import API, OTHER_LEAF, act, centre_of
from tests.factories import LEAF, World, make_case


class TestNearby:
    async def get(self, client, auth, user, k: int = 0, **params: Any) -> list[int]:
        lng, lat = centre_of(k)
        query = {"lng": lng, "lat": lat, "category_code": LEAF.code, **params}
        r = await client.get(f"{API}/cases/nearby", headers=auth(user), params=query)
        assert r.status_code == 200, r.text
        return [c["id"] for c in r.json()["items"]]

    async def test_finds_the_case_at_its_point(self, client, auth, world: World):
        worker = world.user(Role.grid_worker, "s1c1g1")
        assert await self.get(client, auth, worker) == [world.cases[0].id]

    async def test_within_fifty_metres(self, client, auth, world: World):
        # 0.0003° of latitude ≈ 33 m.
        worker = world.user(Role.grid_worker, "s1c1g1")
        lng, lat = centre_of(0)
        r = await client.get(f"{API}/cases/nearby", headers=auth(worker),
                             params={"lng": lng, "lat": lat + 0.0003,
                                     "category_code": LEAF.code})
        assert [c["id"] for c in r.json()["items"]] == [world.cases[0].id]

    async def test_not_a_hundred_metres_away(self, client, auth, world: World):
        # 0.0009° of latitude ≈ 100 m; 0.0011° of longitude at 34° N ≈ 101 m.
        worker = world.user(Role.grid_worker, "s1c1g1")
        lng, lat = centre_of(0)
        for point in ((lng, lat + 0.0009), (lng + 0.0011, lat)):
            r = await client.get(f"{API}/cases/nearby", headers=auth(worker),
                                 params={"lng": point[0], "lat": point[1],
                                         "category_code": LEAF.code})
            assert r.json()["items"] == []

    async def test_gcj02_query_point(self, client, auth, world: World):
        lng, lat = wgs84_to_gcj02(*centre_of(0))
        r = await client.get(f"{API}/cases/nearby",
                             headers=auth(world.user(Role.grid_worker, "s1c1g1")),
                             params={"lng": lng, "lat": lat, "crs": "gcj02",
                                     "category_code": LEAF.code})
        items = r.json()["items"]
        assert [c["id"] for c in items] == [world.cases[0].id]
        assert items[0]["crs"] == "gcj02" and abs(items[0]["lng"] - lng) < 1e-9

    async def test_not_another_category(self, client, auth, world: World):
        worker = world.user(Role.grid_worker, "s1c1g1")
        assert await self.get(client, auth, worker, category_code=OTHER_LEAF) == []

    async def test_not_a_closed_case(self, client, auth, world: World, db):
        worker = world.user(Role.grid_worker, "s1c1g1")
        async with db.writing() as s:
            closed = await make_case(s, world.grids[0], worker, status="closed",
                                     closed_at=utcnow())
            await s.commit()
        assert closed.id not in await self.get(client, auth, worker)

    async def test_a_suspended_case_is_still_a_duplicate(self, client, auth, world: World):
        admin = world.user(Role.community_admin, "s1c1")
        await act(client, auth, admin, world.cases[0].id, "accept")
        await act(client, auth, admin, world.cases[0].id, "suspend", note="待协调")
        worker = world.user(Role.grid_worker, "s1c1g1")
        assert await self.get(client, auth, worker) == [world.cases[0].id]

    async def test_not_a_resolved_case(self, client, auth, world: World, db):
        worker = world.user(Role.grid_worker, "s1c1g1")
        async with db.writing() as s:
            done = await make_case(s, world.grids[0], worker, status="resolved",
                                   resolved_at=utcnow())
            await s.commit()
        assert done.id not in await self.get(client, auth, worker)

    async def test_not_older_than_72_hours(self, client, auth, world: World, db):
        worker = world.user(Role.grid_worker, "s1c1g1")
        async with db.writing() as s:
            old = await make_case(s, world.grids[0], worker,
                                  reported_at=utcnow() - timedelta(hours=73))
            await s.commit()
        assert old.id not in await self.get(client, auth, worker)

    async def test_scoped(self, client, auth, world: World):
        outsider = world.user(Role.grid_worker, "s1c1g2")
        assert await self.get(client, auth, outsider) == []

    async def test_missing_category_is_422(self, client, auth, world: World):
        lng, lat = centre_of(0)
        r = await client.get(f"{API}/cases/nearby", params={"lng": lng, "lat": lat},
                             headers=auth(world.user(Role.grid_worker, "s1c1g1")))
        assert r.status_code == 422
