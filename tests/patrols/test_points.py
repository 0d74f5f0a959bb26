"""A patrol's life after the start: fixes uploaded in batches (weak network, retries, late
batches), ending it, and linking the cases raised on the way. Only its worker may do any of it."""

from __future__ import annotations

from datetime import datetime, timedelta
from itertools import pairwise

from app.core.geo import haversine_m, wgs84_to_gcj02
from app.core.permissions import Role
from app.core.types import utcnow
from app.patrols import service
from app.patrols.schemas import MAX_BATCH
from tests.cases.helpers import report
from tests.factories import World, make_patrol
from tests.patrols.helpers import (
    PATROLS,
    ago,
    detail,
    end,
    fields,
    fix,
    send,
    start,
    walk,
    west_edge,
)


def worker_of(world: World, key: str = "s1c1g1"):
    return world.user(Role.grid_worker, key)


class TestAddPoints:
    async def test_a_batch_is_stored_in_time_order(self, client, auth, world: World):
        p = await start(client, auth, world)
        points = walk(ago(minutes=20), n=4)
        shuffled = [points[2], points[0], points[3], points[1]]
        after = await send(client, auth, worker_of(world), p["id"], shuffled)
        assert after["point_count"] == 4
        assert datetime.fromisoformat(after["last_point_at"]) == datetime.fromisoformat(
            points[3]["at"])
        track = (await detail(client, auth, worker_of(world), p["id"]))["track"]
        assert [t["lng"] for t in track] == [pt["lng"] for pt in points]

    async def test_distance_follows_the_track(self, client, auth, world: World):
        p = await start(client, auth, world)
        points = walk(ago(minutes=20), n=5)
        after = await send(client, auth, worker_of(world), p["id"], points)
        expected = sum(haversine_m(a["lng"], a["lat"], b["lng"], b["lat"])
                       for a, b in pairwise(points))
        assert after["distance_m"] == round(expected, 1)
        assert 360 < after["distance_m"] < 380  # 4 × 0.001° of longitude at 34°N

    async def test_gcj02_fixes_are_stored_as_wgs84(self, client, auth, world: World):
        p = await start(client, auth, world)
        wgs = (west_edge("s1c1g1") + 0.004, 34.005)
        g_lng, g_lat = wgs84_to_gcj02(*wgs)
        await send(client, auth, worker_of(world), p["id"],
                   [fix(ago(minutes=5), g_lng, g_lat)], crs="gcj02")
        stored = (await detail(client, auth, worker_of(world), p["id"]))["track"][0]
        assert abs(stored["lng"] - wgs[0]) < 1e-6 and abs(stored["lat"] - wgs[1]) < 1e-6

    async def test_a_resent_batch_changes_nothing(self, client, auth, world: World):
        p = await start(client, auth, world)
        points = walk(ago(minutes=20), n=3)
        first = await send(client, auth, worker_of(world), p["id"], points)
        again = await send(client, auth, worker_of(world), p["id"], points)
        assert again == first  # same version too: nothing was written

    async def test_overlapping_batches_keep_one_fix_per_time(self, client, auth, world: World):
        p = await start(client, auth, world)
        points = walk(ago(minutes=20), n=6)
        await send(client, auth, worker_of(world), p["id"], points[:4])
        after = await send(client, auth, worker_of(world), p["id"], points[2:])
        assert after["point_count"] == 6

    async def test_a_late_batch_lands_in_its_place(self, client, auth, world: World):
        # The phone's second batch got through before its first.
        p = await start(client, auth, world)
        points = walk(ago(minutes=20), n=6)
        await send(client, auth, worker_of(world), p["id"], points[3:])
        late = await send(client, auth, worker_of(world), p["id"], points[:3])
        in_order = await start(client, auth, world, who=world.user(Role.grid_head, "s1c1g1"))
        whole = await send(client, auth, world.user(Role.grid_head, "s1c1g1"), in_order["id"],
                           points)
        assert late["distance_m"] == whole["distance_m"]
        assert late["last_point_at"] == whole["last_point_at"]

    async def test_a_gps_jump_is_left_out_of_the_distance(self, client, auth, world: World):
        p = await start(client, auth, world)
        points = walk(ago(minutes=20), n=4)
        glitch = fix(ago(minutes=20) + timedelta(seconds=90), west_edge("s1c1g1"), 34.06)
        with_glitch = await send(client, auth, worker_of(world), p["id"], [*points, glitch])
        clean = await start(client, auth, world, who=world.user(Role.grid_head, "s1c1g1"))
        without = await send(client, auth, world.user(Role.grid_head, "s1c1g1"), clean["id"],
                             points)
        assert with_glitch["point_count"] == 5
        assert with_glitch["distance_m"] == without["distance_m"]

    async def test_a_poor_fix_is_left_out_of_the_distance(self, client, auth, world: World):
        p = await start(client, auth, world)
        points = walk(ago(minutes=20), n=3)
        poor = fix(ago(minutes=20) + timedelta(seconds=30), west_edge("s1c1g1"), 34.0065,
                   accuracy=550)
        after = await send(client, auth, worker_of(world), p["id"], [*points, poor])
        assert after["point_count"] == 4
        assert 180 < after["distance_m"] < 190  # two steps of 0.001°, the detour ignored

    async def test_a_fix_before_the_start_is_422_and_nothing_is_saved(self, client, auth,
                                                                       world: World):
        p = await start(client, auth, world)  # started 30 minutes ago
        points = walk(ago(minutes=20), n=3)
        points[1]["at"] = ago(minutes=45).isoformat()
        r = await client.post(f"{PATROLS}/{p['id']}/points", headers=auth(worker_of(world)),
                              json={"points": points})
        assert r.status_code == 422
        assert r.json()["code"] == "patrol_invalid_points"
        assert fields(r) == ["points.1.at"]
        assert (await detail(client, auth, worker_of(world), p["id"]))["point_count"] == 0

    async def test_a_fix_in_the_future_is_422(self, client, auth, world: World):
        p = await start(client, auth, world)
        r = await client.post(f"{PATROLS}/{p['id']}/points", headers=auth(worker_of(world)),
                              json={"points": [fix(utcnow() + timedelta(minutes=30),
                                                   west_edge("s1c1g1"))]})
        assert r.status_code == 422
        assert fields(r) == ["points.0.at"]

    async def test_a_fix_after_the_end_is_422(self, client, auth, world: World):
        patrol = world.patrols[0]  # ended 90 minutes ago
        r = await client.post(f"{PATROLS}/{patrol.id}/points", headers=auth(worker_of(world)),
                              json={"points": [fix(ago(minutes=30), west_edge("s1c1g1"))]})
        assert r.status_code == 422
        assert fields(r) == ["points.0.at"]

    async def test_fixes_of_an_ended_patrol_arrive_late(self, client, auth, world: World):
        patrol = world.patrols[0]
        at = patrol.started_at + timedelta(minutes=5, seconds=30)
        after = await send(client, auth, worker_of(world), patrol.id,
                           [fix(at, west_edge("s1c1g1") + 0.0018, 34.0)])
        assert (after["status"], after["point_count"]) == ("ended", 32)

    async def test_a_day_after_the_end_the_log_is_closed(self, client, auth, world: World, db):
        async with db.writing() as s:
            old = await make_patrol(s, world.grids[0], worker_of(world), ago=timedelta(hours=30))
            await s.commit()
        r = await client.post(f"{PATROLS}/{old.id}/points", headers=auth(worker_of(world)),
                              json={"points": [fix(old.started_at + timedelta(seconds=30),
                                                   west_edge("s1c1g1"))]})
        assert r.status_code == 409
        assert r.json()["code"] == "patrol_closed"

    async def test_a_fix_outside_china_is_422(self, client, auth, world: World):
        p = await start(client, auth, world)
        r = await client.post(f"{PATROLS}/{p['id']}/points", headers=auth(worker_of(world)),
                              json={"points": [fix(ago(minutes=5), 0.0, 0.0)]})
        assert r.status_code == 422
        assert fields(r) == ["points.0"]

    async def test_more_than_500_in_a_batch_is_422(self, client, auth, world: World):
        p = await start(client, auth, world)
        points = walk(ago(minutes=29), n=MAX_BATCH + 1, step_s=1, step_deg=0.00001)
        r = await client.post(f"{PATROLS}/{p['id']}/points", headers=auth(worker_of(world)),
                              json={"points": points})
        assert r.status_code == 422
        assert fields(r) == ["points"]

    async def test_a_full_batch_of_500_is_taken(self, client, auth, world: World):
        p = await start(client, auth, world)
        points = walk(ago(minutes=29), n=MAX_BATCH, step_s=1, step_deg=0.00001)
        after = await send(client, auth, worker_of(world), p["id"], points)
        assert after["point_count"] == MAX_BATCH

    async def test_an_empty_batch_is_422(self, client, auth, world: World):
        p = await start(client, auth, world)
        r = await client.post(f"{PATROLS}/{p['id']}/points", headers=auth(worker_of(world)),
                              json={"points": []})
        assert r.status_code == 422
        assert fields(r) == ["points"]

    async def test_a_time_without_offset_is_422(self, client, auth, world: World):
        p = await start(client, auth, world)
        r = await client.post(f"{PATROLS}/{p['id']}/points", headers=auth(worker_of(world)),
                              json={"points": [{"lng": 113.801, "lat": 34.005,
                                                "at": "2026-11-27T08:00:00"}]})
        assert r.status_code == 422
        assert fields(r) == ["points.0.at"]

    async def test_a_track_holds_a_bounded_number_of_fixes(self, client, auth, world: World,
                                                           monkeypatch):
        monkeypatch.setattr(service, "MAX_POINTS", 3)
        p = await start(client, auth, world)
        await send(client, auth, worker_of(world), p["id"], walk(ago(minutes=20), n=3))
        r = await client.post(f"{PATROLS}/{p['id']}/points", headers=auth(worker_of(world)),
                              json={"points": [fix(ago(minutes=2), west_edge("s1c1g1"))]})
        assert r.status_code == 409
        assert r.json()["code"] == "patrol_track_full"

    async def test_another_worker_of_the_grid_is_403(self, client, auth, world: World):
        p = await start(client, auth, world)
        r = await client.post(f"{PATROLS}/{p['id']}/points",
                              headers=auth(world.user(Role.grid_head, "s1c1g1")),
                              json={"points": walk(ago(minutes=20), n=1)})
        assert r.status_code == 403
        assert r.json()["code"] == "patrol_not_owner"

    async def test_an_admin_in_scope_is_403(self, client, auth, world: World):
        p = await start(client, auth, world)
        r = await client.post(f"{PATROLS}/{p['id']}/points",
                              headers=auth(world.user(Role.community_admin, "s1c1")),
                              json={"points": walk(ago(minutes=20), n=1)})
        assert r.status_code == 403

    async def test_a_worker_of_another_grid_is_404(self, client, auth, world: World):
        p = await start(client, auth, world)
        r = await client.post(f"{PATROLS}/{p['id']}/points",
                              headers=auth(world.user(Role.grid_worker, "s1c1g2")),
                              json={"points": walk(ago(minutes=20), n=1)})
        assert r.status_code == 404
        assert r.json()["code"] == "patrol_not_found"


class TestEndPatrol:
    async def test_the_worker_ends_it(self, client, auth, world: World):
        p = await start(client, auth, world)
        await send(client, auth, worker_of(world), p["id"], walk(ago(minutes=20), n=3))
        r = await client.post(f"{PATROLS}/{p['id']}/end", headers=auth(worker_of(world)))
        assert r.status_code == 200, r.text
        ended = r.json()
        assert (ended["status"], ended["auto_ended"]) == ("ended", False)
        assert utcnow() - datetime.fromisoformat(ended["ended_at"]) < timedelta(minutes=1)
        assert 29 * 60 < ended["duration_s"] < 31 * 60
        assert ended["version"] > p["version"]
        assert r.headers["etag"] == f'"{ended["version"]}"'

    async def test_an_offline_end_keeps_its_time_and_summary(self, client, auth, world: World):
        p = await start(client, auth, world)
        at = ago(minutes=10)
        ended = await end(client, auth, worker_of(world), p["id"], ended_at=at.isoformat(),
                          notes="发现井盖缺失一处")
        assert datetime.fromisoformat(ended["ended_at"]) == at
        assert ended["notes"] == "发现井盖缺失一处"

    async def test_ending_again_returns_it_unchanged(self, client, auth, world: World):
        p = await start(client, auth, world)
        first = await end(client, auth, worker_of(world), p["id"])
        again = await end(client, auth, worker_of(world), p["id"])
        assert again == first

    async def test_an_end_before_the_last_fix_is_422(self, client, auth, world: World):
        p = await start(client, auth, world)
        await send(client, auth, worker_of(world), p["id"], walk(ago(minutes=20), n=3))
        r = await client.post(f"{PATROLS}/{p['id']}/end", headers=auth(worker_of(world)),
                              json={"ended_at": ago(minutes=19).isoformat()})
        assert r.status_code == 422
        assert fields(r) == ["ended_at"]

    async def test_an_end_before_the_start_is_422(self, client, auth, world: World):
        p = await start(client, auth, world)
        r = await client.post(f"{PATROLS}/{p['id']}/end", headers=auth(worker_of(world)),
                              json={"ended_at": ago(hours=1).isoformat()})
        assert r.status_code == 422
        assert fields(r) == ["ended_at"]

    async def test_an_end_in_the_future_is_422(self, client, auth, world: World):
        p = await start(client, auth, world)
        r = await client.post(f"{PATROLS}/{p['id']}/end", headers=auth(worker_of(world)),
                              json={"ended_at": (utcnow() + timedelta(hours=1)).isoformat()})
        assert r.status_code == 422
        assert fields(r) == ["ended_at"]

    async def test_a_stale_if_match_is_412(self, client, auth, world: World):
        p = await start(client, auth, world)
        await send(client, auth, worker_of(world), p["id"], walk(ago(minutes=20), n=2))
        r = await client.post(f"{PATROLS}/{p['id']}/end",
                              headers=auth(worker_of(world), **{"If-Match": f'"{p["version"]}"'}))
        assert r.status_code == 412

    async def test_a_current_if_match_passes(self, client, auth, world: World):
        p = await start(client, auth, world)
        r = await client.post(f"{PATROLS}/{p['id']}/end",
                              headers=auth(worker_of(world), **{"If-Match": f'"{p["version"]}"'}))
        assert r.status_code == 200, r.text

    async def test_the_grid_head_cannot_end_a_workers_patrol(self, client, auth, world: World):
        p = await start(client, auth, world)
        r = await client.post(f"{PATROLS}/{p['id']}/end",
                              headers=auth(world.user(Role.grid_head, "s1c1g1")))
        assert r.status_code == 403
        assert r.json()["code"] == "patrol_not_owner"

    async def test_outside_the_grid_is_404(self, client, auth, world: World):
        p = await start(client, auth, world)
        r = await client.post(f"{PATROLS}/{p['id']}/end",
                              headers=auth(world.user(Role.community_admin, "s1c2")))
        assert r.status_code == 404


class TestLinkCase:
    async def test_a_case_raised_on_the_way_is_linked(self, client, auth, world: World):
        p = await start(client, auth, world)
        case = await report(client, auth, world)
        r = await client.post(f"{PATROLS}/{p['id']}/cases", headers=auth(worker_of(world)),
                              json={"case_id": case["id"]})
        assert r.status_code == 201, r.text
        link = r.json()
        assert (link["patrol_id"], link["case_id"], link["linked_by"]) == (
            p["id"], case["id"], worker_of(world).id)
        assert (await detail(client, auth, worker_of(world), p["id"]))["case_ids"] == [case["id"]]

    async def test_linking_again_returns_the_first_link(self, client, auth, world: World):
        p = await start(client, auth, world)
        url = f"{PATROLS}/{p['id']}/cases"
        body = {"case_id": world.cases[0].id}
        first = await client.post(url, headers=auth(worker_of(world)), json=body)
        again = await client.post(url, headers=auth(worker_of(world)), json=body)
        assert (first.status_code, again.status_code) == (201, 200)
        assert again.json() == first.json()

    async def test_a_case_out_of_sight_is_422(self, client, auth, world: World):
        p = await start(client, auth, world)
        url = f"{PATROLS}/{p['id']}/cases"
        outside = await client.post(url, headers=auth(worker_of(world)),
                                    json={"case_id": world.cases[1].id})
        missing = await client.post(url, headers=auth(worker_of(world)),
                                    json={"case_id": 2_000_000_000})
        assert outside.status_code == missing.status_code == 422
        assert outside.json() == missing.json()
        assert fields(outside) == ["case_id"]

    async def test_only_the_patrols_worker_links(self, client, auth, world: World):
        p = await start(client, auth, world)
        r = await client.post(f"{PATROLS}/{p['id']}/cases",
                              headers=auth(world.user(Role.grid_head, "s1c1g1")),
                              json={"case_id": world.cases[0].id})
        assert r.status_code == 403

    async def test_a_closed_log_takes_no_link(self, client, auth, world: World, db):
        async with db.writing() as s:
            old = await make_patrol(s, world.grids[0], worker_of(world), ago=timedelta(days=2))
            await s.commit()
        r = await client.post(f"{PATROLS}/{old.id}/cases", headers=auth(worker_of(world)),
                              json={"case_id": world.cases[0].id})
        assert r.status_code == 409
        assert r.json()["code"] == "patrol_closed"
