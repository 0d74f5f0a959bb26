"""Quarterly rounds: computed items from cases and registrations (quarter bounds in
Asia/Shanghai, tested around New Year), manual scores with reasons (audited), totals, ranks,
points lost, the .xlsx export, scope, and a constant number of statements however many orgs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from io import BytesIO
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from app.assessment.periods import parse_quarter, quarter_bounds
from app.core.permissions import Role
from app.models import AuditEntry
from tests.assessment.test_sheets import sheet_body
from tests.factories import (
    World,
    make_case,
    make_reg_member,
    make_registration,
)

API = "/api/v1"
SHEETS = f"{API}/assessment/sheets"
ROUNDS = f"{API}/assessment/rounds"
# Xuchang's wall clock: UTC+8, no DST.
CST = timedelta(hours=8)


def local(y: int, mo: int, d: int, h: int, mi: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=UTC) - CST


class TestQuarters:
    def test_q4_runs_from_october_to_new_year_in_shanghai(self):
        start, end = quarter_bounds(2026, 4)
        assert start == datetime(2026, 9, 30, 16, tzinfo=UTC)
        assert end == datetime(2026, 12, 31, 16, tzinfo=UTC)

    def test_q1_starts_at_new_year_in_shanghai(self):
        assert quarter_bounds(2027, 1)[0] == quarter_bounds(2026, 4)[1]

    @pytest.mark.parametrize("text", ["2026-Q5", "2026Q4", "26-Q1", ""])
    def test_bad_quarter_text(self, text):
        with pytest.raises(ValueError):
            parse_quarter(text)


async def new_sheet(
    client: Any,
    headers: dict[str, str],
    org_id: int,
    kind: str,
    items: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    body = sheet_body(org_id, kind, **({"items": items} if items else {}))
    r = await client.post(SHEETS, headers=headers, json=body)
    assert r.status_code == 201, r.text
    return r.json()


async def apply(
    client: Any, headers: dict[str, str], sheet_id: int, org_id: int, quarter: str = "2026-Q4"
) -> Any:
    return await client.post(
        ROUNDS, headers=headers, json={"sheet_id": sheet_id, "org_id": org_id, "quarter": quarter}
    )


async def scores(client: Any, headers: dict[str, str], round_id: int) -> list[dict[str, Any]]:
    r = await client.get(f"{ROUNDS}/{round_id}/scores", headers=headers, params={"limit": 100})
    assert r.status_code == 200, r.text
    return list(r.json()["items"])


class TestComputedItems:
    async def test_case_rates_count_the_quarter_in_shanghai_time(
        self, client, auth, db, world: World
    ):
        grid, worker = world.grids[0], world.user(Role.grid_worker, "s1c1g1")
        start, end = quarter_bounds(2026, 4)
        already = [
            c
            for c in world.cases
            if c.community_id == world.communities[0].id and start <= c.reported_at < end
        ]
        async with db.writing() as s:
            for reported in (
                local(2026, 9, 30, 23, 30),  # Q3 in Xuchang (15:30 UTC)
                local(2026, 10, 1, 0, 30),  # Q4, though 30 Sept in UTC
                local(2026, 12, 31, 23, 30),  # Q4
                local(2027, 1, 1, 0, 30),
            ):  # next year, though 31 Dec in UTC
                due = reported + timedelta(hours=4)
                await make_case(
                    s,
                    grid,
                    worker,
                    reported_at=reported,
                    due_at=due,
                    status="closed",
                    closed_at=reported + timedelta(hours=1),
                )
            late = local(2026, 11, 2, 9)
            await make_case(
                s,
                grid,
                worker,
                reported_at=late,
                due_at=late + timedelta(hours=4),
                status="closed",
                closed_at=late + timedelta(days=3),
            )
            await s.commit()
        headers = auth(world.user(Role.street_admin, "s1"))
        sheet = await new_sheet(client, headers, world.streets[0].id, "community")
        r = await apply(client, headers, sheet["id"], world.streets[0].id)
        assert r.status_code == 201, r.text
        rnd = r.json()
        assert (rnd["quarter"], rnd["starts_at"][:19]) == ("2026-Q4", "2026-09-30T16:00:00")
        mine = {
            s["item_id"]: s
            for s in await scores(client, headers, rnd["id"])
            if s["org_id"] == world.communities[0].id
        }
        closure, on_time, regs, manual = (mine[i["id"]] for i in sheet["items"])
        reported = len(already) + 3  # 1 Oct 00:30, 31 Dec 23:30, 2 Nov
        assert closure["value"] == pytest.approx(3 / reported)
        assert closure["score"] == round(20 * 3 / reported, 2)
        assert on_time["value"] == pytest.approx(2 / 3)
        # The world's approved registration of the community, decided now (in Q4 too).
        assert regs["score"] == round(20 * min(1, regs["value"] / 10), 2)
        assert (manual["score"], manual["value"]) == (None, None)

    async def test_no_cases_loses_nothing(self, client, auth, world: World):
        # Grid branches under street 2 have only the world's open cases: closure has data,
        # on-time (of closed cases) has none and scores full marks.
        headers = auth(world.user(Role.street_admin, "s2"))
        sheet = await new_sheet(client, headers, world.streets[1].id, "grid_branch")
        rnd = (await apply(client, headers, sheet["id"], world.streets[1].id)).json()
        on_time_item = sheet["items"][1]["id"]
        rows = [s for s in await scores(client, headers, rnd["id"]) if s["item_id"] == on_time_item]
        assert len(rows) == 4
        assert all((s["value"], s["score"]) == (None, 20) for s in rows)

    async def test_registrations_approved_are_scored_against_the_target(
        self, client, auth, db, world: World
    ):
        community = world.communities[1]
        async with db.writing() as s:
            for seq in range(5):
                member = await make_reg_member(s, community, 700 + seq)
                await make_registration(s, member, community)
            await s.commit()
        headers = auth(world.user(Role.street_admin, "s1"))
        sheet = await new_sheet(client, headers, world.streets[0].id, "community")
        rnd = (await apply(client, headers, sheet["id"], world.streets[0].id)).json()
        regs = next(
            s
            for s in await scores(client, headers, rnd["id"])
            if s["org_id"] == community.id and s["item_id"] == sheet["items"][2]["id"]
        )
        # The world's approved registration of this community is decided now, in Q4 too.
        assert regs["value"] >= 5
        assert regs["score"] == round(20 * min(1, regs["value"] / 10), 2)

    async def test_statements_do_not_grow_with_the_orgs(
        self, client, auth, world: World, statements
    ):
        headers = auth(world.user(Role.district_admin))
        await client.get(ROUNDS, headers=headers)  # the caller's first request loads grants
        counts = []
        for kind, orgs in (("community", 4), ("grid_branch", 8)):
            sheet = await new_sheet(client, headers, world.root.id, kind)
            with statements:
                r = await apply(client, headers, sheet["id"], world.root.id)
            assert r.status_code == 201, r.text
            assert len(await scores(client, headers, r.json()["id"])) == 4 * orgs
            counts.append(statements.count)
        assert counts[0] == counts[1]


class TestApply:
    async def test_the_same_quarter_twice_is_409(self, client, auth, world: World):
        headers = auth(world.user(Role.street_admin, "s1"))
        sheet = await new_sheet(client, headers, world.streets[0].id, "community")
        assert (await apply(client, headers, sheet["id"], world.streets[0].id)).status_code == 201
        again = await apply(client, headers, sheet["id"], world.streets[0].id)
        assert (again.status_code, again.json()["code"]) == (409, "assessment_round_exists")

    async def test_a_quarter_outside_the_sheets_year_is_422(self, client, auth, world: World):
        headers = auth(world.user(Role.street_admin, "s1"))
        sheet = await new_sheet(client, headers, world.streets[0].id, "community")
        r = await apply(client, headers, sheet["id"], world.streets[0].id, "2027-Q1")
        assert r.status_code == 422

    async def test_a_round_above_the_sheets_org_is_422(self, client, auth, world: World):
        headers = auth(world.user(Role.district_admin))
        sheet = world.assessment_sheets[0]
        r = await apply(client, headers, sheet.id, world.root.id)
        assert r.status_code == 422


class TestManualScores:
    def _body(self, world: World, org: int = 0, **changes: Any) -> dict[str, Any]:
        return {
            "org_id": world.communities[org].id,
            "item_id": world.assessment_manual_items[0],
            "score": 60,
            "reason": "“三会一课”记录不全，扣10分",
            **changes,
        }

    async def test_assessor_scores_with_a_reason_and_it_is_audited(
        self, client, auth, db, world: World
    ):
        rnd = world.assessment_rounds[0]
        admin = world.user(Role.street_admin, "s1")
        r = await client.post(
            f"{ROUNDS}/{rnd.id}/scores", headers=auth(admin), json=self._body(world)
        )
        assert r.status_code == 200, r.text
        assert (r.json()["score"], r.json()["entered_by"]) == (60, admin.id)
        r = await client.post(
            f"{ROUNDS}/{rnd.id}/scores",
            headers=auth(admin),
            json=self._body(world, score=65, reason="补齐记录"),
        )
        assert r.json()["score"] == 65
        async with db.reading() as s:
            rows = (
                (
                    await s.execute(
                        select(AuditEntry)
                        .where(
                            AuditEntry.action == "assessment_score.enter",
                            AuditEntry.object_id == str(rnd.id),
                        )
                        .order_by(AuditEntry.id)
                    )
                )
                .scalars()
                .all()
            )
        assert [(e.detail or {}).get("previous") for e in rows][-2:] == [None, 60]
        assert rows[-1].detail and rows[-1].detail["reason"] == "补齐记录"

    @pytest.mark.parametrize("changes", [{"reason": "  "}, {"score": 71}, {"score": -1}])
    async def test_bad_scores_are_422(self, client, auth, world: World, changes):
        r = await client.post(
            f"{ROUNDS}/{world.assessment_rounds[0].id}/scores",
            headers=auth(world.user(Role.street_admin, "s1")),
            json=self._body(world, **changes),
        )
        assert r.status_code == 422, r.text

    async def test_a_computed_item_is_not_scored_by_hand(self, client, auth, world: World):
        sheet_items = await client.get(
            f"{SHEETS}/{world.assessment_sheets[0].id}",
            headers=auth(world.user(Role.street_admin, "s1")),
        )
        computed = sheet_items.json()["items"][0]["id"]
        r = await client.post(
            f"{ROUNDS}/{world.assessment_rounds[0].id}/scores",
            headers=auth(world.user(Role.street_admin, "s1")),
            json=self._body(world, item_id=computed),
        )
        assert (r.status_code, r.json()["code"]) == (409, "assessment_item_computed")

    async def test_an_org_outside_the_round_is_422(self, client, auth, world: World):
        r = await client.post(
            f"{ROUNDS}/{world.assessment_rounds[0].id}/scores",
            headers=auth(world.user(Role.street_admin, "s1")),
            json=self._body(world, org=2),
        )
        assert r.status_code == 422

    async def test_a_community_cannot_score_itself(self, client, auth, world: World):
        r = await client.post(
            f"{ROUNDS}/{world.assessment_rounds[0].id}/scores",
            headers=auth(world.user(Role.community_admin, "s1c1")),
            json=self._body(world),
        )
        # The assessed community reads the round (its own line), so the refusal is 403.
        assert r.status_code == 403


class TestResults:
    async def _score(self, client: Any, auth: Any, world: World, org: int, score: float) -> None:
        r = await client.post(
            f"{ROUNDS}/{world.assessment_rounds[0].id}/scores",
            headers=auth(world.user(Role.street_admin, "s1")),
            json={
                "org_id": world.communities[org].id,
                "item_id": world.assessment_manual_items[0],
                "score": score,
                "reason": "评分",
            },
        )
        assert r.status_code == 200, r.text

    async def test_totals_ranks_and_points_lost(self, client, auth, world: World):
        await self._score(client, auth, world, 0, 50)
        await self._score(client, auth, world, 1, 62.5)
        r = await client.get(
            f"{ROUNDS}/{world.assessment_rounds[0].id}/results",
            headers=auth(world.user(Role.street_admin, "s1")),
        )
        assert r.status_code == 200, r.text
        first, second = r.json()["items"]
        assert (first["org_id"], first["rank"], first["total"]) == (
            world.communities[1].id,
            1,
            92.5,
        )
        assert (second["rank"], second["total"], second["lost"]) == (2, 80, 20)
        assert [i["lost"] for i in second["items"]] == [0, 20]
        assert second["complete"] is True

    async def test_equal_totals_share_a_rank(self, client, auth, world: World):
        await self._score(client, auth, world, 0, 40)
        await self._score(client, auth, world, 1, 40)
        r = await client.get(
            f"{ROUNDS}/{world.assessment_rounds[0].id}/results",
            headers=auth(world.user(Role.street_admin, "s1")),
        )
        assert [o["rank"] for o in r.json()["items"]] == [1, 1]

    async def test_unscored_items_count_zero_and_mark_incomplete(self, client, auth, world: World):
        r = await client.get(
            f"{ROUNDS}/{world.assessment_rounds[1].id}/results",
            headers=auth(world.user(Role.street_admin, "s2")),
        )
        assert all(o["total"] == 30 and not o["complete"] for o in r.json()["items"])

    @pytest.mark.parametrize(("lang", "first"), [("zh", "名次"), ("en", "Rank")])
    async def test_xlsx_in_the_callers_language(self, client, auth, world: World, lang, first):
        await self._score(client, auth, world, 0, 50)
        r = await client.get(
            f"{ROUNDS}/{world.assessment_rounds[0].id}/results.xlsx",
            headers=auth(world.user(Role.street_admin, "s1"), **{"Accept-Language": lang}),
        )
        assert r.status_code == 200, r.text
        assert r.headers["content-type"].startswith(
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        )
        rows = list(load_workbook(BytesIO(r.content)).active.iter_rows(values_only=True))
        assert rows[0][0] == first and len(rows) == 3
        assert rows[0][5] == "案件办结率"


class TestScope:
    async def test_street_a_does_not_see_street_b(self, client, auth, world: World):
        headers = auth(world.user(Role.street_admin, "s1"))
        items = (await client.get(ROUNDS, headers=headers)).json()["items"]
        assert [r["id"] for r in items] == [world.assessment_rounds[0].id]
        other = world.assessment_rounds[1].id
        for url in (
            f"{ROUNDS}/{other}",
            f"{ROUNDS}/{other}/results",
            f"{ROUNDS}/{other}/scores",
            f"{ROUNDS}/{other}/results.xlsx",
        ):
            assert (await client.get(url, headers=headers)).status_code == 404, url

    async def test_a_district_round_shows_a_street_assessor_nothing(
        self, client, auth, world: World
    ):
        district = auth(world.user(Role.district_admin))
        sheet = await new_sheet(client, district, world.root.id, "community")
        rnd = (await apply(client, district, sheet["id"], world.root.id)).json()
        r = await client.get(
            f"{ROUNDS}/{rnd['id']}", headers=auth(world.user(Role.street_admin, "s1"))
        )
        assert r.status_code == 404
        everything = await client.get(f"{ROUNDS}/{rnd['id']}/results", headers=district)
        assert len(everything.json()["items"]) == 4


class TestQuery:
    @pytest.mark.parametrize("quarter", ["2026-Q9", "Q4", "2026-q4"])
    async def test_a_bad_quarter_filter_is_422(self, client, auth, world: World, quarter):
        r = await client.get(
            ROUNDS, params={"quarter": quarter}, headers=auth(world.user(Role.street_admin, "s1"))
        )
        assert r.status_code == 422, r.text

    async def test_the_quarter_filter(self, client, auth, world: World):
        headers = auth(world.user(Role.street_admin, "s1"))
        q4 = (await client.get(ROUNDS, params={"quarter": "2026-Q4"}, headers=headers)).json()
        q3 = (await client.get(ROUNDS, params={"quarter": "2026-Q3"}, headers=headers)).json()
        assert [r["id"] for r in q4["items"]] == [world.assessment_rounds[0].id]
        assert q3["items"] == []


async def test_task_reports_on_time_per_community(db, world: World):
    """The key tasks' computed metric: of the progress reports a community filed for the
    quarter's weeks, the share on time — one late report of two halves it; weeks of the next
    quarter do not count."""
    from app.assessment.rounds.metrics import MetricScope, get_metric
    from app.models import TaskReport

    metric = get_metric("task_reports_on_time")
    assert metric is not None and metric.unit == "rate"
    community = world.communities[0]
    report = next(r for r in world.task_reports
                  if any(t.id == r.task_id and t.org_id == community.id for t in world.tasks))
    start, end = quarter_bounds(2026, 4)
    scope = MetricScope(world.root.path, "community", start, end)
    async with db.reading() as s:
        before = await metric.compute(s, scope)
    assert before[community.id] == 1.0
    async with db.writing() as s:
        twin = TaskReport(**{c.key: getattr(report, c.key) for c in TaskReport.__table__.c
                             if c.key not in ("id", "week", "week_start", "late")},
                          week="2026-W49", week_start=report.week_start + timedelta(days=7),
                          late=True)
        s.add(twin)
        nextq = TaskReport(**{c.key: getattr(report, c.key) for c in TaskReport.__table__.c
                              if c.key not in ("id", "week", "week_start", "late")},
                           week="2027-W02", week_start=report.week_start + timedelta(days=49),
                           late=True)
        s.add(nextq)
    async with db.reading() as s:
        after = await metric.compute(s, scope)
    assert after[community.id] == 0.5


async def test_week_53_counts_in_the_quarter_of_its_monday(db, world: World):
    """2026-W53 runs Mon 28 Dec 2026 – Sun 3 Jan 2027 (New Year in it, Shanghai dates): its
    report counts in 2026-Q4, not in 2027-Q1."""
    from app.assessment.rounds.metrics import MetricScope, get_metric
    from app.models import TaskReport
    from app.tasks.weeks import Week

    metric = get_metric("task_reports_on_time")
    assert metric is not None
    community = world.communities[0]
    report = next(r for r in world.task_reports
                  if any(t.id == r.task_id and t.org_id == community.id for t in world.tasks))
    w53 = Week.parse("2026-W53")
    assert str(w53.monday) == "2026-12-28"
    async with db.writing() as s:
        s.add(TaskReport(**{c.key: getattr(report, c.key) for c in TaskReport.__table__.c
                            if c.key not in ("id", "week", "week_start", "late")},
                         week=str(w53), week_start=w53.monday, late=True))
    q4 = MetricScope(world.root.path, "community", *quarter_bounds(2026, 4))
    q1 = MetricScope(world.root.path, "community", *quarter_bounds(2027, 1))
    async with db.reading() as s:
        assert (await metric.compute(s, q4))[community.id] == 0.5
        assert community.id not in await metric.compute(s, q1)
