"""GET /stats/cases: KPIs for a subtree and a period."""

from __future__ import annotations

from datetime import timedelta

from app.core.permissions import Role
from app.core.types import utcnow
from tests.factories import World, make_case

API = "/api/v1"
H = timedelta(hours=1)


async def _cases(db, world: World) -> None:
    """Four cases in s1c2g1 (grid index 2): two closed (one late, one reworked), one returned
    and still open, one just reported."""
    grid, reporter = world.grids[2], world.user(Role.grid_worker, "s1c2g1")
    now = utcnow()
    t0 = now - 48 * H
    async with db.writing() as s:
        await make_case(s, grid, reporter, status="closed", reported_at=t0, accepted_at=t0,
                        dispatched_at=t0, closed_at=t0 + 2 * H, due_at=t0 + 4 * H)
        await make_case(s, grid, reporter, status="closed", reported_at=t0, accepted_at=t0,
                        dispatched_at=t0, closed_at=t0 + 10 * H, due_at=t0 + 4 * H,
                        rework_count=1)
        await make_case(s, grid, reporter, status="accepted", reported_at=t0, accepted_at=t0,
                        dispatched_at=t0, return_count=1, due_at=t0 + 4 * H)
        await make_case(s, grid, reporter, reported_at=now - H)
        await s.commit()


class TestCaseKpis:
    async def test_totals_for_a_community(self, client, auth, world: World, db):
        await _cases(db, world)
        r = await client.get(f"{API}/stats/cases",
                             params={"org_id": world.communities[1].id},
                             headers=auth(world.user(Role.community_admin, "s1c2")))
        assert r.status_code == 200, r.text
        t = r.json()["totals"]
        # The fixture world's own reported case in each of s1c2's two grids counts too.
        assert t["reported"] == 6 and t["accepted"] == 3 and t["closed"] == 2
        assert t["closure_rate"] == round(2 / 6, 4)
        assert t["on_time_rate"] == 0.5 and t["rework_rate"] == 0.5
        assert t["return_rate"] == round(1 / 3, 4)
        assert t["mean_hours_to_close"] == 6.0

    async def test_group_by_grid_and_category(self, client, auth, world: World, db):
        await _cases(db, world)
        h = auth(world.user(Role.community_admin, "s1c2"))
        r = await client.get(f"{API}/stats/cases", params={
            "org_id": world.communities[1].id, "group_by": "grid"}, headers=h)
        groups = {g["key"]: g for g in r.json()["groups"]}
        assert groups[str(world.grids[2].id)]["reported"] == 5
        assert groups[str(world.grids[2].id)]["label"] == world.grids[2].name
        assert groups[str(world.grids[3].id)]["reported"] == 1
        r = await client.get(f"{API}/stats/cases", params={
            "org_id": world.communities[1].id, "group_by": "category"}, headers=h)
        assert [g["label"] for g in r.json()["groups"]] != [None]

    async def test_daily_series(self, client, auth, world: World, db):
        await _cases(db, world)
        r = await client.get(f"{API}/stats/cases", params={
            "org_id": world.communities[1].id, "interval": "day"},
            headers=auth(world.user(Role.community_admin, "s1c2")))
        series = r.json()["series"]
        assert sum(p["reported"] for p in series) == 6
        assert all(len(p["period"]) == 10 for p in series)

    async def test_defaults_to_the_callers_scope(self, client, auth, world: World):
        r = await client.get(f"{API}/stats/cases",
                             headers=auth(world.user(Role.grid_worker, "s1c1g1")))
        assert r.status_code == 200 and r.json()["org_id"] == world.branches[0].id
        assert r.json()["totals"]["reported"] == 1

    async def test_outside_scope_is_404(self, client, auth, world: World):
        r = await client.get(f"{API}/stats/cases", params={"org_id": world.communities[1].id},
                             headers=auth(world.user(Role.community_admin, "s1c1")))
        assert r.status_code == 404

    async def test_member_without_case_read_is_refused(self, client, auth, world: World):
        r = await client.get(f"{API}/stats/cases",
                             params={"org_id": world.communities[0].id},
                             headers=auth(world.user(Role.member, "s1c1")))
        assert r.status_code == 403

    async def test_bad_range_is_422(self, client, auth, world: World):
        now = utcnow()
        r = await client.get(f"{API}/stats/cases", params={
            "from": now.isoformat(), "to": (now - H).isoformat()},
            headers=auth(world.user(Role.district_admin)))
        assert r.status_code == 422

    async def test_statements_constant(self, client, auth, world: World, db, statements):
        await _cases(db, world)
        with statements:
            r = await client.get(f"{API}/stats/cases", params={
                "org_id": world.root.id, "group_by": "grid", "interval": "week"},
                headers=auth(world.user(Role.district_admin)))
        assert r.status_code == 200
        # principal, org, totals, groups, labels, series
        assert statements.count == 6
