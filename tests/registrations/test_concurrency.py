"""Real concurrency against the real database (no shared test connection): a member taps
"register" several times at once; exactly one registration is active afterwards, the rest 409."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import async_sessionmaker

from app.core.db import Database
from app.main import create_app
from app.models import AuditEntry, Member, Registration, User
from tests.conftest import make_settings
from tests.factories import World, make_reg_member, make_user
from tests.realdb import delete_audit

pytestmark = pytest.mark.real_commits
REGS = "/api/v1/registrations"


@pytest.fixture
async def real_client(engine):
    app = create_app(make_settings(), Database(engine))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://t") as c:
        yield c


@pytest.fixture
async def member_user(engine, world: World):
    maker = async_sessionmaker(engine, expire_on_commit=False)
    async with maker() as s:
        user = await make_user(s, "racingmember", world.communities[0])
        member = await make_reg_member(s, world.communities[0], seq=990, user=user)
        await s.commit()
    yield user
    async with engine.begin() as conn:
        ids = (await conn.execute(select(Registration.id).where(
            Registration.member_id == member.id))).scalars().all()
        await delete_audit(conn, AuditEntry.object_type == "registration",
                           AuditEntry.object_id.in_([str(i) for i in ids]))
        await conn.execute(delete(Registration).where(Registration.member_id == member.id))
        await conn.execute(delete(Member).where(Member.id == member.id))
        await conn.execute(delete(User).where(User.id == user.id))


async def test_concurrent_registrations_leave_one_active(real_client, auth, world: World,
                                                         member_user, engine):
    bodies = [{"community_id": c.id, "address": "和平路8号"} for c in world.communities] * 2
    results = await asyncio.gather(*[
        real_client.post(REGS, headers=auth(member_user), json=b) for b in bodies
    ])
    codes = sorted(r.status_code for r in results)
    assert codes == [201] + [409] * (len(bodies) - 1), [r.text for r in results]
    assert {r.json()["code"] for r in results if r.status_code == 409} == {
        "registration_active"}
    async with engine.connect() as conn:
        active = await conn.scalar(select(func.count()).select_from(Registration).join(
            Member, Member.id == Registration.member_id).where(
            Member.user_id == member_user.id, Registration.active_member_id.is_not(None)))
    assert active == 1
