"""GET /me/home: the member's registrations, upcoming sign-ups and balance, in a constant number
of statements."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from app.core.permissions import Role
from app.models import Activity, Member
from tests.conftest import PRINCIPAL_LOADS
from tests.factories import World, make_activity, make_registration, make_signup

HOME = "/api/v1/me/home"


async def more_signups(db: Any, world: World, n: int) -> list[Activity]:
    """`n` more upcoming activities of community 0 with reg_users[0] signed up, plus one that
    is over (not upcoming) and an ended registration (not active)."""
    out = []
    async with db.writing() as s:
        for i in range(n):
            a = await make_activity(
                s, world.communities[0], title=f"活动{i}", starts_in=timedelta(days=10 + i)
            )
            await make_signup(
                s, a, world.reg_users[0], status="accepted" if i % 2 else "waitlisted"
            )
            out.append(a)
        past = await make_activity(
            s, world.communities[0], title="已结束", starts_in=-timedelta(days=3)
        )
        await make_signup(s, past, world.reg_users[0])
        member = await s.get(Member, world.reg_members[0].id)
        assert member is not None
        await make_registration(s, member, world.communities[1], status="rejected")
        await s.commit()
    return out


class TestHome:
    async def test_registrations_upcoming_and_balance(self, client, auth, world: World, db):
        added = await more_signups(db, world, 2)
        r = await client.get(HOME, headers=auth(world.reg_users[0]))
        assert r.status_code == 200, r.text
        got = r.json()
        assert [
            (g["community_id"], g["status"], g["community_name"]) for g in got["registrations"]
        ] == [(world.communities[0].id, "approved", world.communities[0].name)]
        assert [u["activity_id"] for u in got["upcoming"]] == [
            world.activities[0].id,
            added[0].id,
            added[1].id,
        ]  # soonest first, none over
        assert [u["status"] for u in got["upcoming"]] == ["accepted", "waitlisted", "accepted"]
        assert got["balance"] == 90  # credited 100, one redemption reserved (factories)

    async def test_statements_are_constant(self, client, auth, world: World, db, statements):
        counts = []
        for n in (0, 6):
            if n:
                await more_signups(db, world, n)
            with statements:
                r = await client.get(HOME, headers=auth(world.reg_users[0]))
            assert r.status_code == 200
            assert len(r.json()["upcoming"]) == 1 + n
            counts.append(statements.count)
        assert counts == [PRINCIPAL_LOADS + 3] * 2

    async def test_someone_else_sees_only_their_own(self, client, auth, world: World):
        r = await client.get(HOME, headers=auth(world.reg_users[1]))
        got = r.json()
        assert [u["activity_id"] for u in got["upcoming"]] == [world.activities[1].id]
        assert [g["community_id"] for g in got["registrations"]] == [world.communities[1].id]

    async def test_staff_without_registrations_get_an_empty_home(self, client, auth, world: World):
        r = await client.get(HOME, headers=auth(world.user(Role.community_admin, "s1c1")))
        assert r.json() == {
            "user_id": world.user(Role.community_admin, "s1c1").id,
            "registrations": [],
            "upcoming": [],
            "balance": 0,
        }
