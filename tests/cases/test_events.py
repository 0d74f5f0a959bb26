"""Case changes publish webhook events and tell the people concerned, in the same transaction."""

from __future__ import annotations

from sqlalchemy import select

from app.core.permissions import Role
from app.models import Notification, OutboxEvent
from tests.cases.helpers import act, report
from tests.factories import World

API = "/api/v1"


async def _fanouts(db) -> list[dict]:
    async with db.writing() as s:
        rows = (await s.execute(select(OutboxEvent).where(
            OutboxEvent.topic == "webhook.fanout").order_by(OutboxEvent.id))).scalars()
        return [r.payload for r in rows]


class TestEvents:
    async def test_report_publishes_case_created(self, client, auth, world: World, db):
        case = await report(client, auth, world)
        [event] = [e for e in await _fanouts(db) if e["data"]["id"] == case["id"]]
        assert event["type"] == "case.created" and event["org_path"] == case["org_path"]
        assert "reporter_id" not in event["data"]  # third parties never get the reporter

    async def test_transition_publishes_and_tells_the_reporter(self, client, auth,
                                                              world: World, db):
        case = await report(client, auth, world)
        operator = world.user(Role.command_operator)
        await act(client, auth, operator, case["id"], "accept")
        changed = [e for e in await _fanouts(db)
                   if e["type"] == "case.status_changed" and e["data"]["id"] == case["id"]]
        assert [(e["data"]["from_status"], e["data"]["status"]) for e in changed] == [
            ("reported", "accepted")]
        reporter = world.user(Role.grid_worker, "s1c1g1")
        inbox = await client.get(f"{API}/notifications", headers=auth(reporter))
        titles = [n["title"] for n in inbox.json()["items"] if n["case_id"] == case["id"]]
        assert titles == [f"案件 {case['code']} 已受理"]

    async def test_no_notice_for_your_own_action(self, client, auth, world: World, db):
        case = await report(client, auth, world)
        admin = world.user(Role.community_admin, "s1c1")
        await act(client, auth, admin, case["id"], "accept")
        async with db.writing() as s:
            mine = (await s.execute(select(Notification).where(
                Notification.user_id == admin.id))).scalars().all()
        assert mine == []

    async def test_dispatch_tells_the_assignee(self, client, auth, world: World):
        case = await report(client, auth, world)
        operator = world.user(Role.command_operator)
        await act(client, auth, operator, case["id"], "accept")
        head = world.user(Role.grid_head, "s1c1g1")
        await act(client, auth, operator, case["id"], "dispatch", org_id=world.branches[0].id,
                  assignee_id=head.id)
        inbox = await client.get(f"{API}/notifications", headers=auth(head))
        assert any(n["kind"] == "case_assigned" and n["case_id"] == case["id"]
                   for n in inbox.json()["items"])
