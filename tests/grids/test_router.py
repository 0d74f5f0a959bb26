from __future__ import annotations

from typing import Any

from app.core.geo import gcj02_to_wgs84, wgs84_to_gcj02
from app.core.permissions import Role
from app.models import Org, User
from tests.factories import World, make_user

API = "/api/v1"
# Clear of the fixture world's grids (113.80–113.95 × 34.00–34.01).
FREE_W, FREE_S = 114.00, 34.00


def square(w: float = FREE_W, s: float = FREE_S, size: float = 0.01) -> list[list[list[float]]]:
    return [[[w, s], [w + size, s], [w + size, s + size], [w, s + size], [w, s]]]


def polygon(coordinates: Any = None, **extra: Any) -> dict[str, Any]:
    return {"type": "Polygon", "coordinates": coordinates or square(), **extra}


def centre_of(k: int) -> tuple[float, float]:
    """A point inside the fixture world's grid k (see tests/factories.py build_world)."""
    return 113.80 + 0.02 * k + 0.005, 34.005


async def new_users(db: Any, home: Org, *names: str) -> list[User]:
    async with db.writing() as s:
        users = [await make_user(s, name, home) for name in names]
        await s.commit()
    return users


async def create_grid(client: Any, auth: Any, admin: User, community: Org, **body: Any
                      ) -> dict[str, Any]:
    r = await client.post(f"{API}/grids", headers=auth(admin),
                          json={"community_id": community.id, "name": "新网格", **body})
    assert r.status_code == 201, r.text
    return dict(r.json())


async def roles_of(client: Any, auth: Any, admin: User, user: User) -> set[tuple[str, int]]:
    r = await client.get(f"{API}/users/{user.id}", headers=auth(admin))
    assert r.status_code == 200, r.text
    return {(a["role"], a["org_id"]) for a in r.json()["roles"]}


class TestCreateGrid:
    async def test_community_admin_creates_grid_and_branch(self, client, auth, world: World):
        admin = world.user(Role.community_admin, "s1c1")
        community = world.communities[0]
        r = await client.post(f"{API}/grids", headers=auth(admin),
                              json={"community_id": community.id, "name": "新网格",
                                    "code": "NEW-1", "boundary": polygon()})
        assert r.status_code == 201, r.text
        body = r.json()
        assert {"id", "community_id", "branch_id", "name", "code", "boundary", "staff"} <= set(body)
        assert body["community_id"] == community.id
        assert body["street_id"] == world.streets[0].id
        assert (body["name"], body["code"], body["version"]) == ("新网格", "NEW-1", 1)
        assert body["boundary"] == polygon()
        assert body["staff"] == {"head_user_id": None, "worker_user_ids": [],
                                 "instructor_user_ids": []}
        assert r.headers["etag"] == '"1"'

        branch = await client.get(f"{API}/orgs/{body['branch_id']}", headers=auth(admin))
        assert branch.status_code == 200
        assert branch.json()["kind"] == "grid_branch"
        assert branch.json()["parent_id"] == community.id
        assert body["org_path"] == branch.json()["path"]

    async def test_admin_of_other_community_is_404(self, client, auth, world: World):
        admin = world.user(Role.community_admin, "s1c2")
        r = await client.post(f"{API}/grids", headers=auth(admin),
                              json={"community_id": world.communities[0].id, "name": "x"})
        assert r.status_code == 404

    async def test_grid_worker_is_404(self, client, auth, world: World):
        # The worker's grant is on their grid branch: the community above it is not visible.
        worker = world.user(Role.grid_worker, "s1c1g1")
        r = await client.post(f"{API}/grids", headers=auth(worker),
                              json={"community_id": world.communities[0].id, "name": "x"})
        assert r.status_code == 404

    async def test_member_in_scope_without_right_is_403(self, client, auth, world: World):
        member = world.user(Role.member, "s1c1")
        r = await client.post(f"{API}/grids", headers=auth(member),
                              json={"community_id": world.communities[0].id, "name": "x"})
        assert r.status_code == 403

    async def test_street_as_community_is_422(self, client, auth, world: World):
        admin = world.user(Role.street_admin, "s1")
        r = await client.post(f"{API}/grids", headers=auth(admin),
                              json={"community_id": world.streets[0].id, "name": "x"})
        assert r.status_code == 422
        assert r.json()["code"] == "grid_parent_not_community"

    async def test_longest_name_still_names_its_branch(self, client, auth, world: World):
        # The branch is named "<grid name>党支部"; org names are capped at 100 characters too.
        admin = world.user(Role.community_admin, "s1c1")
        grid = await create_grid(client, auth, admin, world.communities[0], name="网" * 100)
        branch = await client.get(f"{API}/orgs/{grid['branch_id']}", headers=auth(admin))
        assert len(branch.json()["name"]) == 100
        assert branch.json()["name"].endswith("党支部")

    async def test_code_taken_is_409(self, client, auth, world: World):
        admin = world.user(Role.community_admin, "s1c1")
        await create_grid(client, auth, admin, world.communities[0], code="DUP")
        r = await client.post(f"{API}/grids", headers=auth(admin),
                              json={"community_id": world.communities[0].id, "name": "y",
                                    "code": "DUP"})
        assert r.status_code == 409
        assert r.json()["code"] == "grid_code_taken"


class TestBoundary:
    async def post(self, client, auth, world: World, boundary: Any, **extra: Any) -> Any:
        admin = world.user(Role.community_admin, "s1c1")
        return await client.post(f"{API}/grids", headers=auth(admin),
                                 json={"community_id": world.communities[0].id, "name": "边界",
                                       "boundary": boundary, **extra})

    def assert_invalid(self, r: Any) -> None:
        assert r.status_code == 422, r.text
        body = r.json()
        assert body["code"] == "invalid_boundary"
        assert body["errors"][0]["field"] == "boundary"

    async def test_unclosed_ring(self, client, auth, world: World):
        ring = [*square()[0][:-1], [FREE_W, FREE_S + 0.005]]
        self.assert_invalid(await self.post(client, auth, world, polygon([ring])))

    async def test_fewer_than_four_positions(self, client, auth, world: World):
        ring = [[FREE_W, FREE_S], [FREE_W + 0.01, FREE_S], [FREE_W, FREE_S]]
        self.assert_invalid(await self.post(client, auth, world, polygon([ring])))

    async def test_self_intersecting_bow_tie(self, client, auth, world: World):
        w, s, e, n = FREE_W, FREE_S, FREE_W + 0.01, FREE_S + 0.01
        ring = [[w, s], [e, n], [e, s], [w, n], [w, s]]
        self.assert_invalid(await self.post(client, auth, world, polygon([ring])))

    async def test_lng_lat_swapped_is_outside_china(self, client, auth, world: World):
        swapped = [[[lat, lng] for lng, lat in square()[0]]]
        self.assert_invalid(await self.post(client, auth, world, polygon(swapped)))

    async def test_point_is_not_a_polygon(self, client, auth, world: World):
        point = {"type": "Point", "coordinates": [FREE_W, FREE_S]}
        self.assert_invalid(await self.post(client, auth, world, point))

    async def test_position_without_latitude(self, client, auth, world: World):
        ring = [*square()[0][:2], [FREE_W + 0.01], *square()[0][3:]]
        self.assert_invalid(await self.post(client, auth, world, polygon([ring])))

    async def test_empty_coordinates(self, client, auth, world: World):
        boundary = {"type": "Polygon", "coordinates": []}
        self.assert_invalid(await self.post(client, auth, world, boundary))

    async def test_hole_outside_shell(self, client, auth, world: World):
        hole = square(FREE_W + 0.02, FREE_S, 0.002)[0]
        self.assert_invalid(await self.post(client, auth, world, polygon([*square(), hole])))

    async def test_gcj02_is_stored_as_wgs84(self, client, auth, world: World):
        gcj_ring = [list(wgs84_to_gcj02(lng, lat)) for lng, lat in square()[0]]
        r = await self.post(client, auth, world, polygon([gcj_ring], crs="gcj02"))
        assert r.status_code == 201, r.text
        stored = r.json()["boundary"]["coordinates"][0]
        for (g_lng, g_lat), (s_lng, s_lat) in zip(gcj_ring, stored, strict=True):
            assert 0.003 < abs(g_lng - s_lng) < 0.008 and 0.0005 < abs(g_lat - s_lat) < 0.003
            w_lng, w_lat = gcj02_to_wgs84(g_lng, g_lat)
            assert abs(s_lng - w_lng) < 1e-7 and abs(s_lat - w_lat) < 1e-7
        # Hence back on the WGS-84 square we started from (to the stored 7 decimals).
        for (lng, lat), (s_lng, s_lat) in zip(square()[0], stored, strict=True):
            assert abs(s_lng - lng) < 2e-7 and abs(s_lat - lat) < 2e-7

    async def test_top_level_crs_applies(self, client, auth, world: World):
        gcj_ring = [list(wgs84_to_gcj02(lng, lat)) for lng, lat in square()[0]]
        r = await self.post(client, auth, world, polygon([gcj_ring]), crs="gcj02")
        assert r.status_code == 201, r.text
        assert abs(r.json()["boundary"]["coordinates"][0][0][0] - FREE_W) < 2e-7


class TestListGrids:
    async def test_community_grids_with_staff(self, client, auth, world: World):
        admin = world.user(Role.community_admin, "s1c1")
        r = await client.get(f"{API}/grids", params={"community_id": world.communities[0].id},
                             headers=auth(admin))
        assert r.status_code == 200
        items = r.json()["items"]
        assert [g["id"] for g in items] == [world.grids[0].id, world.grids[1].id]
        for grid, key in zip(items, ("s1c1g1", "s1c1g2"), strict=True):
            assert grid["staff"] == {
                "head_user_id": world.user(Role.grid_head, key).id,
                "worker_user_ids": [world.user(Role.grid_worker, key).id],
                "instructor_user_ids": [world.user(Role.party_instructor, key).id],
            }

    async def test_grid_worker_sees_only_own_grid(self, client, auth, world: World):
        worker = world.user(Role.grid_worker, "s1c1g1")
        r = await client.get(f"{API}/grids", headers=auth(worker))
        assert r.status_code == 200
        assert [g["id"] for g in r.json()["items"]] == [world.grids[0].id]

    async def test_worker_in_grid_a_does_not_see_grid_b(self, client, auth, world: World):
        worker = world.user(Role.grid_worker, "s1c1g1")
        r = await client.get(f"{API}/grids", params={"community_id": world.communities[0].id},
                             headers=auth(worker))
        assert world.grids[1].id not in [g["id"] for g in r.json()["items"]]

    async def test_community_admin_does_not_see_other_community(self, client, auth,
                                                                  world: World):
        admin = world.user(Role.community_admin, "s1c1")
        r = await client.get(f"{API}/grids", params={"community_id": world.communities[1].id},
                             headers=auth(admin))
        assert r.status_code == 200
        assert r.json()["items"] == []

    async def test_street_filter(self, client, auth, world: World):
        admin = world.user(Role.district_admin)
        r = await client.get(f"{API}/grids", params={"street_id": world.streets[1].id},
                             headers=auth(admin))
        assert [g["id"] for g in r.json()["items"]] == [g.id for g in world.grids[4:]]

    async def test_pagination_walks_everything(self, client, auth, world: World):
        admin = world.user(Role.district_admin)
        seen, cursor = [], None
        while True:
            params = {"limit": 3, **({"cursor": cursor} if cursor else {})}
            r = await client.get(f"{API}/grids", params=params, headers=auth(admin))
            assert r.status_code == 200
            seen += [g["id"] for g in r.json()["items"]]
            cursor = r.json()["next_cursor"]
            if not cursor:
                break
        assert seen == [g.id for g in world.grids]

    async def test_statements_do_not_grow_with_page_size(self, client, auth, world: World,
                                                        statements):
        admin = world.user(Role.district_admin)
        counts = []
        for limit in (10, 100):
            with statements:
                r = await client.get(f"{API}/grids", params={"limit": limit},
                                     headers=auth(admin))
            assert r.status_code == 200
            assert len(r.json()["items"]) == 8
            counts.append(statements.count)
        assert counts[0] == counts[1] == 3  # principal + page + staff


class TestGetGrid:
    async def test_in_scope_with_etag(self, client, auth, world: World):
        worker = world.user(Role.grid_worker, "s1c1g1")
        r = await client.get(f"{API}/grids/{world.grids[0].id}", headers=auth(worker))
        assert r.status_code == 200
        body = r.json()
        assert r.headers["etag"] == f'"{body["version"]}"'
        assert body["branch_id"] == world.branches[0].id
        assert body["staff"]["head_user_id"] == world.user(Role.grid_head, "s1c1g1").id

    async def test_other_grid_is_404(self, client, auth, world: World):
        worker = world.user(Role.grid_worker, "s1c1g1")
        r = await client.get(f"{API}/grids/{world.grids[1].id}", headers=auth(worker))
        assert r.status_code == 404
        assert r.json()["code"] == "grid_not_found"

    async def test_missing_is_404(self, client, auth, world: World):
        r = await client.get(f"{API}/grids/999999", headers=auth(world.user(Role.district_admin)))
        assert r.status_code == 404

    async def test_member_without_grid_read_is_403(self, client, auth, world: World):
        member = world.user(Role.member, "s1c1")
        r = await client.get(f"{API}/grids/{world.grids[0].id}", headers=auth(member))
        assert r.status_code == 403


class TestUpdateGrid:
    async def test_stale_if_match_is_412(self, client, auth, world: World):
        admin = world.user(Role.community_admin, "s1c1")
        r = await client.patch(f"{API}/grids/{world.grids[0].id}", json={"name": "改名"},
                               headers=auth(admin, **{"If-Match": '"99"'}))
        assert r.status_code == 412
        assert r.json()["code"] == "version_mismatch"

    async def test_current_version_updates_and_bumps(self, client, auth, world: World):
        admin = world.user(Role.community_admin, "s1c1")
        url = f"{API}/grids/{world.grids[0].id}"
        etag = (await client.get(url, headers=auth(admin))).headers["etag"]
        r = await client.patch(url, json={"name": "改名", "code": "G-1"},
                               headers=auth(admin, **{"If-Match": etag}))
        assert r.status_code == 200, r.text
        body = r.json()
        assert (body["name"], body["code"]) == ("改名", "G-1")
        assert body["version"] == int(etag.strip('"')) + 1
        assert r.headers["etag"] == f'"{body["version"]}"'

    async def test_new_boundary_moves_locate(self, client, auth, world: World):
        admin = world.user(Role.community_admin, "s1c1")
        r = await client.patch(f"{API}/grids/{world.grids[0].id}",
                               json={"boundary": polygon()}, headers=auth(admin))
        assert r.status_code == 200, r.text
        found = await client.get(f"{API}/grids/locate",
                                 params={"lng": FREE_W + 0.005, "lat": FREE_S + 0.005},
                                 headers=auth(admin))
        assert found.status_code == 200
        assert found.json()["id"] == world.grids[0].id

    async def test_invalid_boundary_is_422(self, client, auth, world: World):
        admin = world.user(Role.community_admin, "s1c1")
        r = await client.patch(f"{API}/grids/{world.grids[0].id}",
                               json={"boundary": {"type": "Point", "coordinates": [114, 34]}},
                               headers=auth(admin))
        assert r.status_code == 422
        assert r.json()["code"] == "invalid_boundary"

    async def test_code_taken_is_409(self, client, auth, world: World):
        admin = world.user(Role.community_admin, "s1c1")
        await create_grid(client, auth, admin, world.communities[0], code="TAKEN")
        r = await client.patch(f"{API}/grids/{world.grids[0].id}", json={"code": "TAKEN"},
                               headers=auth(admin))
        assert r.status_code == 409
        assert r.json()["code"] == "grid_code_taken"

    async def test_code_taken_with_a_new_name_is_409(self, client, auth, world: World):
        # Renaming reads the grid's branch: that query must not flush the taken code first
        # (the fuzzer's PATCH {"code": "0", "name": "0"} was a 500).
        admin = world.user(Role.community_admin, "s1c1")
        await create_grid(client, auth, admin, world.communities[0], code="TAKEN2")
        r = await client.patch(f"{API}/grids/{world.grids[0].id}",
                               json={"code": "TAKEN2", "name": "新名字"}, headers=auth(admin))
        assert r.status_code == 409, r.text
        assert r.json()["code"] == "grid_code_taken"

    async def test_null_name_is_422(self, client, auth, world: World):
        admin = world.user(Role.community_admin, "s1c1")
        r = await client.patch(f"{API}/grids/{world.grids[0].id}", json={"name": None},
                               headers=auth(admin))
        assert r.status_code == 422

    async def test_grid_worker_is_403(self, client, auth, world: World):
        worker = world.user(Role.grid_worker, "s1c1g1")
        r = await client.patch(f"{API}/grids/{world.grids[0].id}", json={"name": "x"},
                               headers=auth(worker))
        assert r.status_code == 403


class TestPutStaff:
    async def test_replaces_staff_and_role_assignments(self, client, auth, world: World, db):
        admin = world.user(Role.community_admin, "s1c1")
        grid, branch = world.grids[0], world.branches[0]
        head, worker, instructor = await new_users(db, world.communities[0], "h1", "w1", "i1")
        r = await client.put(f"{API}/grids/{grid.id}/staff", headers=auth(admin),
                             json={"head_user_id": head.id, "worker_user_ids": [worker.id],
                                   "instructor_user_ids": [instructor.id]})
        assert r.status_code == 200, r.text
        staff = {"head_user_id": head.id, "worker_user_ids": [worker.id],
                 "instructor_user_ids": [instructor.id]}
        assert r.json() == staff
        assert (await client.get(f"{API}/grids/{grid.id}", headers=auth(admin))).json()[
            "staff"] == staff

        assert (Role.grid_head, branch.id) in await roles_of(client, auth, admin, head)
        assert (Role.grid_worker, branch.id) in await roles_of(client, auth, admin, worker)
        assert (Role.party_instructor, branch.id) in await roles_of(client, auth, admin,
                                                                    instructor)
        for role in (Role.grid_head, Role.grid_worker, Role.party_instructor):
            assert await roles_of(client, auth, admin, world.user(role, "s1c1g1")) == set()

    async def test_new_worker_sees_the_grid(self, client, auth, world: World, db):
        admin = world.user(Role.community_admin, "s1c1")
        (worker,) = await new_users(db, world.communities[0], "w2")
        r = await client.put(f"{API}/grids/{world.grids[0].id}/staff", headers=auth(admin),
                             json={"head_user_id": world.user(Role.grid_head, "s1c1g1").id,
                                   "worker_user_ids": [worker.id]})
        assert r.status_code == 200, r.text
        listed = await client.get(f"{API}/grids", headers=auth(worker))
        assert [g["id"] for g in listed.json()["items"]] == [world.grids[0].id]

    async def test_same_staff_again_keeps_assignments(self, client, auth, world: World):
        admin = world.user(Role.community_admin, "s1c1")
        head = world.user(Role.grid_head, "s1c1g1")
        before = await client.get(f"{API}/users/{head.id}", headers=auth(admin))
        body = {"head_user_id": head.id,
                "worker_user_ids": [world.user(Role.grid_worker, "s1c1g1").id],
                "instructor_user_ids": [world.user(Role.party_instructor, "s1c1g1").id]}
        for _ in range(2):
            r = await client.put(f"{API}/grids/{world.grids[0].id}/staff", headers=auth(admin),
                                 json=body)
            assert r.status_code == 200, r.text
            assert r.json() == body
        after = await client.get(f"{API}/users/{head.id}", headers=auth(admin))
        assert after.json()["roles"] == before.json()["roles"]

    async def test_worker_promoted_to_head(self, client, auth, world: World):
        admin = world.user(Role.community_admin, "s1c1")
        old_head = world.user(Role.grid_head, "s1c1g1")
        worker = world.user(Role.grid_worker, "s1c1g1")
        r = await client.put(f"{API}/grids/{world.grids[0].id}/staff", headers=auth(admin),
                             json={"head_user_id": worker.id, "worker_user_ids": [old_head.id]})
        assert r.status_code == 200, r.text
        branch = world.branches[0].id
        assert await roles_of(client, auth, admin, worker) == {(Role.grid_head, branch)}
        assert await roles_of(client, auth, admin, old_head) == {(Role.grid_worker, branch)}

    async def test_missing_head_is_422(self, client, auth, world: World):
        admin = world.user(Role.community_admin, "s1c1")
        r = await client.put(f"{API}/grids/{world.grids[0].id}/staff", headers=auth(admin),
                             json={"worker_user_ids": [world.user(Role.grid_worker, "s1c1g1").id]})
        assert r.status_code == 422

    async def test_no_workers_is_422(self, client, auth, world: World):
        admin = world.user(Role.community_admin, "s1c1")
        r = await client.put(f"{API}/grids/{world.grids[0].id}/staff", headers=auth(admin),
                             json={"head_user_id": world.user(Role.grid_head, "s1c1g1").id,
                                   "worker_user_ids": []})
        assert r.status_code == 422

    async def test_head_also_worker_is_422(self, client, auth, world: World):
        admin = world.user(Role.community_admin, "s1c1")
        head = world.user(Role.grid_head, "s1c1g1")
        r = await client.put(f"{API}/grids/{world.grids[0].id}/staff", headers=auth(admin),
                             json={"head_user_id": head.id, "worker_user_ids": [head.id]})
        assert r.status_code == 422
        assert r.json()["code"] == "grid_staff_duplicate"

    async def test_invisible_user_is_404_and_nothing_changes(self, client, auth, world: World):
        admin = world.user(Role.community_admin, "s1c1")
        stranger = world.user(Role.community_admin, "s2c1")
        r = await client.put(f"{API}/grids/{world.grids[0].id}/staff", headers=auth(admin),
                             json={"head_user_id": world.user(Role.grid_head, "s1c1g1").id,
                                   "worker_user_ids": [stranger.id]})
        assert r.status_code == 404
        assert r.json()["code"] == "user_not_found"
        old_worker = world.user(Role.grid_worker, "s1c1g1")
        assert await roles_of(client, auth, admin, old_worker) == {
            (Role.grid_worker, world.branches[0].id)}

    async def test_grid_worker_is_403(self, client, auth, world: World):
        worker = world.user(Role.grid_worker, "s1c1g1")
        r = await client.put(f"{API}/grids/{world.grids[0].id}/staff", headers=auth(worker),
                             json={"head_user_id": worker.id, "worker_user_ids": [worker.id + 1]})
        assert r.status_code == 403

    async def test_other_community_grid_is_404(self, client, auth, world: World):
        admin = world.user(Role.community_admin, "s1c2")
        r = await client.put(f"{API}/grids/{world.grids[0].id}/staff", headers=auth(admin),
                             json={"head_user_id": admin.id, "worker_user_ids": [admin.id + 1]})
        assert r.status_code == 404


class TestLocate:
    async def test_wgs84_point_in_grid(self, client, auth, world: World):
        lng, lat = centre_of(5)
        r = await client.get(f"{API}/grids/locate", params={"lng": lng, "lat": lat,
                                                            "crs": "wgs84"},
                             headers=auth(world.user(Role.district_admin)))
        assert r.status_code == 200, r.text
        assert r.json()["id"] == world.grids[5].id
        assert r.json()["staff"]["head_user_id"] == world.user(Role.grid_head, "s2c1g2").id

    async def test_gcj02_point_finds_same_grid(self, client, auth, world: World):
        lng, lat = wgs84_to_gcj02(*centre_of(5))
        r = await client.get(f"{API}/grids/locate", params={"lng": lng, "lat": lat,
                                                            "crs": "gcj02"},
                             headers=auth(world.user(Role.district_admin)))
        assert r.status_code == 200, r.text
        assert r.json()["id"] == world.grids[5].id

    async def test_gcj02_point_read_as_wgs84_misses(self, client, auth, world: World):
        # The offset here is ~0.006° east: the GCJ-02 point of grid 5's centre lies in the gap
        # after grid 5, so reading it as WGS-84 finds nothing.
        lng, lat = wgs84_to_gcj02(*centre_of(5))
        r = await client.get(f"{API}/grids/locate", params={"lng": lng, "lat": lat},
                             headers=auth(world.user(Role.district_admin)))
        assert r.status_code == 404

    async def test_point_in_no_grid_is_404(self, client, auth, world: World):
        r = await client.get(f"{API}/grids/locate", params={"lng": 113.815, "lat": 34.005},
                             headers=auth(world.user(Role.district_admin)))
        assert r.status_code == 404
        assert r.json()["code"] == "grid_not_located"

    async def test_grid_out_of_scope_is_404(self, client, auth, world: World):
        admin = world.user(Role.community_admin, "s1c1")
        lng, lat = centre_of(4)
        r = await client.get(f"{API}/grids/locate", params={"lng": lng, "lat": lat},
                             headers=auth(admin))
        assert r.status_code == 404
        assert r.json()["code"] == "grid_not_located"

    async def test_worker_does_not_locate_neighbour_grid(self, client, auth, world: World):
        worker = world.user(Role.grid_worker, "s1c1g1")
        lng, lat = centre_of(1)
        r = await client.get(f"{API}/grids/locate", params={"lng": lng, "lat": lat},
                             headers=auth(worker))
        assert r.status_code == 404

    async def test_created_gcj02_grid_is_located(self, client, auth, world: World):
        admin = world.user(Role.community_admin, "s1c1")
        gcj_ring = [list(wgs84_to_gcj02(lng, lat)) for lng, lat in square()[0]]
        grid = await create_grid(client, auth, admin, world.communities[0],
                                 boundary=polygon([gcj_ring], crs="gcj02"))
        lng, lat = wgs84_to_gcj02(FREE_W + 0.005, FREE_S + 0.005)
        r = await client.get(f"{API}/grids/locate", params={"lng": lng, "lat": lat,
                                                            "crs": "gcj02"},
                             headers=auth(admin))
        assert r.status_code == 200, r.text
        assert r.json()["id"] == grid["id"]


class TestDeleteGrid:
    async def test_removes_grid_branch_and_staff_roles(self, client, auth, world: World, db):
        admin = world.user(Role.community_admin, "s1c1")
        grid = await create_grid(client, auth, admin, world.communities[0],
                                 boundary=polygon())
        head, worker = await new_users(db, world.communities[0], "dh", "dw")
        staffed = await client.put(f"{API}/grids/{grid['id']}/staff", headers=auth(admin),
                                   json={"head_user_id": head.id, "worker_user_ids": [worker.id]})
        assert staffed.status_code == 200, staffed.text

        r = await client.delete(f"{API}/grids/{grid['id']}", headers=auth(admin))
        assert r.status_code == 204, r.text
        assert (await client.get(f"{API}/grids/{grid['id']}", headers=auth(admin))
                ).status_code == 404
        assert (await client.get(f"{API}/orgs/{grid['branch_id']}", headers=auth(admin))
                ).status_code == 404
        assert await roles_of(client, auth, admin, head) == set()
        assert await roles_of(client, auth, admin, worker) == set()
        located = await client.get(f"{API}/grids/locate",
                                   params={"lng": FREE_W + 0.005, "lat": FREE_S + 0.005},
                                   headers=auth(admin))
        assert located.status_code == 404

    async def test_branch_with_building_group_is_409(self, client, auth, world: World):
        admin = world.user(Role.community_admin, "s1c1")
        grid = await create_grid(client, auth, admin, world.communities[0])
        group = await client.post(f"{API}/orgs", headers=auth(admin),
                                  json={"parent_id": grid["branch_id"], "kind": "building_group",
                                        "name": "1号楼党小组"})
        assert group.status_code == 201, group.text
        r = await client.delete(f"{API}/grids/{grid['id']}", headers=auth(admin))
        assert r.status_code == 409
        assert r.json()["code"] == "org_not_empty"
        assert (await client.get(f"{API}/grids/{grid['id']}", headers=auth(admin))
                ).status_code == 200

    async def test_accounts_homed_on_the_branch_move_to_the_community(self, client, auth,
                                                                      world: World, db):
        admin = world.user(Role.community_admin, "s1c1")
        grid = await create_grid(client, auth, admin, world.communities[0])
        async with db.writing() as s:
            branch = await s.get(Org, grid["branch_id"])
        head, worker = await new_users(db, branch, "homed_head", "homed_worker")
        staffed = await client.put(f"{API}/grids/{grid['id']}/staff", headers=auth(admin),
                                   json={"head_user_id": head.id, "worker_user_ids": [worker.id]})
        assert staffed.status_code == 200, staffed.text
        r = await client.delete(f"{API}/grids/{grid['id']}", headers=auth(admin))
        assert r.status_code == 204, r.text
        got = await client.get(f"{API}/users/{worker.id}", headers=auth(admin))
        assert got.status_code == 200
        assert got.json()["org_id"] == world.communities[0].id
        assert got.json()["roles"] == []

    async def test_grid_with_cases_is_409(self, client, auth, world: World):
        admin = world.user(Role.community_admin, "s1c1")
        r = await client.delete(f"{API}/grids/{world.grids[0].id}", headers=auth(admin))
        assert r.status_code == 409 and r.json()["code"] == "org_not_empty"

    async def test_stale_if_match_is_412(self, client, auth, world: World):
        admin = world.user(Role.community_admin, "s1c1")
        grid = await create_grid(client, auth, admin, world.communities[0])
        r = await client.delete(f"{API}/grids/{grid['id']}",
                                headers=auth(admin, **{"If-Match": '"7"'}))
        assert r.status_code == 412

    async def test_grid_worker_is_403(self, client, auth, world: World):
        worker = world.user(Role.grid_worker, "s1c1g1")
        r = await client.delete(f"{API}/grids/{world.grids[0].id}", headers=auth(worker))
        assert r.status_code == 403

    async def test_other_community_is_404(self, client, auth, world: World):
        admin = world.user(Role.community_admin, "s1c2")
        r = await client.delete(f"{API}/grids/{world.grids[0].id}", headers=auth(admin))
        assert r.status_code == 404


class TestRenameGrid:
    async def test_branch_follows_the_grid_name(self, client, auth, world: World):
        admin = world.user(Role.community_admin, "s1c1")
        r = await client.patch(f"{API}/grids/{world.grids[0].id}", headers=auth(admin),
                               json={"name": "幸福第一网格"})
        assert r.status_code == 200, r.text
        branch = await client.get(f"{API}/orgs/{world.branches[0].id}", headers=auth(admin))
        assert branch.json()["name"] == "幸福第一网格党支部"


class TestCrsOfResponses:
    """Boundaries are stored in WGS-84 and answered in the `crs` asked for: a mini-program map
    draws GCJ-02, and the same polygon in WGS-84 sits some hundreds of metres off there."""

    async def _grid(self, client: Any, auth: Any, world: World) -> dict[str, Any]:
        return await create_grid(client, auth, world.user(Role.community_admin, "s1c1"),
                                 world.communities[0], boundary=polygon())

    async def test_one_point_of_the_boundary_in_both(self, client, auth, world: World):
        grid = await self._grid(client, auth, world)
        admin = auth(world.user(Role.community_admin, "s1c1"))
        wgs = await client.get(f"{API}/grids/{grid['id']}", headers=admin)
        gcj = await client.get(f"{API}/grids/{grid['id']}", params={"crs": "gcj02"},
                               headers=admin)
        assert (wgs.json()["crs"], gcj.json()["crs"]) == ("wgs84", "gcj02")
        w = wgs.json()["boundary"]["coordinates"][0][0]
        g = gcj.json()["boundary"]["coordinates"][0][0]
        assert w == [FREE_W, FREE_S]
        want = wgs84_to_gcj02(FREE_W, FREE_S)
        assert abs(g[0] - want[0]) < 2e-7 and abs(g[1] - want[1]) < 2e-7
        # Hundreds of metres apart, and back to the stored point within a centimetre.
        assert abs(g[0] - w[0]) > 0.003
        back = gcj02_to_wgs84(g[0], g[1])
        assert abs(back[0] - FREE_W) < 2e-7 and abs(back[1] - FREE_S) < 2e-7
        rings = gcj.json()["boundary"]["coordinates"]
        assert rings[0][0] == rings[0][-1] and len(rings[0]) == 5

    async def test_list_and_locate_answer_in_the_crs_asked(self, client, auth, world: World):
        grid = await self._grid(client, auth, world)
        admin = auth(world.user(Role.community_admin, "s1c1"))
        page = await client.get(f"{API}/grids", params={"crs": "gcj02", "limit": 100},
                                headers=admin)
        [listed] = [g for g in page.json()["items"] if g["id"] == grid["id"]]
        lng, lat = wgs84_to_gcj02(FREE_W + 0.005, FREE_S + 0.005)
        found = await client.get(f"{API}/grids/locate", headers=admin,
                                 params={"lng": lng, "lat": lat, "crs": "gcj02"})
        assert found.json()["id"] == grid["id"]
        for read in (listed, found.json()):
            assert read["crs"] == "gcj02"
            first = read["boundary"]["coordinates"][0][0]
            assert abs(first[0] - wgs84_to_gcj02(FREE_W, FREE_S)[0]) < 2e-7

    async def test_default_is_wgs84(self, client, auth, world: World):
        grid = await self._grid(client, auth, world)
        assert grid["crs"] == "wgs84" and grid["boundary"] == polygon()

    async def test_grid_without_boundary(self, client, auth, world: World):
        r = await client.get(f"{API}/grids/{world.grids[0].id}", params={"crs": "gcj02"},
                             headers=auth(world.user(Role.district_admin)))
        assert r.status_code == 200 and r.json()["crs"] == "gcj02"

    async def test_unknown_crs_is_422_not_ignored(self, client, auth, world: World):
        headers = auth(world.user(Role.district_admin))
        for path in (f"/grids/{world.grids[0].id}", "/grids", "/buildings"):
            r = await client.get(f"{API}{path}", params={"crs": "bd09"}, headers=headers)
            assert r.status_code == 422, (path, r.text)
            assert r.json()["errors"][0]["field"] == "crs"
