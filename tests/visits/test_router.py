"""The household visit log API: logging a visit (offline retries included), reading, listing,
correcting it. There is no DELETE: a log is a record."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from app.core.geo import wgs84_to_gcj02
from app.core.permissions import Role
from app.core.types import utcnow
from app.models import AuditEntry, Visit
from app.visits import repository
from tests.factories import World, make_visit

API = "/api/v1"
VISITS = f"{API}/visits"
CENTRE = (113.805, 34.005)  # the middle of grid s1c1g1


def body(world: World, grid: int = 0, **changes: Any) -> dict[str, Any]:
    return {"grid_id": world.grids[grid].id, "household_ref": "3栋2单元501",
            "visited_at": (utcnow() - timedelta(minutes=20)).isoformat(), "purpose": "care",
            "notes": "王某某独居，腿脚不便，需要助餐", "people_met": 1, **changes}


def worker(world: World, key: str = "s1c1g1") -> Any:
    return world.user(Role.grid_worker, key)


async def log(client: Any, auth: Any, world: World, who: Any = None, expect: int = 201,
              **changes: Any) -> dict[str, Any]:
    r = await client.post(VISITS, headers=auth(who or worker(world)),
                          json=body(world, **changes))
    assert r.status_code == expect, r.text
    return dict(r.json())


async def patch(client: Any, auth: Any, user: Any, visit_id: int, expect: int = 200,
                headers: dict[str, str] | None = None, **fields: Any) -> dict[str, Any]:
    r = await client.patch(f"{VISITS}/{visit_id}", headers=auth(user, **(headers or {})),
                           json=fields)
    assert r.status_code == expect, r.text
    return dict(r.json())


async def list_ids(client: Any, auth: Any, user: Any, **params: Any) -> list[int]:
    r = await client.get(VISITS, headers=auth(user), params={"limit": 100, **params})
    assert r.status_code == 200, r.text
    return [v["id"] for v in r.json()["items"]]


async def count_visits(db: Any, **where: Any) -> int:
    async with db.writing() as s:
        return int(await s.scalar(select(func.count()).select_from(Visit).filter_by(**where))
                   or 0)


def fields(r: Any) -> list[str]:
    return [e["field"] for e in r.json().get("errors", [])]


class TestCreateVisit:
    async def test_worker_logs_a_visit_in_own_grid(self, client, auth, world: World):
        r = await client.post(VISITS, headers=auth(worker(world)),
                              json=body(world, address="许昌路 1 号"))
        assert r.status_code == 201, r.text
        v = r.json()
        assert (v["grid_id"], v["community_id"], v["street_id"]) == (
            world.grids[0].id, world.communities[0].id, world.streets[0].id)
        assert (v["author_id"], v["org_path"]) == (worker(world).id, world.grids[0].org_path)
        assert (v["household_ref"], v["household_id"], v["address"]) == (
            "3栋2单元501", None, "许昌路 1 号")
        assert (v["purpose"], v["purpose_label"], v["people_met"]) == ("care", "重点人群关怀", 1)
        assert v["notes"] == "王某某独居，腿脚不便，需要助餐"
        assert (v["lng"], v["lat"], v["follow_up_case_id"], v["version"]) == (None, None, None, 1)
        assert r.headers["etag"] == '"1"'

    async def test_every_purpose_has_a_chinese_label(self, client, auth, world: World):
        labels = {}
        for purpose in ("routine", "care", "dispute", "survey", "policy", "other"):
            labels[purpose] = (await log(client, auth, world, purpose=purpose))["purpose_label"]
        assert labels == {"routine": "日常走访", "care": "重点人群关怀", "dispute": "矛盾调解",
                          "survey": "信息采集", "policy": "政策宣传", "other": "其他"}

    async def test_grid_head_logs_too(self, client, auth, world: World):
        v = await log(client, auth, world, who=world.user(Role.grid_head, "s1c1g1"))
        assert v["author_id"] == world.user(Role.grid_head, "s1c1g1").id

    async def test_gcj02_location_is_stored_as_wgs84(self, client, auth, world: World):
        g_lng, g_lat = wgs84_to_gcj02(*CENTRE)
        v = await log(client, auth, world, lng=g_lng, lat=g_lat, crs="gcj02")
        assert v["crs"] == "wgs84"
        assert abs(v["lng"] - CENTRE[0]) < 1e-6 and abs(v["lat"] - CENTRE[1]) < 1e-6

    async def test_nobody_home_is_zero_people(self, client, auth, world: World):
        assert (await log(client, auth, world, people_met=0))["people_met"] == 0

    async def test_follow_up_case_the_worker_sees(self, client, auth, world: World):
        v = await log(client, auth, world, follow_up_case_id=world.cases[0].id)
        assert v["follow_up_case_id"] == world.cases[0].id

    async def test_follow_up_case_out_of_sight_is_422(self, client, auth, world: World):
        outside = await client.post(VISITS, headers=auth(worker(world)),
                                    json=body(world, follow_up_case_id=world.cases[1].id))
        missing = await client.post(VISITS, headers=auth(worker(world)),
                                    json=body(world, follow_up_case_id=2_000_000_000))
        assert outside.status_code == missing.status_code == 422
        assert outside.json() == missing.json()
        assert fields(outside) == ["follow_up_case_id"]

    async def test_lng_without_lat_is_422(self, client, auth, world: World):
        r = await client.post(VISITS, headers=auth(worker(world)),
                              json=body(world, lng=CENTRE[0]))
        assert r.status_code == 422
        assert fields(r) == ["lat"]

    async def test_location_outside_china_is_422(self, client, auth, world: World):
        r = await client.post(VISITS, headers=auth(worker(world)),
                              json=body(world, lng=34.005, lat=113.805 - 100))
        assert r.status_code == 422
        assert fields(r) == ["lng"]

    async def test_visit_in_the_future_is_422(self, client, auth, world: World):
        r = await client.post(VISITS, headers=auth(worker(world)), json=body(
            world, visited_at=(utcnow() + timedelta(hours=2)).isoformat()))
        assert r.status_code == 422
        assert fields(r) == ["visited_at"]

    async def test_visit_over_30_days_ago_is_422(self, client, auth, world: World):
        r = await client.post(VISITS, headers=auth(worker(world)), json=body(
            world, visited_at=(utcnow() - timedelta(days=31)).isoformat()))
        assert r.status_code == 422
        assert fields(r) == ["visited_at"]

    async def test_a_visit_written_up_days_later_is_kept(self, client, auth, world: World):
        at = utcnow() - timedelta(days=3)
        v = await log(client, auth, world, visited_at=at.isoformat())
        assert datetime.fromisoformat(v["visited_at"]) == at

    async def test_time_without_offset_is_422(self, client, auth, world: World):
        r = await client.post(VISITS, headers=auth(worker(world)),
                              json=body(world, visited_at="2026-11-27T09:00:00"))
        assert r.status_code == 422
        assert fields(r) == ["visited_at"]

    async def test_unknown_purpose_is_422(self, client, auth, world: World):
        r = await client.post(VISITS, headers=auth(worker(world)),
                              json=body(world, purpose="gossip"))
        assert r.status_code == 422
        assert fields(r) == ["purpose"]

    async def test_missing_household_is_422(self, client, auth, world: World):
        data = body(world)
        del data["household_ref"]
        r = await client.post(VISITS, headers=auth(worker(world)), json=data)
        assert r.status_code == 422
        assert fields(r) == ["household_ref"]

    async def test_notes_over_2000_characters_is_422(self, client, auth, world: World):
        r = await client.post(VISITS, headers=auth(worker(world)),
                              json=body(world, notes="访" * 2001))
        assert r.status_code == 422
        assert fields(r) == ["notes"]

    async def test_negative_people_is_422(self, client, auth, world: World):
        r = await client.post(VISITS, headers=auth(worker(world)),
                              json=body(world, people_met=-1))
        assert r.status_code == 422
        assert fields(r) == ["people_met"]

    async def test_household_id_is_not_for_clients_yet(self, client, auth, world: World):
        r = await client.post(VISITS, headers=auth(worker(world)),
                              json=body(world, household_id=5))
        assert r.status_code == 422
        assert fields(r) == ["household_id"]

    async def test_grid_out_of_sight_reads_as_unknown(self, client, auth, world: World):
        outside = await client.post(VISITS, headers=auth(worker(world)), json=body(world, 4))
        missing = await client.post(VISITS, headers=auth(worker(world)),
                                    json={**body(world), "grid_id": 2_000_000_000})
        assert outside.status_code == missing.status_code == 422
        assert outside.json() == missing.json()
        assert fields(outside) == ["grid_id"]

    async def test_community_admin_is_not_grid_staff(self, client, auth, world: World):
        r = await client.post(VISITS, headers=auth(world.user(Role.community_admin, "s1c1")),
                              json=body(world))
        assert r.status_code == 403
        assert r.json()["code"] == "visit_not_grid_staff"

    async def test_instructor_does_not_log_visits(self, client, auth, world: World):
        r = await client.post(VISITS, headers=auth(world.user(Role.party_instructor, "s1c1g1")),
                              json=body(world))
        assert r.status_code == 403


class TestOfflineAndRetries:
    async def test_idempotency_key_replays_the_first_response(self, client, auth,
                                                              world: World, db):
        headers = auth(worker(world), **{"Idempotency-Key": "visit-retry-1"})
        data = body(world, household_ref="幂等 1-1-101")
        first = await client.post(VISITS, headers=headers, json=data)
        again = await client.post(VISITS, headers=headers, json=data)
        assert (first.status_code, again.status_code) == (201, 201)
        assert again.headers["idempotent-replayed"] == "true"
        assert again.json() == first.json()
        assert await count_visits(db, household_ref="幂等 1-1-101") == 1

    async def test_same_client_ref_returns_the_first_visit(self, client, auth, world: World,
                                                           db):
        first = await log(client, auth, world, client_ref="visit-offline-1")
        again = await log(client, auth, world, expect=200, client_ref="visit-offline-1",
                          notes="重试")
        assert again["id"] == first["id"] and again["notes"] == first["notes"]
        assert await count_visits(db, client_ref="visit-offline-1") == 1

    async def test_client_ref_is_per_author(self, client, auth, world: World):
        a = await log(client, auth, world, client_ref="same-ref")
        b = await log(client, auth, world, who=world.user(Role.grid_head, "s1c1g1"),
                      client_ref="same-ref")
        assert a["id"] != b["id"]

    async def test_client_ref_race_returns_the_winner(self, client, auth, world: World, db,
                                                      monkeypatch):
        first = await log(client, auth, world, client_ref="racing-visit")
        real = repository.by_client_ref
        calls: list[str] = []

        async def too_early(session, author_id, client_ref):
            calls.append(client_ref)
            return None if len(calls) == 1 else await real(session, author_id, client_ref)

        monkeypatch.setattr(repository, "by_client_ref", too_early)
        again = await log(client, auth, world, expect=200, client_ref="racing-visit")
        assert again["id"] == first["id"]
        assert len(calls) == 2
        assert await count_visits(db, client_ref="racing-visit") == 1


class TestPersonalData:
    async def test_notes_stay_out_of_logs_and_audit(self, client, auth, world: World, db,
                                                    caplog):
        secret = "李某某 13800001111 低保户"
        # Everything the app logs at the level it runs at (drivers' own DEBUG output aside).
        with caplog.at_level(logging.INFO):
            v = await log(client, auth, world, notes=secret)
            await patch(client, auth, worker(world), v["id"], notes=secret + "，已转介")
        assert caplog.records
        assert not [r for r in caplog.records if "13800001111" in str(r.__dict__)]
        async with db.writing() as s:
            rows = (await s.execute(select(AuditEntry).where(
                AuditEntry.object_type == "visit", AuditEntry.object_id == str(v["id"])))
            ).scalars().all()
        assert [r.action for r in rows] == ["visit.create", "visit.update"]
        assert rows[1].detail == {"fields": ["notes"]}
        assert all("13800001111" not in str(r.detail) for r in rows)


class TestGetVisit:
    async def test_worker_reads_a_visit_of_the_grid(self, client, auth, world: World):
        r = await client.get(f"{VISITS}/{world.visits[0].id}",
                             headers=auth(world.user(Role.grid_head, "s1c1g1")))
        assert r.status_code == 200
        v = r.json()
        assert (v["id"], v["follow_up_case_id"]) == (world.visits[0].id, world.cases[0].id)
        assert r.headers["etag"] == f'"{v["version"]}"'

    async def test_location_in_gcj02_on_request(self, client, auth, world: World):
        v = await log(client, auth, world, lng=CENTRE[0], lat=CENTRE[1])
        r = await client.get(f"{VISITS}/{v['id']}", params={"crs": "gcj02"},
                             headers=auth(worker(world)))
        assert (r.json()["lng"], r.json()["lat"]) == wgs84_to_gcj02(*CENTRE)
        assert r.json()["crs"] == "gcj02"

    async def test_command_operator_and_auditor_read(self, client, auth, world: World):
        for role in (Role.command_operator, Role.auditor):
            r = await client.get(f"{VISITS}/{world.visits[6].id}", headers=auth(world.user(role)))
            assert r.status_code == 200

    async def test_instructor_of_the_grid_is_403(self, client, auth, world: World):
        r = await client.get(f"{VISITS}/{world.visits[0].id}",
                             headers=auth(world.user(Role.party_instructor, "s1c1g1")))
        assert r.status_code == 403

    async def test_worker_of_another_grid_is_404(self, client, auth, world: World):
        r = await client.get(f"{VISITS}/{world.visits[1].id}", headers=auth(worker(world)))
        assert r.status_code == 404
        assert r.json()["code"] == "visit_not_found"

    async def test_a_log_cannot_be_deleted(self, client, auth, world: World):
        r = await client.delete(f"{VISITS}/{world.visits[0].id}",
                                headers=auth(world.user(Role.district_admin)))
        assert r.status_code == 405


class TestUpdateVisit:
    async def test_author_corrects_own_log(self, client, auth, world: World):
        v = await log(client, auth, world)
        r = await client.patch(f"{VISITS}/{v['id']}", headers=auth(worker(world)),
                               json={"purpose": "dispute", "people_met": 2})
        assert r.status_code == 200, r.text
        after = r.json()
        assert (after["purpose"], after["purpose_label"], after["people_met"]) == (
            "dispute", "矛盾调解", 2)
        assert after["notes"] == v["notes"]  # untouched fields stay
        assert after["version"] == v["version"] + 1
        assert r.headers["etag"] == f'"{after["version"]}"'

    async def test_stale_if_match_is_412(self, client, auth, world: World):
        v = await log(client, auth, world)
        await patch(client, auth, worker(world), v["id"], people_met=3)
        await patch(client, auth, worker(world), v["id"], expect=412,
                    headers={"If-Match": f'"{v["version"]}"'}, people_met=4)

    async def test_current_if_match_passes(self, client, auth, world: World):
        v = await log(client, auth, world)
        after = await patch(client, auth, worker(world), v["id"],
                            headers={"If-Match": f'"{v["version"]}"'}, people_met=4)
        assert after["people_met"] == 4

    async def test_another_worker_of_the_grid_is_403(self, client, auth, world: World):
        v = await log(client, auth, world)
        r = await client.patch(f"{VISITS}/{v['id']}",
                               headers=auth(world.user(Role.grid_head, "s1c1g1")),
                               json={"notes": "改别人的"})
        assert r.status_code == 403
        assert r.json()["code"] == "visit_not_author"

    async def test_community_admin_corrects_any_in_scope(self, client, auth, world: World):
        v = await log(client, auth, world)
        after = await patch(client, auth, world.user(Role.community_admin, "s1c1"), v["id"],
                            household_ref="3栋2单元502")
        assert after["household_ref"] == "3栋2单元502"

    async def test_command_operator_reads_but_does_not_correct(self, client, auth,
                                                               world: World):
        await patch(client, auth, world.user(Role.command_operator), world.visits[0].id,
                    expect=403, notes="x")

    async def test_author_after_a_week_is_403(self, client, auth, world: World, db):
        async with db.writing() as s:
            old = await make_visit(s, world.grids[0], worker(world),
                                   created_at=utcnow() - timedelta(days=8),
                                   visited_at=utcnow() - timedelta(days=8))
            await s.commit()
        r = await client.patch(f"{VISITS}/{old.id}", headers=auth(worker(world)),
                               json={"notes": "补记"})
        assert r.status_code == 403
        assert r.json()["code"] == "visit_edit_window_closed"
        await patch(client, auth, world.user(Role.street_admin, "s1"), old.id, notes="补记")

    async def test_required_fields_cannot_be_cleared(self, client, auth, world: World):
        v = await log(client, auth, world)
        for name in ("purpose", "household_ref", "visited_at"):
            r = await client.patch(f"{VISITS}/{v['id']}", headers=auth(worker(world)),
                                   json={name: None})
            assert r.status_code == 422, name
            assert fields(r) == [name]

    async def test_optional_fields_can_be_cleared(self, client, auth, world: World):
        v = await log(client, auth, world, follow_up_case_id=world.cases[0].id,
                      lng=CENTRE[0], lat=CENTRE[1])
        after = await patch(client, auth, worker(world), v["id"], follow_up_case_id=None,
                            notes=None, lng=None, lat=None)
        assert (after["follow_up_case_id"], after["notes"], after["lng"], after["lat"]) == (
            None, None, None, None)

    async def test_follow_up_case_out_of_sight_is_422(self, client, auth, world: World):
        v = await log(client, auth, world)
        r = await client.patch(f"{VISITS}/{v['id']}", headers=auth(worker(world)),
                               json={"follow_up_case_id": world.cases[3].id})
        assert r.status_code == 422
        assert fields(r) == ["follow_up_case_id"]

    async def test_location_moves_with_both_coordinates(self, client, auth, world: World):
        v = await log(client, auth, world)
        g_lng, g_lat = wgs84_to_gcj02(*CENTRE)
        after = await patch(client, auth, worker(world), v["id"], lng=g_lng, lat=g_lat,
                            crs="gcj02")
        assert abs(after["lng"] - CENTRE[0]) < 1e-6 and abs(after["lat"] - CENTRE[1]) < 1e-6
        r = await client.patch(f"{VISITS}/{v['id']}", headers=auth(worker(world)),
                               json={"lat": 34.0})
        assert r.status_code == 422
        assert fields(r) == ["lng"]

    async def test_visit_time_in_the_future_is_422(self, client, auth, world: World):
        v = await log(client, auth, world)
        r = await client.patch(f"{VISITS}/{v['id']}", headers=auth(worker(world)),
                               json={"visited_at": (utcnow() + timedelta(days=1)).isoformat()})
        assert r.status_code == 422
        assert fields(r) == ["visited_at"]

    async def test_the_grid_cannot_change(self, client, auth, world: World):
        v = await log(client, auth, world)
        r = await client.patch(f"{VISITS}/{v['id']}", headers=auth(worker(world)),
                               json={"grid_id": world.grids[1].id})
        assert r.status_code == 422
        assert fields(r) == ["grid_id"]

    async def test_outside_the_grid_is_404(self, client, auth, world: World):
        r = await client.patch(f"{VISITS}/{world.visits[0].id}", json={"notes": "x"},
                               headers=auth(world.user(Role.community_admin, "s1c2")))
        assert r.status_code == 404


class TestListVisits:
    async def test_worker_of_grid_a_does_not_see_grid_b(self, client, auth, world: World):
        mine = await log(client, auth, world)
        theirs = await log(client, auth, world, who=worker(world, "s1c1g2"),
                           grid_id=world.grids[1].id)
        assert await list_ids(client, auth, worker(world)) == [mine["id"], world.visits[0].id]
        assert await list_ids(client, auth, worker(world, "s1c1g2")) == [
            theirs["id"], world.visits[1].id]

    async def test_street_admin_sees_the_street(self, client, auth, world: World):
        ids = await list_ids(client, auth, world.user(Role.street_admin, "s2"))
        assert set(ids) == {v.id for v in world.visits[4:]}

    async def test_member_sees_none(self, client, auth, world: World):
        assert await list_ids(client, auth, world.user(Role.member, "s1c1")) == []

    async def test_filter_by_purpose_and_household(self, client, auth, world: World):
        dispute = await log(client, auth, world, purpose="dispute", household_ref="5栋101")
        await log(client, auth, world, purpose="care", household_ref="5栋101")
        user = worker(world)
        assert await list_ids(client, auth, user, purpose="dispute") == [dispute["id"]]
        assert len(await list_ids(client, auth, user, household_ref="5栋101")) == 2

    async def test_filter_by_author_grid_and_community(self, client, auth, world: World):
        admin = world.user(Role.district_admin)
        head = await log(client, auth, world, who=world.user(Role.grid_head, "s1c1g1"))
        assert await list_ids(client, auth, admin,
                              author_id=world.user(Role.grid_head, "s1c1g1").id) == [head["id"]]
        assert await list_ids(client, auth, admin, grid_id=world.grids[2].id) == [
            world.visits[2].id]
        ids = await list_ids(client, auth, admin, community_id=world.communities[3].id)
        assert set(ids) == {world.visits[6].id, world.visits[7].id}

    async def test_filter_by_visit_time(self, client, auth, world: World):
        early = await log(client, auth, world,
                          visited_at=(utcnow() - timedelta(days=5)).isoformat())
        window = {"from": (utcnow() - timedelta(days=6)).isoformat(),
                  "to": (utcnow() - timedelta(days=4)).isoformat()}
        assert await list_ids(client, auth, worker(world), **window) == [early["id"]]

    async def test_unknown_purpose_filter_is_422(self, client, auth, world: World):
        r = await client.get(VISITS, params={"purpose": "gossip"}, headers=auth(worker(world)))
        assert r.status_code == 422
        assert fields(r) == ["purpose"]

    async def test_statements_do_not_grow_with_page_size(self, client, auth, world: World,
                                                        statements):
        admin = world.user(Role.district_admin)
        counts = []
        for limit in (2, 100):
            with statements:
                r = await client.get(VISITS, params={"limit": limit}, headers=auth(admin))
            assert r.status_code == 200 and len(r.json()["items"]) == min(limit, 8)
            counts.append(statements.count)
        assert counts[0] == counts[1] == 2  # principal + page
