"""Rule-based credits: a valid case report earns its reporter (a member of the community) the
community's rule points, capped per period; GET/PUT /points/rules per community, scoped."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select

from app.core.permissions import Role
from app.models import AuditEntry, PointsPosting
from app.volunteers.points.credits import period_start
from app.volunteers.points.schemas import Period
from tests.factories import World, make_case

API = "/api/v1"
RULES = f"{API}/points/rules"
POINTS = f"{API}/points/statement"


def admin(world: World, key: str = "s1c1") -> Any:
    return world.user(Role.community_admin, key)


async def close_case(
    client: Any,
    auth: Any,
    world: World,
    db: Any,
    reporter: Any,
    action: str = "verify",
    grid: int = 0,
) -> int:
    """A case `reporter` filed in grid `grid`, then closed by its community admin with
    `action` (verify after a handler resolved it, or reject)."""
    async with db.writing() as s:
        case = await make_case(
            s, world.grids[grid], reporter, status="resolved" if action == "verify" else "reported"
        )
        await s.commit()
    key = "s1c1" if grid < 2 else "s1c2"
    r = await client.post(
        f"{API}/cases/{case.id}/transitions",
        headers=auth(admin(world, key)),
        json={"action": action, "note": "核查属实"},
    )
    assert r.status_code == 200, r.text
    return case.id


async def statement(client: Any, auth: Any, user: Any) -> dict[str, Any]:
    r = await client.get(POINTS, headers=auth(user))
    assert r.status_code == 200
    return dict(r.json())


class TestCaseReportCredit:
    async def test_valid_report_by_a_member_earns_the_default_five(
        self, client, auth, world: World, db
    ):
        member = world.reg_users[0]
        before = (await statement(client, auth, member))["balance"]
        case_id = await close_case(client, auth, world, db, member)
        got = await statement(client, auth, member)
        assert got["balance"] == before + 5
        assert (got["items"][0]["kind"], got["items"][0]["amount"]) == ("rule", 5)
        async with db.reading() as s:
            total = await s.scalar(select(func.sum(PointsPosting.amount)))
        assert total == 0
        assert case_id

    async def test_cap_per_month_holds(self, client, auth, world: World, db):
        r = await client.put(
            RULES,
            params={"community_id": world.communities[0].id},
            headers=auth(admin(world)),
            json={"rules": [{"rule": "case_report", "points": 3, "cap": 2}]},
        )
        assert r.status_code == 200, r.text
        member = world.reg_users[0]
        before = (await statement(client, auth, member))["balance"]
        for _ in range(3):
            await close_case(client, auth, world, db, member)
        assert (await statement(client, auth, member))["balance"] == before + 6

    async def test_rejected_report_earns_nothing(self, client, auth, world: World, db):
        member = world.reg_users[0]
        before = (await statement(client, auth, member))["balance"]
        await close_case(client, auth, world, db, member, action="reject")
        assert (await statement(client, auth, member))["balance"] == before

    async def test_staff_reporting_as_their_job_earn_nothing(self, client, auth, world: World, db):
        worker = world.user(Role.grid_worker, "s1c1g1")
        await close_case(client, auth, world, db, worker)
        assert (await statement(client, auth, worker))["balance"] == 0

    async def test_member_reporting_in_another_community_earns_nothing(
        self, client, auth, world: World, db
    ):
        member = world.reg_users[0]
        before = (await statement(client, auth, member))["balance"]
        await close_case(client, auth, world, db, member, grid=2)
        assert (await statement(client, auth, member))["balance"] == before

    async def test_rule_switched_off_earns_nothing(self, client, auth, world: World, db):
        await client.put(
            RULES,
            params={"community_id": world.communities[0].id},
            headers=auth(admin(world)),
            json={"rules": [{"rule": "case_report", "points": 3, "cap": 2, "active": False}]},
        )
        member = world.reg_users[0]
        before = (await statement(client, auth, member))["balance"]
        await close_case(client, auth, world, db, member)
        assert (await statement(client, auth, member))["balance"] == before


class TestRulesEndpoints:
    async def test_defaults_until_the_community_sets_its_own(self, client, auth, world: World, db):
        cid = world.communities[0].id
        r = await client.get(RULES, params={"community_id": cid}, headers=auth(admin(world)))
        assert r.json()["rules"] == [
            {
                "rule": "case_report",
                "points": 5,
                "cap": 5,
                "period": "month",
                "active": True,
                "default": True,
            }
        ]
        r = await client.put(
            RULES,
            params={"community_id": cid},
            headers=auth(admin(world)),
            json={"rules": [{"rule": "case_report", "points": 2, "cap": 10, "period": "week"}]},
        )
        assert r.status_code == 200
        r = await client.get(RULES, params={"community_id": cid}, headers=auth(world.reg_users[0]))
        assert r.json()["rules"] == [
            {
                "rule": "case_report",
                "points": 2,
                "cap": 10,
                "period": "week",
                "active": True,
                "default": False,
            }
        ]
        async with db.reading() as s:
            actions = (
                (
                    await s.execute(
                        select(AuditEntry.action).where(AuditEntry.action == "points.rules_set")
                    )
                )
                .scalars()
                .all()
            )
        assert actions == ["points.rules_set"]

    async def test_other_community_is_404_and_a_member_may_not_set(
        self, client, auth, world: World
    ):
        cid = world.communities[0].id
        body = {"rules": [{"rule": "case_report", "points": 2, "cap": 1}]}
        other = admin(world, "s1c2")
        assert (
            await client.get(RULES, params={"community_id": cid}, headers=auth(other))
        ).status_code == 404
        assert (
            await client.put(RULES, params={"community_id": cid}, headers=auth(other), json=body)
        ).status_code == 404
        r = await client.put(
            RULES, params={"community_id": cid}, headers=auth(world.reg_users[0]), json=body
        )
        assert r.status_code == 403

    async def test_bad_bodies_are_422(self, client, auth, world: World):
        cid = world.communities[0].id
        rule = {"rule": "case_report", "points": 1, "cap": 1}
        for bad in (
            {"rules": []},
            {"rules": [rule, rule]},
            {"rules": [{**rule, "points": -1}]},
            {"rules": [{**rule, "rule": "x"}]},
            {"rules": [{**rule, "period": "day"}]},
        ):
            r = await client.put(
                RULES, params={"community_id": cid}, headers=auth(admin(world)), json=bad
            )
            assert r.status_code == 422, bad


class TestPeriods:
    def test_starts_are_shanghai_calendar_periods(self):
        # 2026-03-31 20:00 UTC is 2026-04-01 04:00 in Shanghai (a Wednesday).
        now = datetime(2026, 3, 31, 20, 0, tzinfo=UTC)
        assert period_start(Period.month, now).isoformat() == "2026-04-01T00:00:00+08:00"
        assert period_start(Period.week, now).isoformat() == "2026-03-30T00:00:00+08:00"
        assert period_start(Period.year, now).isoformat() == "2026-01-01T00:00:00+08:00"
