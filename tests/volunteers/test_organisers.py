"""An activity organised by a volunteer team or a co-construction unit (issue 13's "organiser
(community, team or unit)"): the team's leader and the unit's liaison create, edit, cancel and
check people in on their own activities without being community staff; a plain member of the
team, another unit's liaison or another community's people get 403 inside their scope and 404
outside it. A co-construction activity's agreement must be the unit's, with that community."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from app.core.permissions import Role
from app.models import Activity, Org, Unit, User
from app.orgs import service as orgs
from app.orgs.schemas import OrgKind
from tests.factories import (
    World,
    give_role,
    make_agreement,
    make_unit,
    make_unit_registration,
    make_user,
)
from tests.volunteers.helpers import ACTIVITIES, activity_now, body, volunteers
from tests.volunteers.test_attendance import signed_up
from tests.volunteers.test_checkin_codes import code_of

TEAMS = "/api/v1/volunteer-teams"


async def leader_of(client: Any, auth: Any, world: World, db: Any, index: int = 0) -> User:
    """A new volunteer of community `index`, added to its team as leader by the admin."""
    (user,) = await volunteers(db, world, 1, index=index, prefix="leader")
    key = ("s1c1", "s1c2", "s2c1", "s2c2")[index]
    r = await client.post(f"{TEAMS}/{world.teams[index].id}/members",
                          headers=auth(world.user(Role.community_admin, key)),
                          json={"user_id": user.id, "leader": True})
    assert r.status_code == 201, r.text
    return user


async def patch(client: Any, auth: Any, user: User, activity_id: int, **fields: Any) -> Any:
    got = await client.get(f"{ACTIVITIES}/{activity_id}", headers=auth(user))
    version = got.json().get("version", 1) if got.status_code == 200 else 1
    return await client.patch(f"{ACTIVITIES}/{activity_id}", json=fields,
                              headers=auth(user, **{"If-Match": f'"{version}"'}))


class TestTeamLeader:
    async def test_leader_creates_edits_lists_and_cancels(self, client, auth, world: World, db):
        leader = await leader_of(client, auth, world, db)
        team = (await client.get(f"{TEAMS}/{world.teams[0].id}", headers=auth(leader))).json()
        assert team["leader_user_id"] == leader.id
        r = await client.post(ACTIVITIES, headers=auth(leader),
                              json=body(world, team_id=world.teams[0].id))
        assert r.status_code == 201, r.text
        a = r.json()
        assert (a["team_id"], a["unit_id"], a["org_id"]) == (
            world.teams[0].id, None, world.communities[0].id)
        r = await patch(client, auth, leader, a["id"], title="书法公益课")
        assert (r.status_code, r.json()["title"]) == (200, "书法公益课")
        r = await client.get(f"{ACTIVITIES}/{a['id']}/signups", headers=auth(leader))
        assert r.status_code == 200
        got = await client.get(f"{ACTIVITIES}/{a['id']}", headers=auth(leader))
        r = await client.post(f"{ACTIVITIES}/{a['id']}/cancel", json={"reason": "场地维修"},
                              headers=auth(leader, **{"If-Match": got.headers["ETag"]}))
        assert (r.status_code, r.json()["status"]) == (200, "cancelled")

    async def test_a_plain_member_of_the_team_may_not(self, client, auth, world: World, db):
        leader = await leader_of(client, auth, world, db)
        member = world.reg_users[0]  # on teams[0], not its leader
        r = await client.post(ACTIVITIES, headers=auth(member),
                              json=body(world, team_id=world.teams[0].id))
        assert r.status_code == 403, r.text
        made = await client.post(ACTIVITIES, headers=auth(leader),
                                 json=body(world, team_id=world.teams[0].id))
        r = await patch(client, auth, member, made.json()["id"], title="x")
        assert r.status_code == 403

    async def test_another_community_gets_404(self, client, auth, world: World, db):
        leader = await leader_of(client, auth, world, db)
        made = await client.post(ACTIVITIES, headers=auth(leader),
                                 json=body(world, team_id=world.teams[0].id))
        stranger = world.reg_users[2]  # community s2c1
        assert (await patch(client, auth, stranger, made.json()["id"], title="x")
                ).status_code == 404
        listed = (await client.get(ACTIVITIES, headers=auth(stranger))).json()["items"]
        assert made.json()["id"] not in [i["id"] for i in listed]

    async def test_outside_the_teams_area_or_another_teams_is_422(self, client, auth,
                                                                   world: World, db):
        leader = await leader_of(client, auth, world, db)
        r = await client.post(ACTIVITIES, headers=auth(leader),
                              json=body(world, 1, team_id=world.teams[0].id))
        assert (r.status_code, r.json()["errors"][0]["field"]) == (422, "org_id"), r.text
        r = await client.post(ACTIVITIES, headers=auth(leader),
                              json=body(world, team_id=world.teams[2].id))
        assert (r.status_code, r.json()["errors"][0]["field"]) == (422, "team_id"), r.text

    async def test_a_leader_who_leaves_runs_nothing(self, client, auth, world: World, db):
        leader = await leader_of(client, auth, world, db)
        made = await client.post(ACTIVITIES, headers=auth(leader),
                                 json=body(world, team_id=world.teams[0].id))
        r = await client.delete(f"{TEAMS}/{world.teams[0].id}/members/{leader.id}",
                                headers=auth(world.user(Role.community_admin, "s1c1")))
        assert r.status_code == 204
        assert (await patch(client, auth, leader, made.json()["id"], title="x")
                ).status_code == 403

    async def test_leader_scans_a_check_in_code(self, client, auth, world: World, db):
        leader = await leader_of(client, auth, world, db)
        activity = await activity_now(db, world, before=timedelta(minutes=30),
                                      after=timedelta(hours=1))
        async with db.writing() as s:
            row = await s.get(Activity, activity.id)
            assert row is not None
            row.team_id = world.teams[0].id
            await s.commit()
        user, sid = await signed_up(db, world, activity)
        r = await client.post(f"{ACTIVITIES}/{activity.id}/checkins", headers=auth(leader),
                              json={"code": await code_of(client, auth, user, activity, sid)})
        assert r.status_code == 200, r.text
        assert r.json()["checked_in_at"] is not None
        # The plain member of the team may read the activity but not scan: 403.
        r = await client.post(f"{ACTIVITIES}/{activity.id}/checkins",
                              headers=auth(world.reg_users[0]),
                              json={"code": await code_of(client, auth, user, activity, sid)})
        assert r.status_code == 403


class Unit_:
    def __init__(self, agency: Org, unit_id: int, liaison: User) -> None:
        self.agency, self.id, self.liaison = agency, unit_id, liaison


async def unit(db: Any, world: World, name: str, seq: int, *, registered: bool = True
               ) -> Unit_:
    """A unit on its own agency node, its liaison there, registered with community 0."""
    async with db.writing() as s:
        agency = await orgs.add_node(s, None, world.root, OrgKind.agency, name, None)
        u = await make_unit(s, agency, name=name, code=f"ORG{seq}")
        if registered:
            await make_unit_registration(s, u, world.communities[0])
        liaison = await make_user(s, f"org_liaison_{seq}", agency)
        await give_role(s, liaison, Role.unit_liaison, agency)
        await s.commit()
    return Unit_(agency, u.id, liaison)


class TestUnitLiaison:
    async def test_liaison_creates_reads_lists_edits_and_cancels(self, client, auth,
                                                                  world: World, db):
        u = await unit(db, world, "区文旅局", 981)
        r = await client.post(ACTIVITIES, headers=auth(u.liaison),
                              json=body(world, unit_id=u.id, kind="coconstruction"))
        assert r.status_code == 201, r.text
        aid = r.json()["id"]
        assert (await client.get(f"{ACTIVITIES}/{aid}", headers=auth(u.liaison))
                ).status_code == 200
        listed = (await client.get(ACTIVITIES, headers=auth(u.liaison))).json()["items"]
        assert [i["id"] for i in listed] == [aid]  # their own only: no community grant
        r = await patch(client, auth, u.liaison, aid, capacity=5)
        assert (r.status_code, r.json()["capacity"]) == (200, 5), r.text
        got = await client.get(f"{ACTIVITIES}/{aid}", headers=auth(u.liaison))
        r = await client.post(f"{ACTIVITIES}/{aid}/cancel", json={"reason": "改期"},
                              headers=auth(u.liaison, **{"If-Match": got.headers["ETag"]}))
        assert r.status_code == 200, r.text

    async def test_another_units_liaison_gets_404(self, client, auth, world: World, db):
        u = await unit(db, world, "区文旅局", 982)
        other = await unit(db, world, "区司法局", 983)
        made = await client.post(ACTIVITIES, headers=auth(u.liaison),
                                 json=body(world, unit_id=u.id))
        assert made.status_code == 201, made.text
        aid = made.json()["id"]
        assert (await client.get(f"{ACTIVITIES}/{aid}", headers=auth(other.liaison))
                ).status_code == 404
        assert (await patch(client, auth, other.liaison, aid, title="x")).status_code == 404
        r = await client.post(ACTIVITIES, headers=auth(other.liaison),
                              json=body(world, unit_id=u.id))
        assert (r.status_code, r.json()["errors"][0]["field"]) == (422, "unit_id")

    async def test_the_agreement_must_be_the_units_with_that_community(self, client, auth,
                                                                        world: World, db):
        u = await unit(db, world, "区文旅局", 984, registered=False)
        async with db.writing() as s:
            unit_row = await s.get(Unit, u.id)
            assert unit_row is not None
            mine = await make_agreement(s, unit_row, world.communities[0])
            elsewhere = await make_agreement(s, unit_row, world.communities[1])
            await s.commit()
        cases = [(world.agreements[0].id, "agreement_id"),  # another unit's, same community
                 (elsewhere.id, "agreement_id"), (None, "unit_id")]  # not registered
        for agreement_id, field in cases:
            r = await client.post(ACTIVITIES, headers=auth(u.liaison), json=body(
                world, unit_id=u.id, agreement_id=agreement_id, kind="coconstruction"))
            assert (r.status_code, r.json()["errors"][0]["field"]) == (422, field), r.text
        r = await client.post(ACTIVITIES, headers=auth(u.liaison), json=body(
            world, unit_id=u.id, agreement_id=mine.id, kind="coconstruction"))
        assert (r.status_code, r.json()["agreement_id"]) == (201, mine.id), r.text

    async def test_staff_still_organise_and_bodies_name_one_organiser(self, client, auth,
                                                                      world: World, db):
        admin = auth(world.user(Role.community_admin, "s1c1"))
        r = await client.post(ACTIVITIES, headers=admin,
                              json=body(world, unit_id=world.units[0].id,
                                        agreement_id=world.agreements[0].id))
        assert r.status_code == 201, r.text
        for bad in ({"team_id": world.teams[0].id, "unit_id": world.units[0].id},
                    {"agreement_id": world.agreements[0].id}):
            r = await client.post(ACTIVITIES, headers=admin, json=body(world, **bad))
            assert r.status_code == 422, r.text


