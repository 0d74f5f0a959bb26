"""The patrols API: starting one (one running per worker, offline de-duplication), reading one with
its track, and lists. Fixes, ending and linked cases are in test_points.py; the track's arithmetic
in test_track.py."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from app.core.geo import wgs84_to_gcj02
from app.core.permissions import Role
from app.core.types import utcnow
from app.models import Patrol
from app.patrols import repository
from tests.factories import World, make_patrol
from tests.patrols.helpers import (
    API,
    PATROLS,
    ago,
    detail,
    end,
    fields,
    fix,
    grid_index,
    send,
    start,
    walk,
    west_edge,
)


async def count_patrols(db: Any, **where: Any) -> int:
    async with db.writing() as s:
        return int(await s.scalar(select(func.count()).select_from(Patrol).filter_by(**where))
                   or 0)


async def list_ids(client: Any, auth: Any, user: Any, **params: Any) -> list[int]:
    r = await client.get(PATROLS, headers=auth(user), params={"limit": 100, **params})
    assert r.status_code == 200, r.text
    return [p["id"] for p in r.json()["items"]]


class TestStartPatrol:
    async def test_worker_starts_in_own_grid(self, client, auth, world: World):
        worker = world.user(Role.grid_worker, "s1c1g1")
        r = await client.post(PATROLS, headers=auth(worker),
                              json={"grid_id": world.grids[0].id, "notes": "晚间巡查"})
        assert r.status_code == 201, r.text
        p = r.json()
        assert (p["status"], p["worker_id"], p["grid_id"]) == ("running", worker.id,
                                                               world.grids[0].id)
        assert (p["community_id"], p["street_id"]) == (world.communities[0].id,
                                                       world.streets[0].id)
        assert p["org_path"] == world.grids[0].org_path
        assert (p["ended_at"], p["duration_s"], p["distance_m"], p["point_count"]) == (
            None, None, 0.0, 0)
        assert (p["notes"], p["case_ids"], p["auto_ended"]) == ("晚间巡查", [], False)
        assert utcnow() - datetime.fromisoformat(p["started_at"]) < timedelta(minutes=1)
        assert r.headers["etag"] == f'"{p["version"]}"'

    async def test_grid_head_patrols_too(self, client, auth, world: World):
        p = await start(client, auth, world, who=world.user(Role.grid_head, "s1c1g1"))
        assert p["worker_id"] == world.user(Role.grid_head, "s1c1g1").id

    async def test_offline_start_keeps_its_time(self, client, auth, world: World):
        began = ago(hours=3)
        p = await start(client, auth, world, started_at=began.isoformat())
        assert datetime.fromisoformat(p["started_at"]) == began

    async def test_start_in_the_future_is_422(self, client, auth, world: World):
        r = await client.post(PATROLS, headers=auth(world.user(Role.grid_worker, "s1c1g1")),
                              json={"grid_id": world.grids[0].id,
                                    "started_at": (utcnow() + timedelta(hours=1)).isoformat()})
        assert r.status_code == 422
        assert fields(r) == ["started_at"]

    async def test_start_more_than_a_week_ago_is_422(self, client, auth, world: World):
        r = await client.post(PATROLS, headers=auth(world.user(Role.grid_worker, "s1c1g1")),
                              json={"grid_id": world.grids[0].id,
                                    "started_at": ago(days=8).isoformat()})
        assert r.status_code == 422
        assert fields(r) == ["started_at"]

    async def test_time_without_offset_is_422(self, client, auth, world: World):
        r = await client.post(PATROLS, headers=auth(world.user(Role.grid_worker, "s1c1g1")),
                              json={"grid_id": world.grids[0].id,
                                    "started_at": "2026-11-27T08:00:00"})
        assert r.status_code == 422
        assert r.json()["errors"][0]["field"] == "started_at"
        assert r.json()["errors"][0]["type"] == "timezone_aware"

    async def test_unknown_grid_is_422(self, client, auth, world: World):
        r = await client.post(PATROLS, headers=auth(world.user(Role.grid_worker, "s1c1g1")),
                              json={"grid_id": 2_000_000_000})
        assert r.status_code == 422
        assert fields(r) == ["grid_id"]

    async def test_grid_out_of_sight_reads_as_unknown(self, client, auth, world: World):
        worker = world.user(Role.grid_worker, "s1c1g1")
        outside = await client.post(PATROLS, headers=auth(worker),
                                    json={"grid_id": world.grids[grid_index("s2c1g1")].id})
        missing = await client.post(PATROLS, headers=auth(worker),
                                    json={"grid_id": 2_000_000_000})
        assert outside.status_code == missing.status_code == 422
        assert outside.json() == missing.json()

    async def test_community_admin_is_not_grid_staff(self, client, auth, world: World):
        r = await client.post(PATROLS, headers=auth(world.user(Role.community_admin, "s1c1")),
                              json={"grid_id": world.grids[0].id})
        assert r.status_code == 403
        assert r.json()["code"] == "patrol_not_grid_staff"

    async def test_party_instructor_cannot_patrol(self, client, auth, world: World):
        r = await client.post(PATROLS, headers=auth(world.user(Role.party_instructor, "s1c1g1")),
                              json={"grid_id": world.grids[0].id})
        assert r.status_code == 403

    async def test_notes_too_long_is_422(self, client, auth, world: World):
        r = await client.post(PATROLS, headers=auth(world.user(Role.grid_worker, "s1c1g1")),
                              json={"grid_id": world.grids[0].id, "notes": "巡" * 2001})
        assert r.status_code == 422
        assert fields(r) == ["notes"]

    async def test_unknown_field_is_422(self, client, auth, world: World):
        r = await client.post(PATROLS, headers=auth(world.user(Role.grid_worker, "s1c1g1")),
                              json={"grid_id": world.grids[0].id, "worker_id": 1})
        assert r.status_code == 422
        assert fields(r) == ["worker_id"]

    async def test_english_on_request(self, client, auth, world: World):
        r = await client.post(PATROLS, headers=auth(world.user(Role.grid_worker, "s1c1g1"),
                                                    **{"Accept-Language": "en"}),
                              json={"grid_id": 2_000_000_000})
        assert r.json()["errors"][0]["message"] == "No such grid"


class TestOneRunningPatrol:
    async def test_second_start_is_409_and_points_at_the_first(self, client, auth,
                                                               world: World):
        first = await start(client, auth, world)
        r = await client.post(PATROLS, headers=auth(world.user(Role.grid_worker, "s1c1g1")),
                              json={"grid_id": world.grids[0].id})
        assert r.status_code == 409
        assert r.json()["code"] == "patrol_already_running"
        assert r.headers["location"] == f"{PATROLS}/{first['id']}"

    async def test_others_may_run_theirs_at_the_same_time(self, client, auth, world: World):
        await start(client, auth, world)
        await start(client, auth, world, who=world.user(Role.grid_head, "s1c1g1"))

    async def test_after_ending_a_new_one_starts(self, client, auth, world: World):
        worker = world.user(Role.grid_worker, "s1c1g1")
        first = await start(client, auth, world)
        await end(client, auth, worker, first["id"])
        second = await start(client, auth, world)
        assert second["id"] != first["id"]

    async def test_a_patrol_quiet_for_12_hours_is_ended_for_the_next(self, client, auth,
                                                                     world: World):
        worker = world.user(Role.grid_worker, "s1c1g1")
        began = ago(hours=14)
        old = await start(client, auth, world, started_at=began.isoformat())
        last = began + timedelta(minutes=40)
        await send(client, auth, worker, old["id"], [fix(last, west_edge("s1c1g1"))])
        new = await start(client, auth, world)
        old = await detail(client, auth, worker, old["id"])
        assert (old["status"], old["auto_ended"]) == ("ended", True)
        assert datetime.fromisoformat(old["ended_at"]) == last
        assert new["status"] == "running"

    async def test_a_recent_one_is_not_ended(self, client, auth, world: World):
        old = await start(client, auth, world, started_at=ago(hours=11).isoformat())
        await start(client, auth, world, expect=409)
        again = await detail(client, auth, world.user(Role.grid_worker, "s1c1g1"), old["id"])
        assert again["status"] == "running"

    async def test_concurrent_starts_leave_one_running(self, client, auth, world: World, db,
                                                       monkeypatch):
        # A second phone passed the "anything running?" check before the first start committed:
        # the database's unique running slot refuses it.
        first = await start(client, auth, world)
        real = repository.running_of
        calls: list[int] = []

        async def too_early(session, worker_id):
            calls.append(worker_id)
            return None if len(calls) == 1 else await real(session, worker_id)

        monkeypatch.setattr(repository, "running_of", too_early)
        r = await client.post(PATROLS, headers=auth(world.user(Role.grid_worker, "s1c1g1")),
                              json={"grid_id": world.grids[0].id})
        assert r.status_code == 409, r.text
        assert r.headers["location"] == f"{PATROLS}/{first['id']}"
        assert await count_patrols(db, status="running", worker_id=first["worker_id"]) == 1


class TestOfflineAndRetries:
    async def test_idempotency_key_replays_the_first_response(self, client, auth,
                                                              world: World, db):
        headers = auth(world.user(Role.grid_worker, "s1c1g1"),
                       **{"Idempotency-Key": "patrol-start-1"})
        body = {"grid_id": world.grids[0].id, "notes": "幂等"}
        first = await client.post(PATROLS, headers=headers, json=body)
        again = await client.post(PATROLS, headers=headers, json=body)
        assert (first.status_code, again.status_code) == (201, 201)
        assert again.headers["idempotent-replayed"] == "true"
        assert again.json() == first.json()
        assert await count_patrols(db, notes="幂等") == 1

    async def test_same_key_with_another_body_is_422(self, client, auth, world: World):
        headers = auth(world.user(Role.grid_worker, "s1c1g1"),
                       **{"Idempotency-Key": "patrol-start-2"})
        await client.post(PATROLS, headers=headers, json={"grid_id": world.grids[0].id})
        r = await client.post(PATROLS, headers=headers,
                              json={"grid_id": world.grids[0].id, "notes": "别的"})
        assert r.status_code == 422
        assert r.json()["code"] == "idempotency_key_reused"

    async def test_same_client_ref_returns_the_first_patrol(self, client, auth, world: World,
                                                            db):
        # Retrying an offline start must not trip over the patrol it started.
        first = await start(client, auth, world, client_ref="ptl-offline-1")
        again = await start(client, auth, world, client_ref="ptl-offline-1", expect=200,
                            notes="重试")
        assert again["id"] == first["id"] and again["notes"] is None
        assert await count_patrols(db, client_ref="ptl-offline-1") == 1

    async def test_client_ref_is_per_worker(self, client, auth, world: World):
        a = await start(client, auth, world, client_ref="same-ref")
        b = await start(client, auth, world, who=world.user(Role.grid_head, "s1c1g1"),
                        client_ref="same-ref")
        assert a["id"] != b["id"]

    async def test_client_ref_race_returns_the_winner(self, client, auth, world: World, db,
                                                      monkeypatch):
        first = await start(client, auth, world, client_ref="racing-ref")
        await end(client, auth, world.user(Role.grid_worker, "s1c1g1"), first["id"])
        real = repository.by_client_ref
        calls: list[str] = []

        async def too_early(session, worker_id, client_ref):
            calls.append(client_ref)
            return None if len(calls) == 1 else await real(session, worker_id, client_ref)

        monkeypatch.setattr(repository, "by_client_ref", too_early)
        again = await start(client, auth, world, client_ref="racing-ref", expect=200)
        assert again["id"] == first["id"]
        assert len(calls) == 2
        assert await count_patrols(db, client_ref="racing-ref") == 1


class TestGetPatrol:
    async def test_the_track_in_time_order_with_its_cases(self, client, auth, world: World):
        patrol = world.patrols[0]
        p = await detail(client, auth, world.user(Role.grid_worker, "s1c1g1"), patrol.id)
        assert (p["status"], p["point_count"], len(p["track"])) == ("ended", 31, 31)
        times = [datetime.fromisoformat(t["at"]) for t in p["track"]]
        assert times == sorted(times) and times[0] == patrol.started_at
        assert p["case_ids"] == [world.cases[0].id]
        assert (p["crs"], p["simplified"], p["duration_s"]) == ("wgs84", False, 30 * 60)
        assert p["distance_m"] == patrol.distance_m
        assert 900 < p["distance_m"] < 940  # 0.01° of longitude at 34°N

    async def test_simplified_track_keeps_the_ends(self, client, auth, world: World):
        # The world's patrol walks a straight line: two fixes draw it.
        p = await detail(client, auth, world.user(Role.grid_worker, "s1c1g1"),
                         world.patrols[0].id, simplify_m=5)
        assert (p["simplified"], len(p["track"]), p["point_count"]) == (True, 2, 31)

    async def test_track_in_gcj02_for_wechat_maps(self, client, auth, world: World):
        user = world.user(Role.grid_worker, "s1c1g1")
        wgs = await detail(client, auth, user, world.patrols[0].id)
        gcj = await detail(client, auth, user, world.patrols[0].id, crs="gcj02")
        expected = wgs84_to_gcj02(wgs["track"][0]["lng"], wgs["track"][0]["lat"])
        assert gcj["crs"] == "gcj02"
        assert (gcj["track"][0]["lng"], gcj["track"][0]["lat"]) == expected

    async def test_command_operator_and_auditor_read(self, client, auth, world: World):
        for role in (Role.command_operator, Role.auditor):
            await detail(client, auth, world.user(role), world.patrols[5].id)

    async def test_grid_head_reads_the_grids_patrols(self, client, auth, world: World):
        await detail(client, auth, world.user(Role.grid_head, "s1c1g1"), world.patrols[0].id)

    async def test_instructor_of_the_grid_is_403(self, client, auth, world: World):
        r = await client.get(f"{PATROLS}/{world.patrols[0].id}",
                             headers=auth(world.user(Role.party_instructor, "s1c1g1")))
        assert r.status_code == 403

    async def test_worker_of_another_grid_is_404(self, client, auth, world: World):
        r = await client.get(f"{PATROLS}/{world.patrols[1].id}",
                             headers=auth(world.user(Role.grid_worker, "s1c1g1")))
        assert r.status_code == 404
        assert r.json()["code"] == "patrol_not_found"

    async def test_simplify_out_of_range_is_422(self, client, auth, world: World):
        r = await client.get(f"{PATROLS}/{world.patrols[0].id}", params={"simplify_m": 1000},
                             headers=auth(world.user(Role.grid_worker, "s1c1g1")))
        assert r.status_code == 422
        assert fields(r) == ["simplify_m"]


class TestListPatrols:
    async def test_worker_of_grid_a_does_not_see_grid_b(self, client, auth, world: World):
        mine = await start(client, auth, world, "s1c1g1")
        theirs = await start(client, auth, world, "s1c1g2")
        a = await list_ids(client, auth, world.user(Role.grid_worker, "s1c1g1"))
        b = await list_ids(client, auth, world.user(Role.grid_worker, "s1c1g2"))
        assert a == [mine["id"], world.patrols[0].id]
        assert b == [theirs["id"], world.patrols[1].id]

    async def test_community_admin_sees_the_community(self, client, auth, world: World):
        ids = await list_ids(client, auth, world.user(Role.community_admin, "s1c2"))
        assert set(ids) == {world.patrols[2].id, world.patrols[3].id}

    async def test_member_sees_none(self, client, auth, world: World):
        assert await list_ids(client, auth, world.user(Role.member, "s1c1")) == []

    async def test_newest_first_across_pages(self, client, auth, world: World):
        admin = world.user(Role.district_admin)
        seen: list[int] = []
        cursor = None
        while True:
            params: dict[str, Any] = {"limit": 3, **({"cursor": cursor} if cursor else {})}
            page = (await client.get(PATROLS, headers=auth(admin), params=params)).json()
            seen += [p["id"] for p in page["items"]]
            cursor = page["next_cursor"]
            if not cursor:
                break
        assert seen == sorted((p.id for p in world.patrols), reverse=True)

    async def test_running_ones_of_a_worker(self, client, auth, world: World):
        worker = world.user(Role.grid_worker, "s1c1g1")
        running = await start(client, auth, world)
        ids = await list_ids(client, auth, worker, worker_id=worker.id, status="running")
        assert ids == [running["id"]]

    async def test_filter_by_grid_and_community(self, client, auth, world: World):
        admin = world.user(Role.district_admin)
        assert await list_ids(client, auth, admin, grid_id=world.grids[3].id) == [
            world.patrols[3].id]
        ids = await list_ids(client, auth, admin, community_id=world.communities[2].id)
        assert set(ids) == {world.patrols[4].id, world.patrols[5].id}

    async def test_filter_by_start_time(self, client, auth, world: World, db):
        grid, worker = world.grids[0], world.user(Role.grid_worker, "s1c1g1")
        async with db.writing() as s:
            old = await make_patrol(s, grid, worker, ago=timedelta(days=3))
            await s.commit()
        admin = world.user(Role.district_admin)
        window = {"from": ago(days=4).isoformat(), "to": ago(days=2).isoformat()}
        assert await list_ids(client, auth, admin, **window) == [old.id]
        recent = await list_ids(client, auth, admin, grid_id=grid.id,
                                **{"from": ago(days=1).isoformat()})
        assert recent == [world.patrols[0].id]

    async def test_from_without_offset_is_422(self, client, auth, world: World):
        r = await client.get(PATROLS, params={"from": "2026-11-01T00:00:00"},
                             headers=auth(world.user(Role.district_admin)))
        assert r.status_code == 422
        assert fields(r) == ["from"]

    async def test_unknown_status_is_422(self, client, auth, world: World):
        r = await client.get(PATROLS, params={"status": "paused"},
                             headers=auth(world.user(Role.district_admin)))
        assert r.status_code == 422
        assert fields(r) == ["status"]

    async def test_items_carry_no_track(self, client, auth, world: World):
        r = await client.get(PATROLS, headers=auth(world.user(Role.grid_worker, "s1c1g1")))
        item = r.json()["items"][0]
        assert "track" not in item
        assert item["case_ids"] == [world.cases[0].id]

    async def test_statements_do_not_grow_with_page_size(self, client, auth, world: World,
                                                        statements):
        admin = world.user(Role.district_admin)
        counts = []
        for limit in (2, 100):
            with statements:
                r = await client.get(PATROLS, params={"limit": limit}, headers=auth(admin))
            assert r.status_code == 200 and len(r.json()["items"]) == min(limit, 8)
            counts.append(statements.count)
        assert counts[0] == counts[1] == 3  # principal + page + the page's linked cases


class TestDetailStatements:
    async def test_detail_is_a_fixed_number_of_statements(self, client, auth, world: World,
                                                          statements):
        user = world.user(Role.grid_worker, "s1c1g1")
        with statements:
            await detail(client, auth, user, world.patrols[0].id)
        assert statements.count == 4  # principal + patrol + linked cases + track


class TestOrgMove:
    async def test_moving_a_community_carries_its_patrols(self, client, auth, world: World):
        admin = world.user(Role.district_admin)
        community, street = world.communities[0], world.streets[1]
        r = await client.post(f"{API}/orgs/{community.id}/move", headers=auth(admin),
                              json={"new_parent_id": street.id})
        assert r.status_code == 200, r.text
        p = await detail(client, auth, admin, world.patrols[0].id)
        assert p["org_path"].startswith(street.path)
        assert p["street_id"] == street.id
        # …and the worker of the moved grid still finds and continues their patrols there.
        worker = world.user(Role.grid_worker, "s1c1g1")
        running = await start(client, auth, world)
        await send(client, auth, worker, running["id"], walk(ago(minutes=20), n=2))
