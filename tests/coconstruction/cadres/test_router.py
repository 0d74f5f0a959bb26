"""Seconded cadres (下沉干部): register, roster, edit, and counts by rank."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from app.core.permissions import Role
from app.models import Cadre
from tests.coconstruction.helpers import (
    admin,
    agency_unit,
    community_admin,
    fields,
    get,
    ids,
    patch,
    post,
)
from tests.factories import World


def cadre_body(world: World, org: int | None = None, **changes: Any) -> dict[str, Any]:
    return {"unit_id": world.units[0].id,
            "org_id": org if org is not None else world.communities[0].id,
            "name": "黄海涛", "rank": "general", "position": "网格指导员",
            "phone": "15012345678", "starts_on": "2026-02-01", **changes}


class TestCreateCadre:
    async def test_community_registers_a_cadre_masked_and_encrypted(self, client, auth,
                                                                    world: World, db):
        body = await post(client, auth, community_admin(world), "/cadres", cadre_body(world))
        assert (body["name"], body["phone"]) == ("黄**", "150****5678")
        assert (body["community_id"], body["org_path"]) == (world.communities[0].id,
                                                            world.communities[0].path)
        async with db.writing() as s:
            row = (await s.execute(select(Cadre).where(Cadre.id == body["id"]))).scalar_one()
        assert row.phone_cipher and "15012345678" not in row.phone_cipher

    async def test_street_level_cadre(self, client, auth, world: World):
        body = await post(client, auth, world.user(Role.street_admin, "s1"), "/cadres",
                          cadre_body(world, org=world.streets[0].id))
        assert (body["street_id"], body["community_id"]) == (world.streets[0].id, None)

    async def test_grid_branch_is_not_served(self, client, auth, world: World):
        p = await post(client, auth, admin(world), "/cadres",
                       cadre_body(world, org=world.branches[0].id), expect=422)
        assert fields(p) == ["org_id"]

    async def test_other_community_reads_as_missing(self, client, auth, world: World):
        p = await post(client, auth, community_admin(world), "/cadres",
                       cadre_body(world, org=world.communities[1].id), expect=422)
        assert fields(p) == ["org_id"]

    async def test_unknown_unit_and_bad_dates_and_rank(self, client, auth, world: World):
        boss = community_admin(world)
        p = await post(client, auth, boss, "/cadres",
                       cadre_body(world, unit_id=2_000_000_000), expect=422)
        assert fields(p) == ["unit_id"]
        p = await post(client, auth, boss, "/cadres", cadre_body(world, ends_on="2026-01-01"),
                       expect=422)
        assert fields(p) == ["ends_on"]
        p = await post(client, auth, boss, "/cadres", cadre_body(world, rank="chief"),
                       expect=422)
        assert fields(p) == ["rank"]

    async def test_user_outside_the_callers_view_is_422(self, client, auth, world: World):
        outsider = world.user(Role.grid_worker, "s2c1g1")
        p = await post(client, auth, community_admin(world), "/cadres",
                       cadre_body(world, user_id=outsider.id), expect=422)
        assert fields(p) == ["user_id"]

    async def test_member_may_not_register(self, client, auth, world: World):
        await post(client, auth, world.user(Role.member, "s1c1"), "/cadres",
                   cadre_body(world), expect=403)


class TestRoster:
    async def test_community_sees_only_its_own(self, client, auth, world: World):
        assert await ids(client, auth, community_admin(world), "/cadres") == \
            [world.cadres[0].id]
        assert await ids(client, auth, community_admin(world, "s2c2"), "/cadres") == \
            [world.cadres[3].id]

    async def test_street_sees_its_communities(self, client, auth, world: World):
        got = await ids(client, auth, world.user(Role.street_admin, "s1"), "/cadres")
        assert got == [c.id for c in world.cadres[:2]]

    async def test_filters(self, client, auth, world: World):
        boss = admin(world)
        general = await post(client, auth, boss, "/cadres",
                             cadre_body(world, starts_on="2026-06-01", ends_on="2026-06-30"))
        assert await ids(client, auth, boss, "/cadres", rank="general") == [general["id"]]
        assert general["id"] not in await ids(client, auth, boss, "/cadres",
                                              active_on="2026-07-01")
        assert general["id"] in await ids(client, auth, boss, "/cadres",
                                          active_on="2026-06-15")
        by_street = await ids(client, auth, boss, "/cadres", org_id=world.streets[1].id)
        assert by_street == [c.id for c in world.cadres[2:]]

    async def test_liaison_sees_their_units_cadres(self, client, auth, world: World):
        agency = await agency_unit(client, auth, world)
        sent = await post(client, auth, admin(world), "/cadres",
                          cadre_body(world, org=world.communities[3].id,
                                     unit_id=agency.unit_id))
        got = await ids(client, auth, agency.liaison, "/cadres", unit_id=agency.unit_id)
        assert got == [sent["id"]]
        await get(client, auth, agency.liaison, f"/cadres/{sent['id']}")

    async def test_statements_do_not_grow_with_page_size(self, client, auth, world: World,
                                                         statements):
        counts = []
        for limit in (1, 100):
            with statements:
                page = await get(client, auth, admin(world), "/cadres", limit=limit)
            assert len(page["items"]) == min(limit, 4)
            counts.append(statements.count)
        assert counts[0] == counts[1]


class TestReadAndEdit:
    async def test_masked_detail_and_404_outside(self, client, auth, world: World):
        body = await get(client, auth, community_admin(world), f"/cadres/{world.cadres[0].id}")
        assert body["name"] == "陈**" and "*" in body["phone"]
        p = await get(client, auth, community_admin(world), f"/cadres/{world.cadres[1].id}",
                      expect=404)
        assert p["code"] == "cadre_not_found"

    async def test_edit_with_if_match(self, client, auth, world: World):
        url = f"/cadres/{world.cadres[0].id}"
        boss = community_admin(world)
        await patch(client, auth, boss, url, {"ends_on": "2026-12-31"}, expect=412,
                    **{"If-Match": '"5"'})
        body = await patch(client, auth, boss, url, {"ends_on": "2026-12-31", "rank": "general",
                                                      "phone": "13300001234"},
                           **{"If-Match": '"1"'})
        assert (body["version"], body["rank"], body["phone"]) == (2, "general", "133****1234")
        p = await patch(client, auth, boss, url, {"ends_on": "2025-12-31"}, expect=422)
        assert fields(p) == ["ends_on"]
        p = await patch(client, auth, boss, url, {"rank": None}, expect=422)
        assert fields(p) == ["rank"]


class TestSummary:
    async def test_counts_by_rank_per_community_and_street(self, client, auth, world: World):
        boss = admin(world)
        await post(client, auth, boss, "/cadres", cadre_body(world))
        await post(client, auth, boss, "/cadres", cadre_body(world, org=world.streets[1].id))
        summary = await get(client, auth, boss, "/cadres/summary", active_on="2026-06-01")
        rows = {(r["level"], r["org_id"]): (r["section"], r["general"], r["total"])
                for r in summary["rows"]}
        assert rows[("community", world.communities[0].id)] == (1, 1, 2)
        assert rows[("community", world.communities[3].id)] == (1, 0, 1)
        assert rows[("street", world.streets[1].id)] == (0, 1, 1)
        assert summary["totals"] == {"section": 4, "general": 2, "total": 6}
        names = {r["org_id"]: r["name"] for r in summary["rows"]}
        assert names[world.streets[1].id] == world.streets[1].name

    async def test_active_on_and_scope(self, client, auth, world: World):
        before = await get(client, auth, admin(world), "/cadres/summary",
                           active_on="2025-12-31")
        assert before["rows"] == [] and before["totals"]["total"] == 0
        mine = await get(client, auth, community_admin(world), "/cadres/summary",
                         active_on="2026-06-01")
        assert [r["org_id"] for r in mine["rows"]] == [world.communities[0].id]
        under = await get(client, auth, admin(world), "/cadres/summary",
                          org_id=world.streets[0].id, active_on="2026-06-01")
        assert under["totals"]["total"] == 2

    async def test_org_outside_is_404_and_without_right_403(self, client, auth,
                                                            world: World):
        await get(client, auth, community_admin(world), "/cadres/summary",
                  org_id=world.communities[1].id, expect=404)
        await get(client, auth, world.user(Role.member, "s1c1"), "/cadres/summary",
                  org_id=world.communities[0].id, expect=403)

    async def test_statements_constant_as_cadres_grow(self, client, auth, world: World,
                                                      statements):
        counts = []
        for org in (world.streets[0].id, world.communities[2].id):
            with statements:
                await get(client, auth, admin(world), "/cadres/summary", active_on="2026-06-01")
            counts.append(statements.count)
            await post(client, auth, admin(world), "/cadres", cadre_body(world, org=org))
        assert counts[0] == counts[1] == 3  # principal, the GROUP BY, the org names
