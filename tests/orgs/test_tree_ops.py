"""Moving, deleting, editing and reading subtrees."""

from __future__ import annotations

from sqlalchemy import select

from app.core.permissions import Role
from app.models import Grid, Org, RoleAssignment, User
from tests.factories import World

API = "/api/v1"


class TestMove:
    async def test_move_community_rewrites_every_scoped_row(self, client, auth, world: World,
                                                          db):
        admin = world.user(Role.district_admin)
        community, new_street = world.communities[0], world.streets[1]
        r = await client.post(f"{API}/orgs/{community.id}/move", headers=auth(admin),
                              json={"new_parent_id": new_street.id})
        assert r.status_code == 200, r.text
        new_path = f"{new_street.path}{community.id}/"
        assert r.json()["path"] == new_path and r.json()["street_id"] == new_street.id
        async with db.writing() as s:
            grids = (await s.execute(select(Grid).where(Grid.community_id == community.id))
                     ).scalars().all()
            assert {g.street_id for g in grids} == {new_street.id}
            assert all(g.org_path.startswith(new_path) for g in grids)
            branches = (await s.execute(select(Org).where(Org.parent_id == community.id))
                        ).scalars().all()
            assert all(b.path.startswith(new_path) and b.street_id == new_street.id
                       for b in branches)
            assert all(b.depth == 3 for b in branches)
            roles = (await s.execute(select(RoleAssignment).where(
                RoleAssignment.user_id == world.user(Role.grid_worker, "s1c1g1").id))
                     ).scalars().all()
            assert all(a.org_path.startswith(new_path) for a in roles)
            admin_c = await s.get(User, world.user(Role.community_admin, "s1c1").id)
            assert admin_c is not None and admin_c.org_path == new_path

    async def test_scope_follows_the_move(self, client, auth, world: World):
        community = world.communities[0]
        await client.post(f"{API}/orgs/{community.id}/move",
                          headers=auth(world.user(Role.district_admin)),
                          json={"new_parent_id": world.streets[1].id})
        old = await client.get(f"{API}/orgs/{community.id}",
                               headers=auth(world.user(Role.street_admin, "s1")))
        new = await client.get(f"{API}/orgs/{community.id}",
                               headers=auth(world.user(Role.street_admin, "s2")))
        worker = await client.get(f"{API}/grids/{world.grids[0].id}",
                                  headers=auth(world.user(Role.grid_worker, "s1c1g1")))
        assert (old.status_code, new.status_code, worker.status_code) == (404, 200, 200)

    async def test_move_under_own_subtree_is_409(self, client, auth, world: World):
        r = await client.post(f"{API}/orgs/{world.streets[0].id}/move",
                              headers=auth(world.user(Role.district_admin)),
                              json={"new_parent_id": world.communities[0].id})
        assert r.status_code == 409 and r.json()["code"] == "org_move_cycle"

    async def test_move_to_wrong_kind_is_422(self, client, auth, world: World):
        r = await client.post(f"{API}/orgs/{world.communities[0].id}/move",
                              headers=auth(world.user(Role.district_admin)),
                              json={"new_parent_id": world.root.id})
        assert r.status_code == 422

    async def test_street_admin_cannot_move_into_other_street(self, client, auth, world: World):
        r = await client.post(f"{API}/orgs/{world.communities[0].id}/move",
                              headers=auth(world.user(Role.street_admin, "s1")),
                              json={"new_parent_id": world.streets[1].id})
        assert r.status_code == 404

    async def test_community_admin_cannot_move_own_community(self, client, auth, world: World):
        r = await client.post(f"{API}/orgs/{world.communities[0].id}/move",
                              headers=auth(world.user(Role.community_admin, "s1c1")),
                              json={"new_parent_id": world.streets[0].id})
        assert r.status_code == 404  # the parent street is outside their subtree


class TestDelete:
    async def test_non_empty_is_409(self, client, auth, world: World):
        r = await client.delete(f"{API}/orgs/{world.communities[0].id}",
                                headers=auth(world.user(Role.district_admin)))
        assert r.status_code == 409 and r.json()["code"] == "org_not_empty"

    async def test_empty_is_204(self, client, auth, world: World):
        h = auth(world.user(Role.street_admin, "s1"))
        made = await client.post(f"{API}/orgs", headers=h, json={
            "parent_id": world.streets[0].id, "kind": "agency", "name": "区民政局机关党支部"})
        r = await client.delete(f"{API}/orgs/{made.json()['id']}", headers=h)
        assert r.status_code == 204
        assert (await client.get(f"{API}/orgs/{made.json()['id']}", headers=h)).status_code == 404

    async def test_grid_branch_goes_only_with_its_grid(self, client, auth, world: World):
        r = await client.delete(f"{API}/orgs/{world.branches[0].id}",
                                headers=auth(world.user(Role.district_admin)))
        assert r.status_code == 409

    async def test_root_cannot_be_deleted(self, client, auth, world: World):
        r = await client.delete(f"{API}/orgs/{world.root.id}",
                                headers=auth(world.user(Role.district_admin)))
        assert r.status_code == 409 and r.json()["code"] == "org_is_root"


class TestUpdate:
    async def test_stale_if_match_is_412(self, client, auth, world: World):
        h = auth(world.user(Role.district_admin))
        url = f"{API}/orgs/{world.streets[0].id}"
        etag = (await client.get(url, headers=h)).headers["etag"]
        ok = await client.patch(url, headers={**h, "If-Match": etag}, json={"name": "许由街道"})
        assert ok.status_code == 200 and ok.headers["etag"] != etag
        stale = await client.patch(url, headers={**h, "If-Match": etag}, json={"name": "x"})
        assert stale.status_code == 412 and stale.json()["code"] == "version_mismatch"

    async def test_duplicate_code_is_409(self, client, auth, world: World):
        h = auth(world.user(Role.district_admin))
        r = await client.patch(f"{API}/orgs/{world.streets[0].id}", headers=h, json={"code": "T"})
        assert r.status_code == 409 and r.json()["code"] == "org_code_taken"


class TestTree:
    async def test_nested_children(self, client, auth, world: World):
        r = await client.get(f"{API}/orgs/{world.streets[0].id}/tree", params={"depth": 2},
                             headers=auth(world.user(Role.street_admin, "s1")))
        assert r.status_code == 200
        tree = r.json()
        assert [c["id"] for c in tree["children"]] == [c.id for c in world.communities[:2]]
        assert all(len(c["children"]) == 2 for c in tree["children"])
        assert all(g["children"] == [] for c in tree["children"] for g in c["children"])

    async def test_tree_is_cut_to_the_callers_scope(self, client, auth, world: World):
        r = await client.get(f"{API}/orgs/{world.root.id}/tree", params={"depth": 3},
                             headers=auth(world.user(Role.community_admin, "s1c1")))
        assert r.status_code == 404  # the root itself is outside a community admin's scope
