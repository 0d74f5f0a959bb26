"""Key-task lists: create and split, responsible units, If-Match, delete, scope, and the tasks
a responsible unit's staff reach outside their subtree (GET /tasks/assigned)."""

from __future__ import annotations

from app.core.permissions import Role
from tests.factories import World
from tests.tasks.helpers import (
    TASKS,
    admin,
    call,
    community_admin,
    district_task,
    report,
    street_admin,
)


async def ids(client, auth, user, path: str = "/tasks", **params) -> list[int]:
    page = await call(client, auth, user, "GET", path, expect=200, params={"limit": 100, **params})
    return [t["id"] for t in page["items"]]


class TestCreate:
    async def test_district_task_with_streets_and_a_unit(self, client, auth, world: World):
        body = {
            "org_id": world.root.id,
            "year": 2026,
            "content": "党群服务中心提质",
            "lead_unit_id": world.units[0].id,
            "deadline": "2026-06-30",
            "responsibles": [
                {"org_id": world.streets[0].id},
                {"unit_id": world.units[0].id},
                {"org_id": world.streets[0].id},
            ],
        }
        r = await client.post(TASKS, headers=auth(admin(world)), json=body)
        assert r.status_code == 201, r.text
        task = r.json()
        assert r.headers["ETag"] == f'"{task["version"]}"'
        assert [(x["org_id"], x["unit_id"]) for x in task["responsibles"]] == [
            (world.streets[0].id, None),
            (None, world.units[0].id),
        ]
        assert task["status"] == "in_progress" and task["org_path"] == world.root.path

    async def test_street_splits_a_district_task(self, client, auth, world: World):
        parent = await district_task(client, auth, world)
        body = {
            "org_id": world.streets[0].id,
            "year": 2026,
            "parent_id": parent["id"],
            "content": "街道分解：红色物业",
            "responsibles": [
                {"org_id": world.communities[0].id},
                {"org_id": world.communities[1].id},
            ],
        }
        child = await call(
            client, auth, street_admin(world), "POST", "/tasks", expect=201, json=body
        )
        assert child["parent_id"] == parent["id"]
        listed = await ids(client, auth, street_admin(world), parent_id=parent["id"])
        assert listed == [child["id"]]

    async def test_parent_must_sit_above(self, client, auth, world: World):
        other = world.tasks[1]  # s1c2's task: not above s1c1
        body = {
            "org_id": world.communities[0].id,
            "year": 2026,
            "parent_id": other.id,
            "content": "x",
        }
        r = await client.post(TASKS, headers=auth(community_admin(world)), json=body)
        assert r.status_code == 422 and r.json()["errors"][0]["field"] == "parent_id"

    async def test_responsible_outside_the_subtree_is_422(self, client, auth, world: World):
        body = {
            "org_id": world.communities[0].id,
            "year": 2026,
            "content": "x",
            "responsibles": [{"org_id": world.communities[1].id}],
        }
        r = await client.post(TASKS, headers=auth(community_admin(world)), json=body)
        assert r.status_code == 422 and r.json()["errors"][0]["field"] == "responsibles.0"

    async def test_org_outside_scope_reads_as_missing_in_english(self, client, auth, world: World):
        body = {"org_id": world.communities[2].id, "year": 2026, "content": "x"}
        r = await client.post(
            TASKS, headers=auth(community_admin(world), **{"Accept-Language": "en"}), json=body
        )
        assert r.status_code == 422
        assert r.json()["errors"][0]["field"] == "org_id"
        assert "organisation" in r.text

    async def test_both_or_neither_kind_of_responsible_is_422(self, client, auth, world: World):
        body = {
            "org_id": world.root.id,
            "year": 2026,
            "content": "x",
            "responsibles": [{"org_id": world.streets[0].id, "unit_id": world.units[0].id}],
        }
        r = await client.post(TASKS, headers=auth(admin(world)), json=body)
        assert r.status_code == 422

    async def test_blank_content_is_422(self, client, auth, world: World):
        body = {"org_id": world.root.id, "year": 2026, "content": "   "}
        r = await client.post(TASKS, headers=auth(admin(world)), json=body)
        assert r.status_code == 422

    async def test_grid_worker_may_not_write(self, client, auth, world: World):
        body = {"org_id": world.communities[0].id, "year": 2026, "content": "x"}
        r = await client.post(
            TASKS, headers=auth(world.user(Role.grid_worker, "s1c1g1")), json=body
        )
        assert r.status_code == 422  # the community is above the worker's grid: not visible

    async def test_idempotency_key_replays(self, client, auth, world: World):
        body = {"org_id": world.root.id, "year": 2026, "content": "一次"}
        h = auth(admin(world), **{"Idempotency-Key": "task-once"})
        first = await client.post(TASKS, headers=h, json=body)
        again = await client.post(TASKS, headers=h, json=body)
        assert first.status_code == again.status_code == 201
        assert first.json()["id"] == again.json()["id"]


class TestUpdate:
    async def test_if_match_stale_is_412_fresh_is_200(self, client, auth, world: World):
        task = await district_task(client, auth, world)
        url = f"/tasks/{task['id']}"
        await call(
            client,
            auth,
            admin(world),
            "PATCH",
            url,
            expect=412,
            json={"status": "done"},
            **{"If-Match": '"99"'},
        )
        done = await call(
            client,
            auth,
            admin(world),
            "PATCH",
            url,
            expect=200,
            json={"status": "done"},
            **{"If-Match": f'"{task["version"]}"'},
        )
        assert done["status"] == "done" and done["version"] == task["version"] + 1

    async def test_replacing_responsibles_keeps_those_that_stay(self, client, auth, world: World):
        task = await district_task(client, auth, world)
        kept = task["responsibles"][0]
        updated = await call(
            client,
            auth,
            admin(world),
            "PATCH",
            f"/tasks/{task['id']}",
            expect=200,
            json={"responsibles": [{"org_id": world.streets[0].id}]},
        )
        assert [r["id"] for r in updated["responsibles"]] == [kept["id"]]
        assert updated["version"] == task["version"] + 1

    async def test_null_content_is_422(self, client, auth, world: World):
        task = await district_task(client, auth, world)
        await call(
            client,
            auth,
            admin(world),
            "PATCH",
            f"/tasks/{task['id']}",
            expect=422,
            json={"content": None},
        )


class TestDelete:
    async def test_task_with_reports_is_409_without_is_204(self, client, auth, world: World):
        r = await client.delete(f"{TASKS}/{world.tasks[0].id}", headers=auth(admin(world)))
        assert r.status_code == 409 and r.json()["code"] == "task_has_children"
        task = await district_task(client, auth, world)
        r = await client.delete(f"{TASKS}/{task['id']}", headers=auth(admin(world)))
        assert r.status_code == 204
        r = await client.get(f"{TASKS}/{task['id']}", headers=auth(admin(world)))
        assert r.status_code == 404


class TestScope:
    async def test_community_does_not_see_its_neighbours_tasks(self, client, auth, world: World):
        mine = await ids(client, auth, community_admin(world, "s1c1"))
        assert world.tasks[0].id in mine and world.tasks[1].id not in mine
        r = await client.get(
            f"{TASKS}/{world.tasks[1].id}", headers=auth(community_admin(world, "s1c1"))
        )
        assert r.status_code == 404 and r.json()["code"] == "task_not_found"

    async def test_street_sees_its_communities_tasks_only(self, client, auth, world: World):
        listed = await ids(client, auth, street_admin(world, "s1"))
        assert {world.tasks[0].id, world.tasks[1].id} <= set(listed)
        assert not {world.tasks[2].id, world.tasks[3].id} & set(listed)


class TestAssigned:
    async def test_responsible_street_reaches_the_district_task(self, client, auth, world: World):
        task = await district_task(client, auth, world, streets=(0,))
        s1, s2 = street_admin(world, "s1"), street_admin(world, "s2")
        assert task["id"] not in await ids(client, auth, s1)  # not in its subtree ...
        assert task["id"] in await ids(client, auth, s1, "/tasks/assigned")  # ... but its job
        await call(client, auth, s1, "GET", f"/tasks/{task['id']}", expect=200)
        # The other street is not named: it neither lists nor reaches the task.
        assert task["id"] not in await ids(client, auth, s2, "/tasks/assigned")
        await call(client, auth, s2, "GET", f"/tasks/{task['id']}", expect=404)

    async def test_assigned_lists_only_the_callers_units(self, client, auth, world: World):
        listed = await ids(client, auth, community_admin(world, "s1c1"), "/tasks/assigned")
        assert listed == [world.tasks[0].id]

    async def test_reporting_makes_the_delete_conflict(self, client, auth, world: World):
        task = await district_task(client, auth, world, streets=(0,))
        await report(client, auth, street_admin(world), task, world.streets[0].id, "2026-W40", 10)
        r = await client.delete(f"{TASKS}/{task['id']}", headers=auth(admin(world)))
        assert r.status_code == 409
