"""GET /cases/nearby: the duplicate suggestion before a report is submitted, across grid and
community lines, with only what a duplicate check needs of cases beyond the caller's scope."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from app.cases.schemas import CaseRead, NearbyCase
from app.core.geo import wgs84_to_gcj02
from app.core.permissions import Role
from app.core.types import utcnow
from app.models import Case, CaseAttachment
from tests.cases.helpers import API, OTHER_LEAF, act, centre_of
from tests.factories import LEAF, World, make_case

# Grid s2c1g1 (another street) has its own case far away; these go 20 m from grid 0's centre.
FAR_GRID = 4
METRE = 1 / 111_195  # degrees of latitude
PRIVATE = {"description": "张三家门口井盖被盗，电话 13912345678",
           "address": "幸福路 8 号 3 单元 401"}
# What a duplicate check is given of a case beyond the caller's scope; everything else is null.
MINIMAL = {"id", "status", "category_code", "category_name", "reported_at", "in_scope",
           "distance_m"}


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

    async def test_missing_category_is_422(self, client, auth, world: World):
        lng, lat = centre_of(0)
        r = await client.get(f"{API}/cases/nearby", params={"lng": lng, "lat": lat},
                             headers=auth(world.user(Role.grid_worker, "s1c1g1")))
        assert r.status_code == 422


async def case_near(db: Any, world: World, metres_north: float, **changes: Any) -> Case:
    """A case of grid s2c1g1, filed by its worker, `metres_north` of grid 0's centre, with a
    photo and text that must not reach a caller outside its scope."""
    lng, lat = centre_of(0)
    worker = world.user(Role.grid_worker, "s2c1g1")
    async with db.writing() as s:
        case = await make_case(s, world.grids[FAR_GRID], worker, lng=lng,
                               lat=lat + metres_north * METRE, **{**PRIVATE, **changes})
        s.add(CaseAttachment(case_id=case.id, uploaded_by=case.reporter_key,
                             storage_key="cases/x.png", public_key="cases/x.public.png",
                             mime="image/png", size=1, sha256="0" * 64))
        await s.commit()
    return case


async def nearby(client: Any, auth: Any, user: Any, **params: Any) -> Any:
    lng, lat = centre_of(0)
    r = await client.get(f"{API}/cases/nearby", headers=auth(user),
                         params={"lng": lng, "lat": lat, "category_code": LEAF.code, **params})
    assert r.status_code == 200, r.text
    return r


def item_of(r: Any, case_id: int) -> dict[str, Any]:
    (item,) = [i for i in r.json()["items"] if i["id"] == case_id]
    return dict(item)


class TestAcrossScopes:
    async def test_a_case_across_the_line_with_only_what_a_duplicate_check_needs(
            self, client, auth, db, world: World):
        across = await case_near(db, world, 20)
        r = await nearby(client, auth, world.user(Role.grid_worker, "s1c1g1"))
        item = item_of(r, across.id)
        assert item["in_scope"] is False and item["distance_m"] == 20.0
        assert (item["category_code"], item["status"]) == (LEAF.code, "reported")
        assert item["category_name"] == LEAF.name and item["reported_at"]
        assert {k for k, v in item.items() if v is not None} == MINIMAL
        for text in (*PRIVATE.values(), "13912345678", "幸福路", across.code):
            assert text not in r.text

    async def test_in_scope_items_are_the_full_case(self, client, auth, db, world: World):
        worker = world.user(Role.grid_worker, "s1c1g1")
        await case_near(db, world, 20)
        item = item_of(await nearby(client, auth, worker), world.cases[0].id)
        r = await client.get(f"{API}/cases/{world.cases[0].id}", headers=auth(worker))
        assert {k: item[k] for k in CaseRead.model_fields} == r.json()
        assert item["in_scope"] is True and item["distance_m"] < 1
        assert item["attachment_ids"] == [world.attachments[0].id]

    async def test_a_member_is_told_too(self, client, auth, world: World):
        member = world.reg_users[0]  # a registered party member of s1c1: sees no grid's cases
        item = item_of(await nearby(client, auth, member), world.cases[0].id)
        assert item["in_scope"] is False and item["description"] is None

    async def test_a_closed_case_across_the_line_is_not_suggested(self, client, auth, db,
                                                                 world: World):
        open_one = await case_near(db, world, 20)
        closed = await case_near(db, world, 25, status="closed", closed_at=utcnow())
        merged = await case_near(db, world, 30, status="closed", closed_at=utcnow(),
                                 merged_into_id=open_one.id)
        ids = [i["id"] for i in (await nearby(
            client, auth, world.user(Role.grid_worker, "s1c1g1"))).json()["items"]]
        assert open_one.id in ids and closed.id not in ids and merged.id not in ids

    async def test_only_within_fifty_metres(self, client, auth, db, world: World):
        inside = await case_near(db, world, 45)
        outside = await case_near(db, world, 60)
        ids = [i["id"] for i in (await nearby(
            client, auth, world.user(Role.grid_worker, "s1c1g1"))).json()["items"]]
        assert inside.id in ids and outside.id not in ids

    async def test_statements_do_not_grow_with_the_suggestions(self, client, auth, db,
                                                              world: World, statements):
        worker = world.user(Role.grid_worker, "s1c1g1")
        await case_near(db, world, 10)
        with statements:
            assert len((await nearby(client, auth, worker)).json()["items"]) == 2
        few = statements.count
        for m in (15, 20):
            await case_near(db, world, m)
            async with db.writing() as s:  # and more of the worker's own grid
                await make_case(s, world.grids[0], worker, lat=centre_of(0)[1] + m * METRE)
                await s.commit()
        with statements:
            assert len((await nearby(client, auth, worker)).json()["items"]) == 6
        assert statements.count == few

    async def test_a_suggestion_does_not_open_the_case(self, client, auth, db, world: World):
        worker = world.user(Role.grid_worker, "s1c1g1")
        across = await case_near(db, world, 20)
        assert item_of(await nearby(client, auth, worker), across.id)["in_scope"] is False
        for path in (f"cases/{across.id}", f"cases/{across.id}/timeline"):
            r = await client.get(f"{API}/{path}", headers=auth(worker))
            assert r.status_code == 404, r.text

    def test_the_schema_keeps_every_case_field_in_order(self):
        fields = list(NearbyCase.model_fields)
        assert fields == [*CaseRead.model_fields, "in_scope", "distance_m"]
