"""Scoring a quarter for every community under a node is a constant number of statements
(issue 14): applying a round, reading its results and recomputing it cost the same at 3
communities as at 30, with cases, key-task reports and registrations under every community so
each computed metric has data to group (an empty metric would prove nothing)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.permissions import Role
from app.core.types import utcnow
from app.models import Org
from app.orgs import service as orgs
from app.orgs.schemas import OrgKind
from tests.assessment.test_rounds import ROUNDS, apply, new_sheet
from tests.assessment.test_sheets import ITEMS
from tests.factories import World, make_case, make_grid, make_reg_member, make_registration
from tests.factories_steering import make_report, make_task

# Every registered metric, so each one's statement is in the count.
SCALE_ITEMS: list[dict[str, Any]] = [
    *ITEMS,
    {"name": "重点任务按时报送", "weight": 1, "max_score": 10, "source": "computed",
     "metric": "task_reports_on_time"},
]


async def _street_with(session: AsyncSession, world: World, n: int, seq: int) -> Org:
    """A new street under the district with `n` communities, each holding a grid with a closed
    case, a key task reported on once and an approved registration."""
    street = await orgs.add_node(session, None, world.root, OrgKind.street, f"规模街道{n}", None)
    worker = world.user(Role.grid_worker, "s1c1g1")
    now = utcnow()
    for i in range(n):
        community = await orgs.add_node(session, None, street, OrgKind.community,
                                        f"规模社区{n}-{i}", None)
        w = 115.0 + 0.02 * i + seq
        grid, _ = await make_grid(session, community, f"规模网格{n}-{i}",
                                  (w, 30.0, w + 0.01, 30.01))
        await make_case(session, grid, worker, status="closed",
                        closed_at=now - timedelta(minutes=i), reported_at=now - timedelta(hours=1),
                        due_at=now + timedelta(hours=3))
        task, named = await make_task(session, community, seq=i + 1)
        await make_report(session, task, named)
        member = await make_reg_member(session, community, 500 + 40 * seq + i)  # unique ID numbers
        await make_registration(session, member, community)
    return street


async def test_scoring_a_quarter_costs_the_same_at_3_and_30_communities(
    client: Any, auth: Any, db: Any, world: World, statements: Any
) -> None:
    headers = auth(world.user(Role.district_admin))
    await client.get(ROUNDS, headers=headers)  # the caller's first request loads grants
    counts: dict[str, list[int]] = {"apply": [], "results": [], "recompute": []}
    for seq, n in enumerate((3, 30)):
        async with db.writing() as s:
            street = await _street_with(s, world, n, seq)
            await s.commit()
        sheet = await new_sheet(client, headers, street.id, "community", SCALE_ITEMS)
        with statements:
            r = await apply(client, headers, sheet["id"], street.id)
        assert r.status_code == 201, r.text
        counts["apply"].append(statements.count)
        rnd = r.json()["id"]
        with statements:
            res = await client.get(f"{ROUNDS}/{rnd}/results", headers=headers)
        counts["results"].append(statements.count)
        lines = res.json()["items"]
        assert len(lines) == n
        # Every metric had data for every community (a rate of None would score full marks
        # and a missing metric row would not cost a grouped row).
        for line in lines:
            values = {i["name"]: i["value"] for i in line["items"] if i["source"] == "computed"}
            assert all(v is not None and v > 0 for v in values.values()), values
        with statements:
            r = await client.post(f"{ROUNDS}/{rnd}/recompute", headers=headers)
        assert r.status_code == 200, r.text
        counts["recompute"].append(statements.count)
    # Today: apply 14, results 3, recompute 13 on both databases (principal cached).
    for what, (small, large) in counts.items():
        assert small == large, (what, counts)
