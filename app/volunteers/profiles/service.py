"""志愿者: a person's own profile (skills, availability), with their teams, the service time
credited to them and their points. A member whose registration a community approved holds
`member` there, which lets them sign up for its activities: they are its volunteer without a
second sign-up."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.errors import Forbidden
from app.core.security import Principal
from app.models import VolunteerProfile
from app.volunteers.activities import service as activities
from app.volunteers.points import service as points
from app.volunteers.profiles import repository as repo
from app.volunteers.profiles.schemas import ProfileRead, ProfileUpdate, TeamBrief
from app.volunteers.teams import service as teams
from app.volunteers.teams.schemas import TeamKind


def _user_id(principal: Principal) -> int:
    if principal.kind != "user":
        raise Forbidden()
    return principal.id


async def mine(session: AsyncSession, principal: Principal) -> ProfileRead:
    user_id = _user_id(principal)
    profile = await repo.of_user(session, user_id)
    served, minutes = await activities.served(session, user_id)
    return ProfileRead(
        user_id=user_id, skills=list(profile.skills) if profile else [],
        availability=list(profile.availability) if profile else [],
        teams=[TeamBrief(id=t.id, name=t.name, kind=TeamKind(t.kind))
               for t in await teams.teams_of(session, user_id)],
        activities_served=served, minutes_served=minutes,
        points_balance=await points.balance(session, user_id))


async def update(session: AsyncSession, principal: Principal, data: ProfileUpdate
                 ) -> ProfileRead:
    user_id = _user_id(principal)
    profile = await repo.of_user(session, user_id)
    if profile is None:
        profile = VolunteerProfile(user_id=user_id)
        session.add(profile)
    profile.skills, profile.availability = data.skills, data.availability
    await session.flush()
    return await mine(session, principal)
