"""Volunteer teams (社会组织 / 志愿者队伍 / 工作室) and the volunteer's own profile; an approved
registration makes a member a volunteer of that community without a second sign-up."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from app.core.permissions import Role
from app.models import ActivitySignup
from tests.factories import World, make_reg_member, make_registration, make_user, post_points
from tests.volunteers.helpers import ACTIVITIES, activity_now, set_signup, volunteers

API = "/api/v1"
TEAMS = f"{API}/volunteer-teams"
ME = f"{API}/volunteers/me"


class TestTeams:
    async def test_admin_registers_a_studio_with_masked_contact(self, client, auth,
                                                                 world: World):
        r = await client.post(TEAMS, headers=auth(world.user(Role.community_admin, "s1c1")),
                              json={"org_id": world.communities[0].id, "kind": "studio",
                                    "name": "老党员调解工作室", "leader_name": "李明华",
                                    "contact_phone": "13812345678"})
        assert r.status_code == 201, r.text
        t = r.json()
        assert (t["leader_name"], t["contact_phone"]) == ("李**", "138****5678")
        assert t["community_id"] == world.communities[0].id

    async def test_a_member_may_not_register_a_team(self, client, auth, world: World):
        r = await client.post(TEAMS, headers=auth(world.reg_users[0]),
                              json={"org_id": world.communities[0].id, "kind": "volunteer_team",
                                    "name": "x"})
        assert r.status_code == 403

    async def test_community_a_does_not_see_community_b(self, client, auth, world: World):
        items = (await client.get(TEAMS, headers=auth(world.reg_users[0]))).json()["items"]
        assert [t["id"] for t in items] == [world.teams[0].id]
        r = await client.get(f"{TEAMS}/{world.teams[1].id}", headers=auth(world.reg_users[0]))
        assert r.status_code == 404

    async def test_members_join_list_and_leave(self, client, auth, world: World, db):
        (user,) = await volunteers(db, world, 1, prefix="teamie")
        admin = auth(world.user(Role.community_admin, "s1c1"))
        url = f"{TEAMS}/{world.teams[0].id}/members"
        r = await client.post(url, headers=admin, json={"user_id": user.id})
        assert r.status_code == 201, r.text
        again = await client.post(url, headers=admin, json={"user_id": user.id})
        assert (again.status_code, again.json()["code"]) == (409, "team_member_exists")
        page = (await client.get(url, headers=auth(world.reg_users[0]))).json()["items"]
        assert [m["user_id"] for m in page] == [world.reg_users[0].id, user.id]
        assert (await client.delete(f"{url}/{user.id}", headers=admin)).status_code == 204
        assert (await client.delete(f"{url}/{user.id}", headers=admin)).status_code == 404

    async def test_a_user_outside_the_admins_reach_is_422(self, client, auth, world: World):
        outsider = world.user(Role.community_admin, "s2c1")
        r = await client.post(f"{TEAMS}/{world.teams[0].id}/members",
                              headers=auth(world.user(Role.community_admin, "s1c1")),
                              json={"user_id": outsider.id})
        assert [e["field"] for e in r.json()["errors"]] == ["user_id"]


class TestTeamLeaderboard:
    async def test_members_ranked_by_points_earned(self, client, auth, world: World, db):
        a, b = await volunteers(db, world, 2, prefix="ranked")
        admin = auth(world.user(Role.community_admin, "s1c1"))
        for u in (a, b):
            r = await client.post(f"{TEAMS}/{world.teams[0].id}/members", headers=admin,
                                  json={"user_id": u.id})
            assert r.status_code == 201
        async with db.writing() as s:
            await post_points(s, a, world.communities[0], 150)
            await post_points(s, b, world.communities[1], 40)  # served elsewhere: still counts
            await s.commit()
        r = await client.get(f"{TEAMS}/{world.teams[0].id}/leaderboard",
                             headers=auth(world.reg_users[0]))
        assert r.status_code == 200, r.text
        assert [(i["user_id"], i["points"]) for i in r.json()["items"]] == [
            (a.id, 150), (world.reg_users[0].id, 100), (b.id, 40)]

    async def test_other_communitys_team_is_404(self, client, auth, world: World):
        r = await client.get(f"{TEAMS}/{world.teams[1].id}/leaderboard",
                             headers=auth(world.reg_users[0]))
        assert r.status_code == 404


class TestProfile:
    async def test_profile_with_teams_hours_and_points(self, client, auth, world: World, db):
        user = world.reg_users[0]
        a = await activity_now(db, world, before=timedelta(hours=3),
                               after=-timedelta(minutes=30))
        r = await client.post(f"{ACTIVITIES}/{a.id}/signups",
                              headers=auth(user))
        assert r.status_code == 409  # the deadline passed: the organiser records the hours
        async with db.writing() as s:
            s.add(ActivitySignup(activity_id=a.id, user_id=user.id, status="accepted",
                                 active_user_id=user.id, org_path=a.org_path,
                                 street_id=a.street_id, community_id=a.community_id))
            await s.commit()
            sid = (await s.execute(select(ActivitySignup.id).where(
                ActivitySignup.activity_id == a.id))).scalar_one()
        await set_signup(db, sid, minutes=90)
        put = await client.put(ME, headers=auth(user),
                               json={"skills": ["书法", " 书法", "法律咨询"],
                                     "availability": ["周末上午"]})
        assert put.status_code == 200, put.text
        me = (await client.get(ME, headers=auth(user))).json()
        assert me["skills"] == ["书法", "法律咨询"] and me["availability"] == ["周末上午"]
        assert [t["id"] for t in me["teams"]] == [world.teams[0].id]
        assert (me["activities_served"], me["minutes_served"]) == (1, 90)
        assert me["points_balance"] == 90  # the world's 100, less its reserved redemption

    async def test_empty_for_a_new_volunteer(self, client, auth, world: World, db):
        (user,) = await volunteers(db, world, 1, prefix="fresh")
        me = (await client.get(ME, headers=auth(user))).json()
        assert me == {"user_id": user.id, "skills": [], "availability": [], "teams": [],
                      "activities_served": 0, "minutes_served": 0, "points_balance": 0}
        async with db.writing() as s:
            await post_points(s, user, world.communities[0], 5)
            await s.commit()
        assert (await client.get(ME, headers=auth(user))).json()["points_balance"] == 5


async def test_an_approved_registration_makes_a_member_a_volunteer(client, auth, world: World,
                                                                   db):
    """No second sign-up: approving the 双报到 is what lets the member join activities."""
    async with db.writing() as s:
        user = await make_user(s, "newcomer", world.communities[0])
        member = await make_reg_member(s, world.communities[0], seq=777, user=user)
        reg = await make_registration(s, member, world.communities[0], status="pending")
        await s.commit()
    url = f"{ACTIVITIES}/{world.activities[0].id}/signups"
    assert (await client.post(url, headers=auth(user))).status_code == 404
    r = await client.post(f"{API}/registrations/{reg.id}/approve",
                          headers=auth(world.user(Role.community_admin, "s1c1")))
    assert r.status_code == 200, r.text
    r = await client.post(url, headers=auth(user))
    assert (r.status_code, r.json()["status"]) == (201, "accepted")
