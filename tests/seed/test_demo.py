from __future__ import annotations

import re
from collections import Counter, defaultdict

import pytest
from shapely.geometry import shape
from sqlalchemy import delete, func, select

from app.core.permissions import Role
from app.core.types import utcnow
from app.models import Base, Grid, GridStaff, Org, RoleAssignment, User
from app.seed import demo, demo_steering
from app.seed.demo_data import COMMUNITIES, DISTRICT, STREETS, TOWNS
from app.tasks.weeks import Week
from tests.factories import World

API = "/api/v1"
PROGRESS = re.compile(r"^\[(\d+)/13\] (\S+): (\d+) grids")


async def run_seed(db, settings) -> list[str]:
    lines: list[str] = []
    await demo.seed(db, settings, lines.append)
    return lines


async def row_counts(db) -> dict[str, int]:
    async with db.writing() as s:
        return {t.name: await s.scalar(select(func.count()).select_from(t))
                for t in Base.metadata.sorted_tables}


async def demo_orgs(db, kind: str) -> list[Org]:
    async with db.writing() as s:
        stmt = select(Org).where(Org.kind == kind, Org.code.like("JA-%")).order_by(Org.id)
        return list(await s.scalars(stmt))


async def demo_grids(db) -> list[Grid]:
    async with db.writing() as s:
        return list(await s.scalars(select(Grid).where(Grid.code.like("JA-%")).order_by(Grid.id)))


@pytest.fixture
async def seeded(db, settings) -> list[str]:
    return await run_seed(db, settings)


class TestDemoLogins:
    def test_one_login_per_role(self):
        assert sorted(role for _, role, _ in demo.DEMO_LOGINS) == sorted(Role)
        usernames = [u for u, _, _ in demo.DEMO_LOGINS]
        assert len(set(usernames)) == len(usernames)
        assert all(u.startswith("demo_") for u in usernames)

    def test_plan_is_deterministic(self):
        assert demo.community_plans() == demo.community_plans()


class TestSeedDemo:
    async def test_builds_the_district_tree_under_existing_root(self, seeded, db, world: World):
        streets, towns = await demo_orgs(db, "street"), await demo_orgs(db, "town")
        assert {(o.code, o.name) for o in streets} == set(STREETS)
        assert {(o.code, o.name) for o in towns} == set(TOWNS)
        assert {o.parent_id for o in streets + towns} == {world.root.id}
        communities = await demo_orgs(db, "community")
        assert {"幸福社区", "潩水社区", "镜湖社区"} <= {o.name for o in communities}
        assert sorted(o.name for o in communities) == sorted(
            n for names in COMMUNITIES.values() for n in names)
        assert len(communities) == 13
        assert {o.parent_id for o in communities} == {o.id for o in streets}
        per_community = Counter(g.community_id for g in await demo_grids(db))
        assert set(per_community) == {o.id for o in communities}
        assert all(3 <= n <= 6 for n in per_community.values())
        async with db.writing() as s:
            assert await s.scalar(select(func.count()).where(Org.parent_id.is_(None))) == 1

    async def test_grids_sit_on_branches_with_groups_and_households(self, seeded, db):
        async with db.writing() as s:
            orgs = {o.id: o for o in await s.scalars(select(Org))}
        grids = await demo_grids(db)
        for grid in grids:
            branch, community = orgs[grid.branch_id], orgs[grid.community_id]
            assert (branch.kind, branch.name) == ("grid_branch", f"{grid.name}党支部")
            assert branch.parent_id == community.id
            assert grid.org_path == branch.path
            assert grid.street_id == community.street_id is not None
            assert re.fullmatch(rf"{community.code}-G[1-6]", grid.code)
        groups = await demo_orgs(db, "building_group")
        households = await demo_orgs(db, "member_household")
        per_branch = Counter(o.parent_id for o in groups)
        assert set(per_branch) == {g.branch_id for g in grids}
        assert all(1 <= n <= 2 for n in per_branch.values())
        assert Counter(o.parent_id for o in households) == {o.id: 1 for o in groups}
        assert all(o.name.endswith("号楼党小组") for o in groups)
        assert all(o.name.endswith("党员中心户") for o in households)

    async def test_every_grid_has_one_head_workers_and_an_instructor(self, seeded, db):
        grids = {g.id: g for g in await demo_grids(db)}
        async with db.writing() as s:
            staff = list(await s.scalars(select(GridStaff).where(GridStaff.grid_id.in_(grids))))
            users = {u.id: u for u in await s.scalars(select(User))}
            roles = {(a.user_id, a.role, a.org_id) for a in await s.scalars(
                select(RoleAssignment))}
        by_grid: dict[int, Counter[str]] = defaultdict(Counter)
        for row in staff:
            by_grid[row.grid_id][row.role] += 1
            branch_id = grids[row.grid_id].branch_id
            assert (row.user_id, row.role, branch_id) in roles
            assert users[row.user_id].org_id == branch_id
        assert set(by_grid) == set(grids)
        for counts in by_grid.values():
            assert counts[Role.grid_head] == 1
            assert counts[Role.grid_worker] >= 1
            assert counts[Role.party_instructor] == 1
        first = next(g.id for g in grids.values() if g.name == demo.DEMO_GRID)
        mine = {(users[r.user_id].username, r.role) for r in staff if r.grid_id == first}
        assert {("demo_grid_head", "grid_head"), ("demo_grid_worker", "grid_worker"),
                ("demo_instructor", "party_instructor")} <= mine

    async def test_boundaries_are_disjoint_polygons_near_xuchang(self, seeded, db):
        grids = await demo_grids(db)
        shapes = [shape(g.boundary) for g in grids]
        for grid, poly in zip(grids, shapes, strict=True):
            assert grid.boundary["type"] == "Polygon"
            assert poly.is_valid and poly.area > 0
            assert (grid.min_lng, grid.min_lat, grid.max_lng, grid.max_lat) == poly.bounds
            assert 113.6 < grid.min_lng < grid.max_lng < 114.0
            assert 33.9 < grid.min_lat < grid.max_lat < 34.3
        for i, a in enumerate(shapes):
            assert not any(a.intersects(b) for b in shapes[i + 1:])


class TestDemoLoginsSignIn:
    async def test_each_login_gets_its_role_where_documented(self, seeded, client, db, settings,
                                                          world: World):
        async with db.writing() as s:
            named = {o.name: o.id for o in await s.scalars(
                select(Org).where(Org.code.like("JA-%")))}
            grids = {g.name: g.branch_id for g in await s.scalars(select(Grid))}
        for username, role, where in demo.DEMO_LOGINS:
            node = world.root.id if where == DISTRICT else grids.get(where) or named[where]
            r = await client.post(f"{API}/auth/login",
                                  json={"username": username, "password": settings.demo_password})
            assert r.status_code == 200, (username, r.text)
            token = r.json()["access_token"]
            me = await client.get(f"{API}/me", headers={"Authorization": f"Bearer {token}"})
            assert me.status_code == 200, me.text
            got = [(x["role"], x["org_id"]) for x in me.json()["roles"]]
            assert got == [(role, node)], username


class TestDemoPeople:
    async def test_xingfu_has_a_register_a_registered_member_and_a_wish(self, seeded, client,
                                                                       settings):
        async def login(username: str) -> dict[str, str]:
            r = await client.post(f"{API}/auth/login", json={
                "username": username, "password": settings.demo_password})
            return {"Authorization": f"Bearer {r.json()['access_token']}"}

        worker = await login("demo_grid_worker")
        residents = (await client.get(f"{API}/residents", params={"limit": 100},
                                      headers=worker)).json()["items"]
        assert len(residents) == 24 and all("*" in r["id_number"] for r in residents)
        assert any(r["tags"] for r in residents)
        member = await login("demo_member")
        mine = (await client.get(f"{API}/registrations/mine", headers=member)).json()["items"]
        assert [r["status"] for r in mine] == ["approved"]
        wishes = (await client.get(f"{API}/wishes", headers=member)).json()["items"]
        assert [w["status"] for w in wishes] == ["posted"]
        assert any("demo-register.csv" in line or "residents" in line for line in seeded)


class TestDemoVolunteers:
    async def test_xingfu_has_a_team_an_activity_with_a_signup_points_and_a_market(
            self, seeded, client, settings):
        r = await client.post(f"{API}/auth/login", json={
            "username": "demo_member", "password": settings.demo_password})
        member = {"Authorization": f"Bearer {r.json()['access_token']}"}
        activities = (await client.get(f"{API}/activities", headers=member)).json()["items"]
        assert {a["kind"] for a in activities} == {"class", "lecture"}
        course = next(a for a in activities if a["kind"] == "class")
        assert course["accepted_count"] == 1
        mine = (await client.get(f"{API}/activities/{course['id']}/signups",
                                 headers=member)).json()["items"]
        assert [s["status"] for s in mine] == ["accepted"]
        statement = (await client.get(f"{API}/points/statement", headers=member)).json()
        assert statement["balance"] == 20
        goods = (await client.get(f"{API}/market/goods", headers=member)).json()["items"]
        assert len(goods) == 3 and all(g["stock"] > 0 for g in goods)
        me = (await client.get(f"{API}/volunteers/me", headers=member)).json()
        assert [t["kind"] for t in me["teams"]] == ["studio"]
        assert me["minutes_served"] == 120
        rules = (await client.get(f"{API}/points/rules", headers=member,
                                  params={"community_id": course["community_id"]})).json()
        assert [(r["rule"], r["points"], r["default"]) for r in rules["rules"]] == [
            ("case_report", 3, False)]
        home = (await client.get(f"{API}/me/home", headers=member)).json()
        assert [u["activity_id"] for u in home["upcoming"]] == [course["id"]]
        assert home["balance"] == 20


class TestDemoSteering:
    async def test_the_districts_48_tasks_reports_bulletin_and_meetings(self, seeded, client,
                                                                          settings):
        r = await client.post(f"{API}/auth/login", json={
            "username": "demo_district_admin", "password": settings.demo_password})
        admin = {"Authorization": f"Bearer {r.json()['access_token']}"}
        week = Week.at(utcnow())
        tasks = (await client.get(f"{API}/tasks", params={"year": week.year, "limit": 100},
                                  headers=admin)).json()["items"]
        district = [t for t in tasks if t["parent_id"] is None and len(t["responsibles"]) == 2]
        assert len(district) == demo_steering.TASKS
        root_id = district[0]["org_id"]
        meetings = (await client.get(f"{API}/meetings", params={
            "org_id": root_id, "year": week.year}, headers=admin)).json()["items"]
        assert [m["period"] for m in meetings] == [f"{week.year}-Q{q}" for q in range(1, 5)]
        if week.number == 1:
            return  # no earlier week of this year to have reports for
        bulletin = (await client.get(f"{API}/tasks/bulletin", params={
            "org_id": root_id, "week": str(week.previous())}, headers=admin)).json()
        assert bulletin["totals"]["reported"] > 0 and bulletin["totals"]["missing"] > 0


    async def test_weeks_of_reports_and_every_meeting_of_the_year(self, seeded, db):
        """Issue 14's "some weeks of reports" and "the year's meetings": the reports span the
        last weeks of this year (up to six), and the streets and 幸福社区 meet monthly."""
        from app.models import KeyTask, Meeting, TaskReport

        week = Week.at(utcnow())
        async with db.reading() as s:
            root = await s.scalar(select(Org).where(Org.parent_id.is_(None)))
            assert root is not None
            weeks = set(await s.scalars(
                select(TaskReport.week).join(KeyTask, KeyTask.id == TaskReport.task_id)
                .where(KeyTask.org_id == root.id, KeyTask.year == week.year)))
            tasks = await s.scalar(select(func.count(KeyTask.id)).where(
                KeyTask.org_id == root.id, KeyTask.year == week.year))
            periods: dict[str, list[str]] = defaultdict(list)
            rows = await s.execute(
                select(Org.code, Meeting.period).join(Org, Org.id == Meeting.org_id)
                .where(Meeting.year == week.year, Org.code.like("JA-%")))
            for code, period in rows:
                periods[code].append(period)
        assert tasks == demo_steering.TASKS
        expected = min(demo_steering.REPORT_WEEKS, week.number - 1)
        assert len(weeks) == expected
        assert all(Week.parse(w).year == week.year for w in weeks)
        months = sorted(f"{week.year}-{m:02d}" for m in range(1, 13))
        for code, _ in STREETS:
            assert sorted(periods[code]) == months, code
        xingfu = f"{STREETS[0][0]}-01"  # 幸福社区, the first community of 许由街道
        assert sorted(periods[xingfu]) == months


class TestDemoAssessment:
    async def test_one_scored_quarter(self, seeded, client, settings):
        r = await client.post(f"{API}/auth/login", json={
            "username": "demo_district_admin", "password": settings.demo_password})
        admin = {"Authorization": f"Bearer {r.json()['access_token']}"}
        rounds = (await client.get(f"{API}/assessment/rounds", headers=admin,
                                   params={"quarter": "2026-Q3"})).json()["items"]
        assert len(rounds) == 1
        results = (await client.get(f"{API}/assessment/rounds/{rounds[0]['id']}/results",
                                    headers=admin)).json()["items"]
        assert len(results) >= len(COMMUNITIES["JA-XY"]) + len(COMMUNITIES["JA-XN"])
        assert all(o["complete"] for o in results)
        assert [o["rank"] for o in results] == sorted(o["rank"] for o in results)
        manual = [i for o in results for i in o["items"] if i["source"] == "manual"]
        assert all(i["reason"] for i in manual)


class TestIdempotence:
    async def test_second_run_creates_nothing(self, db, settings):
        lines = await run_seed(db, settings)
        first = await row_counts(db)
        again = await run_seed(db, settings)
        assert await row_counts(db) == first
        for run, suffix in ((lines, "rows created)"), (again, "(already there)")):
            matches = [m for m in map(PROGRESS.match, run) if m]
            assert [int(m[1]) for m in matches] == list(range(1, 14))
            assert all(m.string.endswith(suffix) for m in matches)

    async def test_rerun_restores_only_missing_rows(self, db, settings):
        await run_seed(db, settings)
        full = await row_counts(db)
        async with db.writing() as s:
            household = await s.scalar(select(Org).where(Org.code == "JA-XN-01-G2-B1-H1"))
            await s.execute(delete(GridStaff).where(
                GridStaff.user_id == select(User.id).where(User.username == "demo_grid_worker")
                .scalar_subquery()))
            await s.delete(household)
            await s.commit()
        await run_seed(db, settings)
        after = await row_counts(db)
        # The household's re-creation writes one more audit row; nothing else changes.
        assert after == {**full, "audit_log": full["audit_log"] + 1}
