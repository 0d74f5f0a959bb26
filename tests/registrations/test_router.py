"""双报到: a member registers where they live, staff review, the member withdraws or moves; one
active registration per member; approval grants the member role; scoped reads; masked roster."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from app.core.permissions import Role
from app.models import RoleAssignment
from tests.factories import World, make_reg_member, make_user

API = "/api/v1"
REGS = f"{API}/registrations"


def admin(world: World, key: str = "s1c1") -> Any:
    return world.user(Role.community_admin, key)


async def new_member(db_session: Any, world: World, seq: int, home: int = 0) -> Any:
    """A fresh member account (no registration yet), homed in community `home`."""
    community = world.communities[home]
    user = await make_user(db_session, f"member{seq}", community)
    await make_reg_member(db_session, community, seq=seq, user=user, name="钱学森")
    return user


async def post(client: Any, headers: dict[str, str], path: str, body: Any = None,
               expect: int = 200) -> dict[str, Any]:
    r = await client.post(path, headers=headers, json=body)
    assert r.status_code == expect, r.text
    return dict(r.json())


def body(world: World, community: int = 1, **changes: Any) -> dict[str, Any]:
    return {"community_id": world.communities[community].id, "address": "和平路8号3单元",
            "skills": ["维修", " 法律咨询 ", "维修"], **changes}


async def member_roles(session: Any, user_id: int) -> list[int]:
    rows = await session.execute(select(RoleAssignment.org_id).where(
        RoleAssignment.user_id == user_id, RoleAssignment.role == Role.member))
    return sorted(rows.scalars())


class TestLifecycle:
    async def test_register_approve_withdraw(self, client, auth, world: World, db):
        async with db.writing() as s:
            user = await new_member(s, world, 700)
            await s.commit()
        me = auth(user)
        reg = await post(client, me, REGS, body(world), expect=201)
        assert (reg["status"], reg["community_id"]) == ("pending", world.communities[1].id)
        assert reg["skills"] == ["维修", "法律咨询"] and reg["member_name"] == "钱**"
        url = f"{REGS}/{reg['id']}"
        approved = await post(client, auth(admin(world, "s1c2")), f"{url}/approve")
        assert approved["status"] == "approved" and approved["version"] == reg["version"] + 1
        async with db.writing() as s:
            assert await member_roles(s, user.id) == [world.communities[1].id]
        # Now a member there: sees and lists the community's wishes.
        r = await client.get(f"{API}/wishes", headers=me)
        assert {w["community_id"] for w in r.json()["items"]} == {world.communities[1].id}
        withdrawn = await post(client, me, f"{url}/withdraw")
        assert withdrawn["status"] == "withdrawn" and withdrawn["ended_at"]
        async with db.writing() as s:
            assert await member_roles(s, user.id) == []
        # Free again: a new registration is accepted.
        await post(client, me, REGS, body(world, community=2), expect=201)

    async def test_second_active_registration_is_409(self, client, auth, world: World, db):
        async with db.writing() as s:
            user = await new_member(s, world, 701)
            await s.commit()
        await post(client, auth(user), REGS, body(world), expect=201)
        p = await post(client, auth(user), REGS, body(world, community=3), expect=409)
        assert p["code"] == "registration_active"

    async def test_retry_with_the_same_idempotency_key_replays(self, client, auth,
                                                              world: World, db):
        async with db.writing() as s:
            user = await new_member(s, world, 702)
            await s.commit()
        headers = {**auth(user), "Idempotency-Key": "reg-702"}
        first = await post(client, headers, REGS, body(world), expect=201)
        again = await post(client, headers, REGS, body(world), expect=201)
        assert again["id"] == first["id"]

    async def test_world_member_already_active(self, client, auth, world: World):
        p = await post(client, auth(world.reg_users[0]), REGS, body(world), expect=409)
        assert p["code"] == "registration_active"

    async def test_unlinked_account_is_403(self, client, auth, world: World):
        p = await post(client, auth(world.user(Role.member, "s1c1")), REGS, body(world),
                       expect=403)
        assert p["code"] == "member_not_linked"

    async def test_not_a_community_is_422(self, client, auth, world: World):
        p = await post(client, auth(world.reg_users[0]), REGS,
                       body(world, community_id=world.streets[0].id), expect=422)
        assert [e["field"] for e in p["errors"]] == ["community_id"]

    async def test_reject_needs_reason_and_revokes(self, client, auth, world: World, db):
        reg = world.registrations[0]
        url = f"{REGS}/{reg.id}/reject"
        await post(client, auth(admin(world)), url, {}, expect=422)
        r = await post(client, auth(admin(world)), url, {"reason": "长期未参加活动"})
        assert r["status"] == "rejected" and r["reason"] == "长期未参加活动"
        async with db.writing() as s:
            assert await member_roles(s, world.reg_users[0].id) == []

    async def test_invalid_transition_is_409(self, client, auth, world: World):
        p = await post(client, auth(admin(world)),
                       f"{REGS}/{world.registrations[0].id}/approve", expect=409)
        assert p["code"] == "registration_invalid_transition"

    async def test_stale_if_match_is_412(self, client, auth, world: World):
        headers = {**auth(world.reg_users[0]), "If-Match": '"999"'}
        await post(client, headers, f"{REGS}/{world.registrations[0].id}/withdraw", expect=412)

    async def test_english_problem(self, client, auth, world: World):
        headers = {**auth(admin(world)), "Accept-Language": "en"}
        p = await post(client, headers, f"{REGS}/{world.registrations[0].id}/approve",
                       expect=409)
        assert p["detail"].startswith("Not allowed")


class TestWhoMayAct:
    async def test_other_communitys_admin_gets_404(self, client, auth, world: World):
        p = await post(client, auth(admin(world, "s1c2")),
                       f"{REGS}/{world.registrations[0].id}/reject", {"reason": "x"},
                       expect=404)
        assert p["code"] == "registration_not_found"

    async def test_staff_cannot_withdraw_for_the_member(self, client, auth, world: World):
        p = await post(client, auth(admin(world)),
                       f"{REGS}/{world.registrations[0].id}/withdraw", expect=403)
        assert p["code"] == "registration_not_owner"

    async def test_another_member_cannot_see_it(self, client, auth, world: World):
        r = await client.get(f"{REGS}/{world.registrations[1].id}",
                             headers=auth(world.reg_users[0]))
        assert r.status_code == 404

    async def test_member_cannot_approve_their_own_pending_registration(self, client, auth,
                                                                        world: World, db):
        """They can read it, so its existence is no secret: 403, not 404."""
        async with db.writing() as s:
            user = await new_member(s, world, 703)
            await s.commit()
        reg = await post(client, auth(user), REGS, body(world), expect=201)
        p = await post(client, auth(user), f"{REGS}/{reg['id']}/approve", expect=403)
        assert p["code"] == "forbidden"
        p = await post(client, auth(user), f"{REGS}/{reg['id']}/reject", {"reason": "x"},
                       expect=403)

    async def test_grid_worker_cannot_review(self, client, auth, world: World):
        await post(client, auth(world.user(Role.grid_worker, "s1c1g1")),
                   f"{REGS}/{world.registrations[0].id}/approve", expect=404)


class TestMove:
    async def test_move_ends_old_and_starts_new(self, client, auth, world: World, db):
        me = auth(world.reg_users[0])
        old = world.registrations[0]
        new = await post(client, me, f"{REGS}/{old.id}/move",
                         {"community_id": world.communities[3].id, "address": "新家"})
        assert (new["status"], new["community_id"]) == ("pending", world.communities[3].id)
        assert new["skills"] == ["法律咨询"] and new["id"] != old.id
        r = await client.get(f"{REGS}/{old.id}", headers=me)
        assert r.json()["status"] == "ended" and r.json()["ended_at"]
        async with db.writing() as s:
            assert await member_roles(s, world.reg_users[0].id) == []
        mine = await client.get(f"{REGS}/mine", headers=me)
        assert [i["id"] for i in mine.json()["items"]] == [new["id"], old.id]

    async def test_move_to_the_same_community_is_422(self, client, auth, world: World):
        p = await post(client, auth(world.reg_users[0]),
                       f"{REGS}/{world.registrations[0].id}/move",
                       {"community_id": world.communities[0].id, "address": "x"}, expect=422)
        assert [e["field"] for e in p["errors"]] == ["community_id"]


class TestReads:
    async def test_mine_is_only_mine(self, client, auth, world: World):
        r = await client.get(f"{REGS}/mine", headers=auth(world.reg_users[1]))
        assert [i["id"] for i in r.json()["items"]] == [world.registrations[1].id]
        r = await client.get(f"{REGS}/mine", headers=auth(admin(world)))
        assert r.json()["items"] == []

    async def test_community_a_does_not_see_b(self, client, auth, world: World):
        r = await client.get(REGS, headers=auth(admin(world)), params={"limit": 100})
        assert [i["id"] for i in r.json()["items"]] == [world.registrations[0].id]
        r = await client.get(REGS, headers=auth(admin(world)),
                             params={"community_id": world.communities[1].id})
        assert r.json()["items"] == []

    async def test_street_sees_its_communities_filtered_by_status(self, client, auth,
                                                                  world: World):
        street = auth(world.user(Role.street_admin, "s2"))
        r = await client.get(REGS, headers=street, params={"status": "approved"})
        assert {i["id"] for i in r.json()["items"]} == {g.id for g in world.registrations[2:]}
        r = await client.get(REGS, headers=street, params={"status": "pending"})
        assert r.json()["items"] == []

    async def test_statements_do_not_grow_with_page_size(self, client, auth, world: World,
                                                        statements):
        counts = []
        for limit in (1, 100):
            with statements:
                r = await client.get(REGS, params={"limit": limit},
                                     headers=auth(world.user(Role.district_admin)))
            assert r.status_code == 200 and len(r.json()["items"]) == min(limit, 4)
            counts.append(statements.count)
        assert counts[0] == counts[1]


class TestRoster:
    async def test_masked_names_and_skill_filter(self, client, auth, world: World, db):
        url = f"{API}/communities/{world.communities[0].id}/roster"
        r = await client.get(url, headers=auth(admin(world)))
        assert r.status_code == 200, r.text
        (entry,) = r.json()["items"]
        assert entry["name"] == "赵**" and entry["skills"] == ["法律咨询"]
        assert "赵志强" not in r.text
        r = await client.get(url, headers=auth(admin(world)), params={"skill": "法律咨询"})
        assert len(r.json()["items"]) == 1
        r = await client.get(url, headers=auth(admin(world)), params={"skill": "法律"})
        assert r.json()["items"] == []

    async def test_other_community_is_404(self, client, auth, world: World):
        r = await client.get(f"{API}/communities/{world.communities[1].id}/roster",
                             headers=auth(admin(world)))
        assert r.status_code == 404

    async def test_member_role_is_403(self, client, auth, world: World):
        r = await client.get(f"{API}/communities/{world.communities[0].id}/roster",
                             headers=auth(world.reg_users[0]))
        assert r.status_code == 403
