"""SQL for volunteer teams: lists start from the caller's scope."""

from __future__ import annotations

from typing import Any
from typing import cast as typed

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.pagination import PageParams, keyset
from app.core.permissions import Perm
from app.core.scope import readable
from app.core.security import Principal
from app.models import TeamMembership, User, VolunteerTeam


async def by_id(session: AsyncSession, team_id: int) -> VolunteerTeam | None:
    return await session.get(VolunteerTeam, team_id)


async def page(session: AsyncSession, principal: Principal, *, filters: list[Any],
               params: PageParams) -> list[VolunteerTeam]:
    stmt = select(VolunteerTeam).where(
        readable(principal, VolunteerTeam.org_path, Perm.activity_read), *filters)
    return list((await session.execute(keyset(stmt, [(VolunteerTeam.id, True)], params)))
                .scalars())


async def membership(session: AsyncSession, team_id: int, user_id: int
                     ) -> TeamMembership | None:
    stmt = select(TeamMembership).where(TeamMembership.team_id == team_id,
                                        TeamMembership.user_id == user_id)
    return (await session.execute(stmt)).scalar_one_or_none()


async def members_page(session: AsyncSession, team_id: int, params: PageParams
                       ) -> list[tuple[TeamMembership, str | None]]:
    stmt = (select(TeamMembership, User.display_name)
            .join(User, User.id == TeamMembership.user_id)
            .where(TeamMembership.team_id == team_id))
    result = await session.execute(keyset(typed(Select[Any], stmt),
                                          [(TeamMembership.id, False)], params))
    return [(m, name) for m, name in result]


async def teams_of(session: AsyncSession, user_id: int) -> list[VolunteerTeam]:
    stmt = (select(VolunteerTeam).join(TeamMembership, TeamMembership.team_id == VolunteerTeam.id)
            .where(TeamMembership.user_id == user_id).order_by(VolunteerTeam.id))
    return list((await session.execute(stmt)).scalars())


async def member_ids(session: AsyncSession, team_id: int) -> list[int]:
    stmt = select(TeamMembership.user_id).where(TeamMembership.team_id == team_id)
    return list((await session.execute(stmt)).scalars())
