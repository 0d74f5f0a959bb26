"""POST /cases/{id}/transitions and GET /cases/{id}/timeline: the whole loop, every path off
it, and who may do what from which status."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import update

from app.cases import repository
from app.core.permissions import Role
from app.core.types import utcnow
from app.models import Case
from tests.cases.helpers import API, act, report, timeline
from tests.factories import World, make_case


def operator(world: World) -> Any:
    return world.user(Role.command_operator)


async def dispatched(client: Any, auth: Any, world: World, *, org_id: int | None = None,
                     assignee_id: int | None = None, key: str = "s1c1g1") -> dict[str, Any]:
    """A case of grid `key`, accepted and dispatched by the command center (by default to the
    grid's community, no assignee)."""
    case = await report(client, auth, world, key)
    await act(client, auth, operator(world), case["id"], "accept")
    community = world.communities[int(key[1]) * 2 + int(key[3]) - 3]
    return await act(client, auth, operator(world), case["id"], "dispatch",
                     org_id=org_id or community.id, assignee_id=assignee_id)


async def resolved(client: Any, auth: Any, world: World) -> dict[str, Any]:
    case = await dispatched(client, auth, world)
    liaison = world.user(Role.unit_liaison, "s1c1")
    await act(client, auth, liaison, case["id"], "start")
    return await act(client, auth, liaison, case["id"], "resolve", note="已修复")


class TestWholeLoop:
    async def test_report_to_closed(self, client, auth, world: World):
        worker = world.user(Role.grid_worker, "s1c1g1")
        liaison = world.user(Role.unit_liaison, "s1c1")
        case = await report(client, auth, world)
        cid = case["id"]

        accepted = await act(client, auth, operator(world), cid, "accept", note="立案")
        assert accepted["status"] == "accepted" and accepted["accepted_at"]
        sent = await act(client, auth, operator(world), cid, "dispatch",
                         org_id=world.communities[0].id, assignee_id=liaison.id)
        assert sent["status"] == "dispatched" and sent["dispatched_at"]
        assert (sent["handler_org_id"], sent["assignee_id"]) == (world.communities[0].id,
                                                                  liaison.id)
        started = await act(client, auth, liaison, cid, "start")
        assert started["status"] == "in_progress"
        done = await act(client, auth, liaison, cid, "resolve", note="已更换井盖")
        assert done["status"] == "resolved" and done["resolved_at"]
        closed = await act(client, auth, worker, cid, "verify", note="核查属实")
        assert closed["status"] == "closed"
        assert closed["closed_at"] and closed["light"] == "green" and not closed["overdue"]
        assert closed["version"] == case["version"] + 5

        steps = await timeline(client, auth, worker, cid)
        assert [(s["action"], s["from_status"], s["to_status"]) for s in steps] == [
            ("report", None, "reported"),
            ("accept", "reported", "accepted"),
            ("dispatch", "accepted", "dispatched"),
            ("start", "dispatched", "in_progress"),
            ("resolve", "in_progress", "resolved"),
            ("verify", "resolved", "closed"),
        ]
        assert [s["actor_id"] for s in steps] == [worker.id, operator(world).id,
                                                  operator(world).id, liaison.id, liaison.id,
                                                  worker.id]
        assert [s["note"] for s in steps] == [None, "立案", None, None, "已更换井盖", "核查属实"]
        assert steps[2]["data"] == {"org_id": world.communities[0].id, "assignee_id": liaison.id}
        assert [s["at"] for s in steps] == sorted(s["at"] for s in steps)

    async def test_community_admin_accepts_and_dispatches(self, client, auth, world: World):
        admin = world.user(Role.community_admin, "s1c1")
        case = await report(client, auth, world)
        await act(client, auth, admin, case["id"], "accept")
        sent = await act(client, auth, admin, case["id"], "dispatch",
                         org_id=world.branches[0].id,
                         assignee_id=world.user(Role.grid_worker, "s1c1g1").id)
        assert sent["handler_org_id"] == world.branches[0].id

    async def test_handler_org_staff_start_without_being_the_assignee(self, client, auth,
                                                                      world: World):
        case = await dispatched(client, auth, world,
                                assignee_id=world.user(Role.unit_liaison, "s1c1").id)
        started = await act(client, auth, world.user(Role.community_admin, "s1c1"), case["id"],
                            "start")
        assert started["status"] == "in_progress"

    async def test_assignee_below_the_handler_org_starts(self, client, auth, world: World):
        # Dispatched to the community, assigned to one of its grid workers.
        worker = world.user(Role.grid_worker, "s1c1g1")
        case = await dispatched(client, auth, world, assignee_id=worker.id)
        assert (await act(client, auth, worker, case["id"], "start"))["status"] == "in_progress"

    async def test_command_operator_verifies(self, client, auth, world: World):
        case = await resolved(client, auth, world)
        closed = await act(client, auth, operator(world), case["id"], "verify")
        assert closed["status"] == "closed"

    async def test_etag_follows_each_version(self, client, auth, world: World):
        case = await report(client, auth, world)
        r = await client.post(f"{API}/cases/{case['id']}/transitions",
                              headers=auth(operator(world), **{"If-Match": '"1"'}),
                              json={"action": "accept"})
        assert r.status_code == 200
        assert r.headers["etag"] == '"2"' and r.json()["version"] == 2


class TestDispatchedElsewhere:
    """A case of street 1 dispatched to a community of street 2."""

    async def test_handler_org_people_see_and_start_it(self, client, auth, world: World):
        case = await dispatched(client, auth, world, org_id=world.communities[2].id)
        for role in (Role.community_admin, Role.unit_liaison):
            user = world.user(role, "s2c1")
            r = await client.get(f"{API}/cases/{case['id']}", headers=auth(user))
            assert r.status_code == 200, role
            listed = await client.get(f"{API}/cases", headers=auth(user))
            assert case["id"] in [c["id"] for c in listed.json()["items"]], role
        started = await act(client, auth, world.user(Role.unit_liaison, "s2c1"), case["id"],
                            "start")
        assert started["status"] == "in_progress"

    async def test_other_community_does_not_see_it(self, client, auth, world: World):
        case = await dispatched(client, auth, world, org_id=world.communities[2].id)
        r = await client.get(f"{API}/cases/{case['id']}",
                             headers=auth(world.user(Role.unit_liaison, "s2c2")))
        assert r.status_code == 404

    async def test_handler_cannot_dispatch_it_on(self, client, auth, world: World):
        # The handler org's admin holds cases:dispatch only on its own subtree, not the case's.
        case = await dispatched(client, auth, world, org_id=world.communities[2].id)
        r = await client.post(f"{API}/cases/{case['id']}/transitions",
                              headers=auth(world.user(Role.community_admin, "s2c1")),
                              json={"action": "suspend", "note": "x"})
        assert r.status_code == 403

    async def test_returned_case_leaves_the_handler(self, client, auth, world: World):
        case = await dispatched(client, auth, world, org_id=world.communities[2].id)
        liaison = world.user(Role.unit_liaison, "s2c1")
        await act(client, auth, liaison, case["id"], "return", note="不属本单位职责")
        r = await client.get(f"{API}/cases/{case['id']}", headers=auth(liaison))
        assert r.status_code == 404

    async def test_assignee_sees_it_by_assignment(self, client, auth, world: World):
        worker = world.user(Role.grid_worker, "s1c1g2")
        case = await dispatched(client, auth, world, assignee_id=worker.id)
        r = await client.get(f"{API}/cases/{case['id']}", headers=auth(worker))
        assert r.status_code == 200


class TestDispatch:
    async def test_needs_org(self, client, auth, world: World):
        case = await report(client, auth, world)
        await act(client, auth, operator(world), case["id"], "accept")
        r = await client.post(f"{API}/cases/{case['id']}/transitions",
                              headers=auth(operator(world)), json={"action": "dispatch"})
        assert r.status_code == 422
        assert r.json()["errors"][0]["field"] == "org_id"

    async def test_org_outside_the_dispatchers_view_is_404(self, client, auth, world: World):
        admin = world.user(Role.community_admin, "s1c1")
        case = await report(client, auth, world)
        await act(client, auth, admin, case["id"], "accept")
        r = await client.post(f"{API}/cases/{case['id']}/transitions", headers=auth(admin),
                              json={"action": "dispatch", "org_id": world.communities[2].id})
        assert r.status_code == 404

    async def test_unknown_assignee_is_422(self, client, auth, world: World):
        case = await report(client, auth, world)
        await act(client, auth, operator(world), case["id"], "accept")
        r = await client.post(f"{API}/cases/{case['id']}/transitions",
                              headers=auth(operator(world)),
                              json={"action": "dispatch", "org_id": world.communities[0].id,
                                    "assignee_id": 2_000_000_000})
        assert r.status_code == 422, r.text
        assert r.json()["errors"][0]["field"] == "assignee_id"

    async def test_assignee_who_cannot_handle_there_is_422(self, client, auth, world: World):
        # A grid worker of street 2 is no handler of a community in street 1; nor is a member.
        case = await report(client, auth, world)
        await act(client, auth, operator(world), case["id"], "accept")
        for who in (world.user(Role.grid_worker, "s2c1g1"), world.user(Role.member, "s1c1")):
            r = await client.post(f"{API}/cases/{case['id']}/transitions",
                                  headers=auth(operator(world)),
                                  json={"action": "dispatch",
                                        "org_id": world.communities[0].id,
                                        "assignee_id": who.id})
            assert r.status_code == 422, r.text
            assert r.json()["errors"][0]["field"] == "assignee_id"


class TestPaths:
    async def test_reject_needs_a_note(self, client, auth, world: World):
        case = await report(client, auth, world)
        r = await client.post(f"{API}/cases/{case['id']}/transitions",
                              headers=auth(operator(world)), json={"action": "reject"})
        assert r.status_code == 422
        assert r.json()["errors"][0]["field"] == "note"
        blank = await client.post(f"{API}/cases/{case['id']}/transitions",
                                  headers=auth(operator(world)),
                                  json={"action": "reject", "note": "   "})
        assert blank.status_code == 422

    async def test_reject(self, client, auth, world: World):
        case = await report(client, auth, world)
        done = await act(client, auth, operator(world), case["id"], "reject", note="重复上报")
        assert done["status"] == "rejected"
        assert done["closed_at"] is not None
        steps = await timeline(client, auth, operator(world), case["id"])
        assert (steps[-1]["action"], steps[-1]["note"]) == ("reject", "重复上报")

    async def test_rejected_case_keeps_its_light(self, client, auth, world: World, db):
        # Rejected on time: the light must not turn red later, when the deadline passes.
        async with db.writing() as s:
            case = await make_case(s, world.grids[0], world.user(Role.grid_worker, "s1c1g1"))
            await s.commit()
        done = await act(client, auth, operator(world), case.id, "reject", note="不属于受理范围")
        # As if all that happened yesterday, an hour before the deadline.
        day = timedelta(days=1)
        closed_at = datetime.fromisoformat(done["closed_at"]) - day
        async with db.writing() as s:
            await s.execute(update(Case).where(Case.id == case.id).values(
                reported_at=case.reported_at - day, closed_at=closed_at,
                due_at=closed_at + timedelta(hours=1)))
            await s.commit()
        r = await client.get(f"{API}/cases/{case.id}", headers=auth(operator(world)))
        assert (r.json()["light"], r.json()["overdue"]) == ("green", False)

    async def test_return_needs_a_note(self, client, auth, world: World):
        case = await dispatched(client, auth, world)
        r = await client.post(f"{API}/cases/{case['id']}/transitions",
                              headers=auth(world.user(Role.unit_liaison, "s1c1")),
                              json={"action": "return"})
        assert r.status_code == 422

    async def test_return_goes_back_to_the_command_center(self, client, auth, world: World):
        case = await dispatched(client, auth, world,
                                assignee_id=world.user(Role.unit_liaison, "s1c1").id)
        back = await act(client, auth, world.user(Role.unit_liaison, "s1c1"), case["id"],
                         "return", note="非本单位职责")
        assert back["status"] == "accepted"
        assert back["return_count"] == 1
        assert (back["handler_org_id"], back["assignee_id"]) == (None, None)
        again = await act(client, auth, operator(world), case["id"], "dispatch",
                          org_id=world.communities[0].id)
        assert again["status"] == "dispatched"

    async def test_rework(self, client, auth, world: World):
        case = await resolved(client, auth, world)
        worker = world.user(Role.grid_worker, "s1c1g1")
        r = await client.post(f"{API}/cases/{case['id']}/transitions", headers=auth(worker),
                              json={"action": "rework"})
        assert r.status_code == 422
        again = await act(client, auth, worker, case["id"], "rework", note="井盖仍松动")
        assert again["status"] == "in_progress"
        assert (again["rework_count"], again["resolved_at"]) == (1, None)
        liaison = world.user(Role.unit_liaison, "s1c1")
        await act(client, auth, liaison, case["id"], "resolve")
        assert (await act(client, auth, worker, case["id"], "verify"))["status"] == "closed"

    async def test_suspend_needs_a_note(self, client, auth, world: World):
        case = await dispatched(client, auth, world)
        r = await client.post(f"{API}/cases/{case['id']}/transitions",
                              headers=auth(world.user(Role.community_admin, "s1c1")),
                              json={"action": "suspend"})
        assert r.status_code == 422

    async def test_grid_worker_cannot_suspend(self, client, auth, world: World):
        case = await dispatched(client, auth, world)
        r = await client.post(f"{API}/cases/{case['id']}/transitions",
                              headers=auth(world.user(Role.grid_worker, "s1c1g1")),
                              json={"action": "suspend", "note": "等待"})
        assert r.status_code == 403

    async def test_command_operator_cannot_suspend(self, client, auth, world: World):
        case = await dispatched(client, auth, world)
        r = await client.post(f"{API}/cases/{case['id']}/transitions",
                              headers=auth(operator(world)),
                              json={"action": "suspend", "note": "等待"})
        assert r.status_code == 403

    async def test_suspend_and_resume_where_it_was(self, client, auth, world: World):
        admin = world.user(Role.community_admin, "s1c1")
        liaison = world.user(Role.unit_liaison, "s1c1")
        case = await dispatched(client, auth, world)
        await act(client, auth, liaison, case["id"], "start")
        held = await act(client, auth, admin, case["id"], "suspend", note="待产权单位确认")
        assert held["status"] == "suspended"
        back = await act(client, auth, admin, case["id"], "resume")
        assert back["status"] == "in_progress"
        steps = await timeline(client, auth, admin, case["id"])
        assert [(s["from_status"], s["to_status"]) for s in steps[-2:]] == [
            ("in_progress", "suspended"), ("suspended", "in_progress")]

    async def test_suspended_from_accepted_resumes_accepted(self, client, auth, world: World):
        admin = world.user(Role.street_admin, "s1")
        case = await report(client, auth, world)
        await act(client, auth, admin, case["id"], "accept")
        await act(client, auth, admin, case["id"], "suspend", note="等待")
        assert (await act(client, auth, admin, case["id"], "resume"))["status"] == "accepted"

    async def test_resume_pushes_the_deadline_back(self, client, auth, world: World, db):
        admin = world.user(Role.community_admin, "s1c1")
        case = await dispatched(client, auth, world)
        held = await act(client, auth, admin, case["id"], "suspend", note="等待")
        # Suspended for two weeks: whatever the holidays, that holds working hours.
        async with db.writing() as s:
            await s.execute(update(Case).where(Case.id == case["id"])
                            .values(suspended_at=utcnow() - timedelta(days=14)))
            await s.commit()
        back = await act(client, auth, admin, case["id"], "resume")
        assert back["status"] == "dispatched"
        due_before = datetime.fromisoformat(held["due_at"])
        assert datetime.fromisoformat(back["due_at"]) >= due_before + timedelta(days=7)

    async def test_suspended_case_is_not_overdue(self, client, auth, world: World):
        admin = world.user(Role.community_admin, "s1c1")
        case = await dispatched(client, auth, world)
        held = await act(client, auth, admin, case["id"], "suspend", note="等待")
        assert not held["overdue"]

    async def test_self_resolve_with_a_photo(self, client, auth, world: World):
        worker = world.user(Role.grid_worker, "s1c1g1")
        # The world's case already carries its photo.
        done = await act(client, auth, worker, world.cases[0].id, "self_resolve",
                         note="现场已处理")
        assert done["status"] == "closed"
        assert done["closed_at"] and done["resolved_at"]

    async def test_self_resolve_without_evidence_is_422(self, client, auth, world: World):
        worker = world.user(Role.grid_worker, "s1c1g1")
        case = await report(client, auth, world)
        r = await client.post(f"{API}/cases/{case['id']}/transitions", headers=auth(worker),
                              json={"action": "self_resolve"})
        assert r.status_code == 422
        assert r.json()["code"] == "case_needs_evidence"

    async def test_party_instructor_cannot_self_resolve(self, client, auth, world: World):
        r = await client.post(f"{API}/cases/{world.cases[0].id}/transitions",
                              headers=auth(world.user(Role.party_instructor, "s1c1g1")),
                              json={"action": "self_resolve"})
        assert r.status_code == 403


class TestMerge:
    async def test_closes_the_duplicate_into_the_original(self, client, auth, world: World):
        original = world.cases[0]
        dup = await report(client, auth, world)
        merged = await act(client, auth, operator(world), dup["id"], "merge",
                           into_id=original.id, note="同一井盖")
        assert merged["status"] == "closed"
        assert merged["merged_into_id"] == original.id and merged["closed_at"]
        dup_steps = await timeline(client, auth, operator(world), dup["id"])
        assert (dup_steps[-1]["action"], dup_steps[-1]["data"]) == ("merge",
                                                                    {"into_id": original.id})
        steps = await timeline(client, auth, operator(world), original.id)
        assert steps[-1]["action"] == "merged_in"
        assert steps[-1]["data"] == {"case_id": dup["id"]}
        assert steps[-1]["from_status"] == steps[-1]["to_status"] == "reported"
        still = await client.get(f"{API}/cases/{original.id}", headers=auth(operator(world)))
        assert still.json()["status"] == "reported"

    async def test_into_itself_is_422(self, client, auth, world: World):
        r = await client.post(f"{API}/cases/{world.cases[0].id}/transitions",
                              headers=auth(operator(world)),
                              json={"action": "merge", "into_id": world.cases[0].id})
        assert r.status_code == 422
        assert r.json()["errors"][0]["field"] == "into_id"

    async def test_without_into_id_is_422(self, client, auth, world: World):
        r = await client.post(f"{API}/cases/{world.cases[0].id}/transitions",
                              headers=auth(operator(world)), json={"action": "merge"})
        assert r.status_code == 422

    async def test_into_a_closed_case_is_409(self, client, auth, world: World):
        dup = await report(client, auth, world)
        await act(client, auth, world.user(Role.grid_worker, "s1c1g1"), world.cases[0].id,
                  "self_resolve")
        r = await client.post(f"{API}/cases/{dup['id']}/transitions",
                              headers=auth(operator(world)),
                              json={"action": "merge", "into_id": world.cases[0].id})
        assert r.status_code == 409
        assert r.json()["code"] == "case_invalid_transition"

    async def test_into_a_case_out_of_sight_is_404(self, client, auth, world: World):
        admin = world.user(Role.community_admin, "s1c1")
        dup = await report(client, auth, world)
        r = await client.post(f"{API}/cases/{dup['id']}/transitions", headers=auth(admin),
                              json={"action": "merge", "into_id": world.cases[4].id})
        assert r.status_code == 404

    async def test_merged_case_cannot_move_again(self, client, auth, world: World):
        dup = await report(client, auth, world)
        await act(client, auth, operator(world), dup["id"], "merge", into_id=world.cases[0].id)
        await act(client, auth, operator(world), dup["id"], "accept", expect=409)


class TestRules:
    async def test_verify_a_reported_case_is_409(self, client, auth, world: World):
        r = await client.post(f"{API}/cases/{world.cases[0].id}/transitions",
                              headers=auth(operator(world)), json={"action": "verify"})
        assert r.status_code == 409
        assert r.json()["code"] == "case_invalid_transition"

    @pytest.mark.parametrize("action", ["accept", "dispatch", "start", "resolve", "verify",
                                       "rework", "return", "suspend", "resume",
                                       "self_resolve", "merge", "reject"])
    async def test_nothing_moves_a_closed_case(self, client, auth, world: World, action):
        worker = world.user(Role.grid_worker, "s1c1g1")
        await act(client, auth, worker, world.cases[0].id, "self_resolve")
        r = await client.post(f"{API}/cases/{world.cases[0].id}/transitions",
                              headers=auth(world.user(Role.district_admin)),
                              json={"action": action, "note": "x", "org_id": world.root.id,
                                    "into_id": world.cases[1].id})
        assert r.status_code == 409

    async def test_unknown_action_is_422(self, client, auth, world: World):
        r = await client.post(f"{API}/cases/{world.cases[0].id}/transitions",
                              headers=auth(operator(world)), json={"action": "close"})
        assert r.status_code == 422

    async def test_grid_worker_cannot_accept(self, client, auth, world: World):
        r = await client.post(f"{API}/cases/{world.cases[0].id}/transitions",
                              headers=auth(world.user(Role.grid_worker, "s1c1g1")),
                              json={"action": "accept"})
        assert r.status_code == 403

    async def test_not_the_handler_is_403(self, client, auth, world: World):
        # The grid worker of the case's own grid is no handler of a case sent to the community.
        case = await dispatched(client, auth, world)
        for user in (world.user(Role.grid_worker, "s1c1g1"), operator(world)):
            r = await client.post(f"{API}/cases/{case['id']}/transitions", headers=auth(user),
                                  json={"action": "start"})
            assert r.status_code == 403, user.username

    async def test_auditor_cannot_act(self, client, auth, world: World):
        r = await client.post(f"{API}/cases/{world.cases[0].id}/transitions",
                              headers=auth(world.user(Role.auditor)), json={"action": "accept"})
        assert r.status_code == 403

    async def test_reporter_member_cannot_act(self, client, auth, world: World):
        member = world.user(Role.member, "s1c1")
        case = await report(client, auth, world, reporter=member)
        r = await client.post(f"{API}/cases/{case['id']}/transitions", headers=auth(member),
                              json={"action": "accept"})
        assert r.status_code == 403

    async def test_stale_if_match_is_412(self, client, auth, world: World):
        case = await report(client, auth, world)
        await act(client, auth, operator(world), case["id"], "accept")
        r = await client.post(f"{API}/cases/{case['id']}/transitions",
                              headers=auth(operator(world), **{"If-Match": '"1"'}),
                              json={"action": "dispatch", "org_id": world.communities[0].id})
        assert r.status_code == 412
        fresh = await client.get(f"{API}/cases/{case['id']}", headers=auth(operator(world)))
        assert fresh.json()["status"] == "accepted"

    async def test_write_in_between_is_412(self, client, auth, world: World, monkeypatch):
        # Another request commits a transition after this one read the case: the version
        # column catches it even without If-Match.
        real = repository.get_visible

        async def read_then_overtaken(session, principal, case_id):
            case = await real(session, principal, case_id)
            await session.execute(update(Case).where(Case.id == case_id)
                                  .values(version=Case.version + 1)
                                  .execution_options(synchronize_session=False))
            return case

        monkeypatch.setattr(repository, "get_visible", read_then_overtaken)
        r = await client.post(f"{API}/cases/{world.cases[0].id}/transitions",
                              headers=auth(operator(world)), json={"action": "accept"})
        assert r.status_code == 412
        assert r.json()["code"] == "version_mismatch"

    async def test_current_if_match_passes(self, client, auth, world: World):
        case = await report(client, auth, world)
        r = await client.post(f"{API}/cases/{case['id']}/transitions",
                              headers=auth(operator(world), **{"If-Match": '"1"'}),
                              json={"action": "accept"})
        assert r.status_code == 200

    @pytest.mark.parametrize("action", ["accept", "reject", "dispatch", "start", "resolve",
                                        "verify", "rework", "return", "suspend", "resume",
                                        "self_resolve", "merge"])
    async def test_out_of_scope_is_404_for_every_action(self, client, auth, world: World,
                                                        action):
        r = await client.post(f"{API}/cases/{world.cases[0].id}/transitions",
                              headers=auth(world.user(Role.community_admin, "s1c2")),
                              json={"action": action, "note": "x",
                                    "org_id": world.communities[1].id,
                                    "into_id": world.cases[2].id})
        assert r.status_code == 404
        assert r.json()["code"] == "case_not_found"

    async def test_failed_transition_writes_nothing(self, client, auth, world: World):
        await act(client, auth, operator(world), world.cases[0].id, "reject", expect=422)
        steps = await timeline(client, auth, operator(world), world.cases[0].id)
        assert [s["action"] for s in steps] == []  # the world's case was made without events


class TestTimeline:
    async def test_out_of_scope_is_404(self, client, auth, world: World):
        r = await client.get(f"{API}/cases/{world.cases[0].id}/timeline",
                             headers=auth(world.user(Role.grid_worker, "s1c1g2")))
        assert r.status_code == 404

    async def test_reporter_sees_the_trail(self, client, auth, world: World):
        member = world.user(Role.member, "s1c1")
        case = await report(client, auth, world, reporter=member)
        await act(client, auth, operator(world), case["id"], "accept")
        steps = await timeline(client, auth, member, case["id"])
        assert [s["action"] for s in steps] == ["report", "accept"]
        assert steps[0]["actor_id"] == member.id


class TestSeparationOfDuties:
    """核查 is a second person's check: whoever resolved a case cannot verify it, unless the
    deployment relaxes it for one-person grids (GRID_CASE_SAME_PERSON_VERIFY)."""

    async def _resolved_by_worker(self, client: Any, auth: Any, world: World) -> tuple[Any, int]:
        worker = world.user(Role.grid_worker, "s1c1g1")
        case = await dispatched(client, auth, world, assignee_id=worker.id)
        await act(client, auth, worker, case["id"], "start")
        await act(client, auth, worker, case["id"], "resolve", note="已修复")
        return worker, case["id"]

    async def test_resolver_cannot_verify(self, client, auth, world: World):
        worker, cid = await self._resolved_by_worker(client, auth, world)
        p = await act(client, auth, worker, cid, "verify", expect=403)
        assert p["code"] == "case_verifier_is_resolver" and "核查" in p["detail"]
        p = await act(client, auth, worker, cid, "verify", expect=403,
                      headers={"Accept-Language": "en"})
        assert "separation of duties" in p["detail"]

    async def test_another_person_verifies_and_the_timeline_shows_both(self, client, auth,
                                                                       world: World):
        worker, cid = await self._resolved_by_worker(client, auth, world)
        head = world.user(Role.grid_head, "s1c1g1")
        assert (await act(client, auth, head, cid, "verify"))["status"] == "closed"
        steps = await timeline(client, auth, head, cid)
        who = {s["action"]: s["actor_id"] for s in steps}
        assert (who["resolve"], who["verify"]) == (worker.id, head.id)

    async def test_resolver_may_still_send_it_back(self, client, auth, world: World):
        """Rework is not a sign-off: the resolver may reopen their own work."""
        worker, cid = await self._resolved_by_worker(client, auth, world)
        again = await act(client, auth, worker, cid, "rework", note="还需加固")
        assert again["status"] == "in_progress"

    async def test_the_last_resolver_counts(self, client, auth, world: World):
        worker, cid = await self._resolved_by_worker(client, auth, world)
        admin = world.user(Role.community_admin, "s1c1")  # the handler org's staff
        await act(client, auth, worker, cid, "rework", note="还需加固")
        await act(client, auth, admin, cid, "resolve", note="已加固")
        assert (await act(client, auth, worker, cid, "verify"))["status"] == "closed"

    async def test_setting_relaxes_it_for_a_one_person_grid(self, client, auth, world: World,
                                                           app, settings):
        worker, cid = await self._resolved_by_worker(client, auth, world)
        app.state.settings = settings.model_copy(update={"case_same_person_verify": True})
        try:
            closed = await act(client, auth, worker, cid, "verify")
        finally:
            app.state.settings = settings
        assert closed["status"] == "closed"
