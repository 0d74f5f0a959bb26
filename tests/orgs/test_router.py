from __future__ import annotations

from app.core.permissions import Role
from tests.factories import World

API = "/api/v1"


class TestCreateOrg:
    async def test_street_admin_creates_community(self, client, auth, world: World):
        admin = world.user(Role.street_admin, "s1")
        r = await client.post(f"{API}/orgs", headers=auth(admin),
                              json={"parent_id": world.streets[0].id, "kind": "community",
                                    "name": "新社区"})
        assert r.status_code == 201, r.text
        body = r.json()
        assert body["path"] == f"{world.streets[0].path}{body['id']}/"
        assert body["depth"] == 2
        assert body["community_id"] == body["id"]
        assert body["street_id"] == world.streets[0].id
        assert r.headers["etag"] == '"1"'

    async def test_kind_not_allowed_is_422(self, client, auth, world: World):
        admin = world.user(Role.district_admin)
        r = await client.post(f"{API}/orgs", headers=auth(admin),
                              json={"parent_id": world.root.id, "kind": "community", "name": "x"})
        assert r.status_code == 422
        assert r.json()["code"] == "org_kind_not_allowed"
        assert r.headers["content-type"].startswith("application/problem+json")

    async def test_outside_scope_is_404(self, client, auth, world: World):
        admin = world.user(Role.street_admin, "s1")
        r = await client.post(f"{API}/orgs", headers=auth(admin),
                              json={"parent_id": world.streets[1].id, "kind": "community",
                                    "name": "x"})
        assert r.status_code == 404

    async def test_worker_in_scope_without_right_is_403(self, client, auth, world: World):
        worker = world.user(Role.grid_worker, "s1c1g1")
        r = await client.post(f"{API}/orgs", headers=auth(worker),
                              json={"parent_id": world.branches[0].id, "kind": "building_group",
                                    "name": "1号楼党小组"})
        assert r.status_code == 403


class TestListOrgs:
    async def test_children_of_street(self, client, auth, world: World):
        admin = world.user(Role.district_admin)
        r = await client.get(f"{API}/orgs", params={"parent_id": world.streets[0].id},
                             headers=auth(admin))
        assert r.status_code == 200
        ids = [o["id"] for o in r.json()["items"]]
        assert ids == [world.communities[0].id, world.communities[1].id]

    async def test_community_admin_does_not_see_other_community(self, client, auth,
                                                                  world: World):
        admin = world.user(Role.community_admin, "s1c1")
        r = await client.get(f"{API}/orgs", params={"parent_id": world.streets[0].id},
                             headers=auth(admin))
        assert [o["id"] for o in r.json()["items"]] == [world.communities[0].id]

    async def test_pagination_walks_everything(self, client, auth, world: World):
        admin = world.user(Role.district_admin)
        seen, cursor = [], None
        while True:
            params = {"limit": 3, **({"cursor": cursor} if cursor else {})}
            r = await client.get(f"{API}/orgs", params=params, headers=auth(admin))
            assert r.status_code == 200
            page = r.json()
            seen += [o["id"] for o in page["items"]]
            cursor = page["next_cursor"]
            if not cursor:
                break
        # district, streets, communities, grid branches, and a building group and a member
        # household under each branch
        assert seen == sorted(seen) and len(seen) == len(set(seen)) == (
            1 + 2 + 4 + 8 + len(world.building_groups) + len(world.member_households))

    async def test_bad_cursor_is_422(self, client, auth, world: World):
        r = await client.get(f"{API}/orgs", params={"cursor": "!!notbase64"},
                             headers=auth(world.user(Role.district_admin)))
        assert r.status_code == 422
        assert r.json()["code"] == "invalid_cursor"

    async def test_statements_do_not_grow_with_page_size(self, client, auth, world: World,
                                                        statements):
        admin = world.user(Role.district_admin)
        counts = []
        for limit in (10, 100):
            with statements:
                r = await client.get(f"{API}/orgs", params={"parent_id": world.root.id,
                                                            "limit": limit},
                                     headers=auth(admin))
            assert r.status_code == 200
            counts.append(statements.count)
        assert counts[0] == counts[1] == 2  # principal + page
