"""Building groups cover buildings of their grid, member households look after 1–30 households of
their grid; a building or household belongs to one group or household at most."""

from __future__ import annotations

from typing import Any

from app.core.permissions import Role
from tests.factories import World
from tests.members.helpers import admin, call, fields, instructor, worker


def group_url(world: World, i: int = 0) -> str:
    return f"/building-groups/{world.building_groups[i].id}/buildings"


def node_url(world: World, i: int = 0) -> str:
    return f"/member-households/{world.member_households[i].id}/households"


async def households(client: Any, auth: Any, world: World, n: int, grid: int = 0) -> list[int]:
    """`n` new households in the grid's building, registered by its worker."""
    key = ["s1c1g1", "s1c1g2"][grid]
    out = []
    for i in range(n):
        r = await call(client, auth, worker(world, key), "POST", "/households", 201,
                       {"building_id": world.buildings[grid].id, "room": f"{200 + i}"})
        out.append(r.json()["id"])
    return out


async def second_node(client: Any, auth: Any, world: World, kind: str, parent: int) -> int:
    r = await call(client, auth, admin(world), "POST", "/orgs", 201,
                   {"parent_id": parent, "kind": kind, "name": f"第二{kind}"})
    return int(r.json()["id"])


class TestBuildingGroups:
    async def test_put_then_get(self, client, auth, world: World):
        body = {"building_ids": [world.buildings[0].id, world.buildings[0].id]}
        r = await call(client, auth, worker(world), "PUT", group_url(world), 200, body)
        assert [b["id"] for b in r.json()["buildings"]] == [world.buildings[0].id]
        got = await call(client, auth, worker(world), "GET", group_url(world), 200)
        assert got.json() == r.json() and got.json()["group_id"] == world.building_groups[0].id

    async def test_replace_with_empty_set(self, client, auth, world: World):
        await call(client, auth, worker(world), "PUT", group_url(world), 200,
                   {"building_ids": [world.buildings[0].id]})
        r = await call(client, auth, worker(world), "PUT", group_url(world), 200,
                       {"building_ids": []})
        assert r.json()["buildings"] == []

    async def test_building_of_another_grid_names_building_ids(self, client, auth,
                                                               world: World):
        r = await call(client, auth, admin(world), "PUT", group_url(world), 422,
                       {"building_ids": [world.buildings[1].id]})
        assert fields(r) == ["building_ids"]

    async def test_building_in_another_group_is_409(self, client, auth, world: World):
        other = await second_node(client, auth, world, "building_group", world.branches[0].id)
        await call(client, auth, admin(world), "PUT", group_url(world), 200,
                   {"building_ids": [world.buildings[0].id]})
        r = await call(client, auth, admin(world), "PUT", f"/building-groups/{other}/buildings",
                       409, {"building_ids": [world.buildings[0].id]})
        assert r.json()["code"] == "building_in_other_group"

    async def test_wrong_kind_is_404(self, client, auth, world: World):
        r = await call(client, auth, worker(world), "GET",
                       f"/building-groups/{world.member_households[0].id}/buildings", 404)
        assert r.json()["code"] == "building_group_not_found"

    async def test_other_grid_is_404(self, client, auth, world: World):
        await call(client, auth, worker(world), "GET", group_url(world, 1), 404)

    async def test_instructor_reads_nothing_of_the_register(self, client, auth, world: World):
        await call(client, auth, instructor(world), "GET", group_url(world), 403)

    async def test_auditor_may_read_not_write(self, client, auth, world: World):
        auditor = world.user(Role.auditor)
        await call(client, auth, auditor, "GET", group_url(world), 200)
        await call(client, auth, auditor, "PUT", group_url(world), 403, {"building_ids": []})


class TestMemberHouseholds:
    async def test_put_then_get(self, client, auth, world: World):
        cared = await households(client, auth, world, 3)
        body = {"home_household_id": world.households[0].id, "household_ids": cared}
        r = await call(client, auth, worker(world), "PUT", node_url(world), 200, body)
        assert r.json()["home"]["id"] == world.households[0].id
        assert [h["id"] for h in r.json()["households"]] == cared
        got = await call(client, auth, worker(world), "GET", node_url(world), 200)
        assert got.json() == r.json()

    async def test_replace_moves_the_home(self, client, auth, world: World):
        cared = await households(client, auth, world, 2)
        await call(client, auth, worker(world), "PUT", node_url(world), 200,
                   {"home_household_id": world.households[0].id, "household_ids": cared})
        r = await call(client, auth, worker(world), "PUT", node_url(world), 200,
                       {"home_household_id": cared[0], "household_ids": [world.households[0].id]})
        assert r.json()["home"]["id"] == cared[0]
        assert [h["id"] for h in r.json()["households"]] == [world.households[0].id]

    async def test_count_outside_1_to_30_names_household_ids(self, client, auth, world: World):
        for ids in ([], list(range(1, 32))):
            r = await call(client, auth, worker(world), "PUT", node_url(world), 422,
                           {"home_household_id": None, "household_ids": ids})
            assert fields(r) == ["household_ids"]

    async def test_home_must_be_sent(self, client, auth, world: World):
        r = await call(client, auth, worker(world), "PUT", node_url(world), 422,
                       {"household_ids": [world.households[0].id]})
        assert fields(r) == ["home_household_id"]

    async def test_home_is_not_a_cared_household(self, client, auth, world: World):
        h = world.households[0].id
        r = await call(client, auth, worker(world), "PUT", node_url(world), 422,
                       {"home_household_id": h, "household_ids": [h]})
        assert fields(r) == ["household_ids"]

    async def test_household_of_another_grid_is_422(self, client, auth, world: World):
        r = await call(client, auth, admin(world), "PUT", node_url(world), 422,
                       {"home_household_id": None, "household_ids": [world.households[1].id]})
        assert fields(r) == ["household_ids"]
        r = await call(client, auth, admin(world), "PUT", node_url(world), 422,
                       {"home_household_id": world.households[1].id,
                        "household_ids": [world.households[0].id]})
        assert fields(r) == ["home_household_id"]

    async def test_household_in_other_care_is_409(self, client, auth, world: World):
        other = await second_node(client, auth, world, "member_household",
                                  world.building_groups[0].id)
        await call(client, auth, worker(world), "PUT", node_url(world), 200,
                   {"home_household_id": None, "household_ids": [world.households[0].id]})
        r = await call(client, auth, worker(world), "PUT",
                       f"/member-households/{other}/households", 409,
                       {"home_household_id": world.households[0].id,
                        "household_ids": await households(client, auth, world, 1)})
        assert r.json()["code"] == "household_in_other_care"

    async def test_wrong_kind_is_404(self, client, auth, world: World):
        r = await call(client, auth, worker(world), "GET",
                       f"/member-households/{world.building_groups[0].id}/households", 404)
        assert r.json()["code"] == "member_household_not_found"

    async def test_other_grid_is_404(self, client, auth, world: World):
        await call(client, auth, worker(world), "PUT", node_url(world, 1), 404,
                   {"home_household_id": None, "household_ids": [world.households[1].id]})

    async def test_empty_node(self, client, auth, world: World):
        r = await call(client, auth, worker(world), "GET", node_url(world), 200)
        assert r.json()["home"] is None and r.json()["households"] == []
