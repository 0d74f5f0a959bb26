"""A timeline a worker can read: timeline entries and case reads carry each actor's display
name — in full inside the caller's scope, masked outside it — and the role they acted in."""

from __future__ import annotations

from typing import Any

from sqlalchemy import update

from app.cases.actors import closest_role
from app.core.crypto import mask_name
from app.core.permissions import Role
from app.models import CaseEvent
from tests.cases.helpers import API, act, report, timeline
from tests.factories import World


async def closed_case(client: Any, auth: Any, world: World) -> dict[str, Any]:
    """Reported and verified by the grid's worker, handled by the community's liaison."""
    worker = world.user(Role.grid_worker, "s1c1g1")
    liaison = world.user(Role.unit_liaison, "s1c1")
    operator = world.user(Role.command_operator)
    case = await report(client, auth, world)
    await act(client, auth, operator, case["id"], "accept")
    await act(
        client,
        auth,
        operator,
        case["id"],
        "dispatch",
        org_id=world.communities[0].id,
        assignee_id=liaison.id,
    )
    await act(client, auth, liaison, case["id"], "start")
    await act(client, auth, liaison, case["id"], "resolve", note="已修复")
    return await act(client, auth, worker, case["id"], "verify")


class TestTimeline:
    async def test_names_and_roles_of_each_step(self, client, auth, world: World):
        case = await closed_case(client, auth, world)
        admin = world.user(Role.district_admin)
        steps = await timeline(client, auth, admin, case["id"])
        worker = world.user(Role.grid_worker, "s1c1g1")
        liaison = world.user(Role.unit_liaison, "s1c1")
        operator = world.user(Role.command_operator)
        # The district admin's scope covers everyone: names in full.
        assert [(s["action"], s["actor_name"], s["actor_role"]) for s in steps] == [
            ("report", worker.display_name, "grid_worker"),
            ("accept", operator.display_name, "command_operator"),
            ("dispatch", operator.display_name, "command_operator"),
            ("start", liaison.display_name, "unit_liaison"),
            ("resolve", liaison.display_name, "unit_liaison"),
            ("verify", worker.display_name, "grid_worker"),
        ]
        # The existing fields stay as they were.
        assert steps[0]["actor"] == f"user:{worker.id}" and steps[0]["actor_id"] == worker.id

    async def test_names_outside_the_callers_scope_are_masked(self, client, auth, world: World):
        case = await closed_case(client, auth, world)
        worker = world.user(Role.grid_worker, "s1c1g1")
        steps = await timeline(client, auth, worker, case["id"])
        by_action = {s["action"]: s for s in steps}
        # Their own entries in full; the command center (district) and the liaison
        # (community) live outside a grid worker's grid: masked, roles still shown.
        assert by_action["report"]["actor_name"] == worker.display_name
        operator = world.user(Role.command_operator)
        assert by_action["accept"]["actor_name"] == mask_name(operator.display_name)
        assert by_action["accept"]["actor_name"] != operator.display_name
        liaison = world.user(Role.unit_liaison, "s1c1")
        assert by_action["resolve"]["actor_name"] == mask_name(liaison.display_name)
        assert by_action["resolve"]["actor_role"] == "unit_liaison"

    async def test_community_admin_sees_its_liaison_in_full(self, client, auth, world: World):
        case = await closed_case(client, auth, world)
        steps = await timeline(client, auth, world.user(Role.community_admin, "s1c1"), case["id"])
        liaison = world.user(Role.unit_liaison, "s1c1")
        assert {s["actor_name"] for s in steps if s["action"] == "start"} == {liaison.display_name}

    async def test_an_entry_written_before_roles_were_kept(self, client, auth, world: World, db):
        case = await report(client, auth, world)
        async with db.writing() as s:
            await s.execute(
                update(CaseEvent).where(CaseEvent.case_id == case["id"]).values(actor_role=None)
            )
            await s.commit()
        [step] = await timeline(client, auth, world.user(Role.district_admin), case["id"])
        assert step["actor_role"] == "grid_worker"  # the role held at the case now

    async def test_system_entries_are_named(self, client, auth, world: World, db):
        case = await report(client, auth, world)
        async with db.writing() as s:
            s.add(
                CaseEvent(
                    case_id=case["id"],
                    action="escalate",
                    from_status="reported",
                    to_status="reported",
                    actor="system",
                    data={"level": 1},
                )
            )
            await s.commit()
        steps = await timeline(client, auth, world.user(Role.district_admin), case["id"])
        assert (steps[-1]["actor_name"], steps[-1]["actor_role"]) == ("系统", None)

    async def test_statements_do_not_grow_with_the_steps(
        self, client, auth, world: World, statements
    ):
        short = await report(client, auth, world)
        long = await closed_case(client, auth, world)
        admin = world.user(Role.district_admin)
        counts = []
        for case in (short, long):
            await timeline(client, auth, admin, case["id"])
            with statements:
                await timeline(client, auth, admin, case["id"])
            counts.append(statements.count)
        assert counts[0] == counts[1]


class TestCaseRead:
    async def test_reporter_and_assignee_have_names_and_roles(self, client, auth, world: World):
        closed = await closed_case(client, auth, world)
        worker = world.user(Role.grid_worker, "s1c1g1")
        liaison = world.user(Role.unit_liaison, "s1c1")
        assert (closed["reporter_name"], closed["reporter_role"]) == (
            worker.display_name,
            "grid_worker",
        )
        assert closed["assignee_name"] == mask_name(liaison.display_name)  # as the worker
        assert closed["assignee_role"] == "unit_liaison"
        admin = auth(world.user(Role.district_admin))
        one = (await client.get(f"{API}/cases/{closed['id']}", headers=admin)).json()
        page = (await client.get(f"{API}/cases", params={"limit": 100}, headers=admin)).json()
        [listed] = [c for c in page["items"] if c["id"] == closed["id"]]
        for read in (one, listed):
            assert (read["reporter_name"], read["reporter_role"]) == (
                worker.display_name,
                "grid_worker",
            )
            assert (read["assignee_name"], read["assignee_role"]) == (
                liaison.display_name,
                "unit_liaison",
            )
            assert read["reporter_id"] == worker.id and read["assignee_id"] == liaison.id

    async def test_a_new_report_names_its_reporter(self, client, auth, world: World):
        case = await report(client, auth, world)
        worker = world.user(Role.grid_worker, "s1c1g1")
        assert (case["reporter_name"], case["reporter_role"]) == (
            worker.display_name,
            "grid_worker",
        )
        assert (case["assignee_name"], case["assignee_role"]) == (None, None)


class TestClosestRole:
    def test_the_deepest_related_node_wins(self):
        roles = [("district_admin", "/1/"), ("grid_worker", "/1/2/3/"), ("member", "/1/9/")]
        assert closest_role(roles, ["/1/2/3/"]) == "grid_worker"
        assert closest_role(roles, ["/1/2/4/"]) == "district_admin"

    def test_a_role_below_the_handler_org_counts(self):
        # A grid worker of the community a case was dispatched to.
        assert closest_role([("grid_worker", "/1/2/3/")], ["/1/2/"]) == "grid_worker"

    def test_unrelated_roles_are_none(self):
        assert closest_role([("grid_worker", "/1/2/3/")], ["/1/5/", None]) is None
