"""The offices' journeys end to end on the production session paths: a unit with its agreement,
report and seconded cadre; an org node and a grid drawn, edited and staffed; an account given a
role, using it, and losing it."""

from __future__ import annotations

from typing import Any

from tests.e2e import flows
from tests.e2e.flows import COMMUNITY_ADMIN, DISTRICT_ADMIN, LIAISON
from tests.e2e.harness import API, Harness


def square(west: float, south: float, size: float = 0.002) -> dict[str, Any]:
    ring = [[west, south], [west + size, south], [west + size, south + size],
            [west, south + size], [west, south]]
    return {"type": "Polygon", "coordinates": [ring]}


async def locate(h: Harness, lng: float, lat: float) -> int | None:
    r = await h.call("GET", f"{API}/grids/locate", COMMUNITY_ADMIN, expect=(200, 404),
                     params={"lng": lng, "lat": lat, "crs": "wgs84"})
    return int(r.json()["id"]) if r.status_code == 200 else None


async def new_grid(h: Harness, d: flows.Demo, name: str, boundary: dict[str, Any]
                   ) -> dict[str, Any]:
    r = await h.call("POST", f"{API}/grids", COMMUNITY_ADMIN, expect=201, headers=flows.key(),
                     json={"community_id": d.community_id, "name": name, "boundary": boundary})
    return dict(r.json())


async def test_unit_agreement_report_and_cadre(harness: Harness) -> None:
    h, d = harness, await flows.demo(harness)
    unit, agreement = await flows.unit_with_agreement(h, d)
    assert agreement["status"] == "active" and len(agreement["projects"]) == 1
    await h.call("POST", f"{API}/agreements/{agreement['id']}/reports", LIAISON, expect=201,
                 headers=flows.key(), json={"side": "community", "period": "2026-Q1",
                                            "summary": "助老食堂开餐"})
    reports = (await h.call("GET", f"{API}/agreements/{agreement['id']}/reports",
                            COMMUNITY_ADMIN, expect=200)).json()["items"]
    assert [(r["side"], r["period"]) for r in reports] == [("community", "2026-Q1")]
    renamed = (await h.call("PATCH", f"{API}/units/{unit['id']}", DISTRICT_ADMIN, expect=200,
                            json={"name": "区民政局（社会事务科）"},
                            headers=flows.if_match(unit))).json()
    assert renamed["version"] == unit["version"] + 1
    cadre = await flows.cadre(h, d, unit["id"])
    listed = (await h.call("GET", f"{API}/cadres", COMMUNITY_ADMIN, expect=200,
                           params={"unit_id": unit["id"]})).json()["items"]
    assert [c["id"] for c in listed] == [cadre["id"]]


async def test_org_node_and_grid_drawn_edited_staffed(harness: Harness) -> None:
    h, d = harness, await flows.demo(harness)
    node = (await h.call("POST", f"{API}/orgs", COMMUNITY_ADMIN, expect=201, headers=flows.key(),
                         json={"parent_id": d.branch_id, "kind": "building_group",
                               "name": "9号楼党小组"})).json()
    node = (await h.call("PATCH", f"{API}/orgs/{node['id']}", COMMUNITY_ADMIN, expect=200,
                         json={"name": "9、10号楼党小组"}, headers=flows.if_match(node))).json()
    tree = (await h.call("GET", f"{API}/orgs/{d.branch_id}/tree", COMMUNITY_ADMIN,
                         expect=200)).json()
    assert "9、10号楼党小组" in [c["name"] for c in tree["children"]]
    await h.call("DELETE", f"{API}/orgs/{node['id']}", COMMUNITY_ADMIN, expect=204,
                 headers=flows.if_match(node))

    grid = await new_grid(h, d, "幸福社区新建网格", square(113.70, 34.20))
    assert await locate(h, 113.701, 34.201) == grid["id"]
    moved = (await h.call("PATCH", f"{API}/grids/{grid['id']}", COMMUNITY_ADMIN, expect=200,
                          json={"name": "幸福社区第七网格", "boundary": square(113.70, 34.25)},
                          headers=flows.if_match(grid))).json()
    assert await locate(h, 113.701, 34.201) is None  # the old shape is not used any more
    assert await locate(h, 113.701, 34.251) == grid["id"]
    head, worker = (await flows.user_id(h, flows.HEAD), await flows.user_id(h, flows.WORKER))
    await h.call("PUT", f"{API}/grids/{grid['id']}/staff", COMMUNITY_ADMIN, expect=200,
                 json={"head_user_id": head, "worker_user_ids": [worker]})
    read = (await h.call("GET", f"{API}/grids/{grid['id']}", COMMUNITY_ADMIN, expect=200)).json()
    assert (read["name"], read["version"]) == ("幸福社区第七网格", moved["version"])
    assert (read["staff"]["head_user_id"], read["staff"]["worker_user_ids"]) == (head, [worker])


async def test_account_granted_a_role_uses_it_and_loses_it(harness: Harness) -> None:
    h, d = harness, await flows.demo(harness)
    password = "E2e-Passw0rd!"
    user = (await h.call("POST", f"{API}/users", DISTRICT_ADMIN, expect=201, headers=flows.key(),
                         json={"username": "e2e_worker", "password": password,
                               "display_name": "吴网格员", "org_id": d.branch_id})).json()
    grant = (await h.call("POST", f"{API}/users/{user['id']}/roles", DISTRICT_ADMIN, expect=201,
                          headers=flows.key(), json={"role": "grid_worker",
                                                     "org_id": d.branch_id})).json()
    me = await h.login("e2e_worker", password)
    r = await h.client.get(f"{API}/me", headers=me)
    assert [(g["role"], g["org_id"]) for g in r.json()["roles"]] == [("grid_worker", d.branch_id)]
    r = await h.client.get(f"{API}/grids/{d.grid_id}", headers=me)
    assert r.status_code == 200, r.text
    await h.call("DELETE", f"{API}/users/{user['id']}/roles/{grant['id']}", DISTRICT_ADMIN,
                 expect=204)
    # Read back as the admin: the new worker's own grants stay cached in this process for up
    # to GRID_PRINCIPAL_CACHE_SECONDS (5 s, the production default), as documented.
    read = (await h.call("GET", f"{API}/users/{user['id']}", DISTRICT_ADMIN, expect=200)).json()
    assert read["roles"] == []


async def test_grid_drawn_after_deleting_the_newest_is_located(harness: Harness) -> None:
    """SQLite gives the deleted newest grid's id to the next one, at version 1 again: the
    cached polygon must not be the deleted grid's (the cache stamp holds created_at too)."""
    h, d = harness, await flows.demo(harness)
    gone = await new_grid(h, d, "临时网格", square(113.70, 34.20))
    assert await locate(h, 113.701, 34.201) == gone["id"]  # its polygon is now cached
    await h.call("DELETE", f"{API}/grids/{gone['id']}", COMMUNITY_ADMIN, expect=204,
                 headers=flows.if_match(gone))
    grid = await new_grid(h, d, "新网格", square(113.70, 34.30))
    assert await locate(h, 113.701, 34.301) == grid["id"]
