"""我的: a member's home screen in one request — their registrations, upcoming sign-ups and
points balance — in a constant number of statements (three after the caller's own), asserted by
tests/volunteers/test_home.py."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.errors import Forbidden
from app.core.security import Principal
from app.core.types import utcnow
from app.volunteers.home import repository as repo
from app.volunteers.home.schemas import Home, HomeRegistration, HomeSignup

UPCOMING = 20


async def home(session: AsyncSession, principal: Principal) -> Home:
    if principal.kind != "user":
        raise Forbidden("只有个人用户有“我的”页面", "Only a person has a home screen")
    regs = [
        HomeRegistration(
            id=r.id,
            community_id=r.community_id,
            community_name=name,
            org_path=r.org_path,
            status=r.status,
        )
        for r, name in await repo.registrations(session, principal.id)
    ]
    upcoming = [
        HomeSignup(
            signup_id=s.id,
            activity_id=a.id,
            title=a.title,
            starts_at=a.starts_at,
            ends_at=a.ends_at,
            address=a.address,
            status=s.status,
            resident_id=s.resident_id,
            checked_in_at=s.checked_in_at,
        )
        for s, a in await repo.upcoming(session, principal.id, utcnow(), UPCOMING)
    ]
    return Home(
        user_id=principal.id,
        registrations=regs,
        upcoming=upcoming,
        balance=await repo.balance(session, principal.id),
    )
