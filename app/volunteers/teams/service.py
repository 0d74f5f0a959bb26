"""社会组织 / 志愿者队伍 / 工作室 (三社联动): teams serving a community or street, their members.
Staff holding activities:write where the team serves keep it; whoever may read activities
there sees it. The contact phone is encrypted at rest and masked, with the leader's name."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.core import audit
from app.core.crypto import FieldCipher, mask_name, mask_phone
from app.core.errors import field_error
from app.core.pagination import PageParams
from app.core.permissions import Perm
from app.core.scope import authorize
from app.core.security import Principal
from app.models import TeamMembership, VolunteerTeam
from app.models.scoped import scope_from
from app.orgs import service as orgs
from app.orgs.errors import OrgNotFound
from app.users import service as users
from app.users.errors import UserNotFound
from app.volunteers.points import service as points
from app.volunteers.points.schemas import LeaderboardEntry
from app.volunteers.teams import repository as repo
from app.volunteers.teams.errors import TeamMemberExists, TeamMemberNotFound, TeamNotFound
from app.volunteers.teams.schemas import (
    MemberAdd,
    TeamCreate,
    TeamKind,
    TeamMemberRead,
    TeamRead,
)

PHONE_CONTEXT = "volunteer_team.contact_phone"


async def get(session: AsyncSession, principal: Principal, team_id: int,
              permission: Perm = Perm.activity_read) -> VolunteerTeam:
    team = await repo.by_id(session, team_id)
    if team is None:
        raise TeamNotFound()
    authorize(principal, permission, team.org_path, not_found=TeamNotFound())
    return team


async def create(session: AsyncSession, principal: Principal, cipher: FieldCipher,
                 data: TeamCreate) -> VolunteerTeam:
    try:
        org = await orgs.get(session, principal, data.org_id)
    except OrgNotFound as exc:
        raise field_error("org_id", "组织不存在", "No such organisation") from exc
    authorize(principal, Perm.activity_write, org.path)
    phone = (cipher.encrypt(data.contact_phone, context=PHONE_CONTEXT)
             if data.contact_phone else None)
    team = VolunteerTeam(org_id=org.id, **scope_from(org, VolunteerTeam), kind=data.kind,
                         name=data.name, description=data.description,
                         leader_name=data.leader_name, contact_phone_cipher=phone)
    session.add(team)
    await session.flush()
    await audit.record(session, principal, "volunteer_team.create", "volunteer_team", team.id,
                       org_path=team.org_path)
    return team


async def add_member(session: AsyncSession, principal: Principal, team: VolunteerTeam,
                     data: MemberAdd) -> tuple[TeamMembership, str | None]:
    try:
        user = await users.get(session, principal, data.user_id)
    except UserNotFound as exc:
        raise field_error("user_id", "用户不存在", "No such user") from exc
    if await repo.membership(session, team.id, user.id) is not None:
        raise TeamMemberExists()
    member = TeamMembership(team_id=team.id, user_id=user.id,
                            **scope_from(team, TeamMembership))
    session.add(member)
    if data.leader:  # the leader runs the team's activities (activities/organisers.py)
        team.leader_user_id = user.id
    await session.flush()
    await audit.record(session, principal, "volunteer_team.add_member", "volunteer_team",
                       team.id, org_path=team.org_path,
                       detail={"user_id": user.id, "leader": data.leader})
    return member, user.display_name


async def remove_member(session: AsyncSession, principal: Principal, team: VolunteerTeam,
                        user_id: int) -> None:
    member = await repo.membership(session, team.id, user_id)
    if member is None:
        raise TeamMemberNotFound()
    await session.delete(member)
    if team.leader_user_id == user_id:  # a leader who leaves runs nothing any more
        team.leader_user_id = None
    await session.flush()
    await audit.record(session, principal, "volunteer_team.remove_member", "volunteer_team",
                       team.id, org_path=team.org_path, detail={"user_id": user_id})


async def page(session: AsyncSession, principal: Principal, *, filters: list[Any],
               params: PageParams) -> list[VolunteerTeam]:
    return await repo.page(session, principal, filters=filters, params=params)


async def members_page(session: AsyncSession, team: VolunteerTeam, params: PageParams
                       ) -> list[tuple[TeamMembership, str | None]]:
    return await repo.members_page(session, team.id, params)


async def teams_of(session: AsyncSession, user_id: int) -> list[VolunteerTeam]:
    return await repo.teams_of(session, user_id)


def read(team: VolunteerTeam, cipher: FieldCipher) -> TeamRead:
    phone = (cipher.decrypt(team.contact_phone_cipher, context=PHONE_CONTEXT)
             if team.contact_phone_cipher else None)
    return TeamRead(id=team.id, org_id=team.org_id, org_path=team.org_path,
                    street_id=team.street_id, community_id=team.community_id,
                    kind=TeamKind(team.kind), name=team.name, description=team.description,
                    leader_name=mask_name(team.leader_name),
                    leader_user_id=team.leader_user_id, contact_phone=mask_phone(phone),
                    version=team.version, created_at=team.created_at)


def read_member(row: tuple[TeamMembership, str | None]) -> TeamMemberRead:
    m, name = row
    return TeamMemberRead(id=m.id, team_id=m.team_id, user_id=m.user_id, name=mask_name(name),
                          org_path=m.org_path, joined_at=m.joined_at)


async def leaderboard(session: AsyncSession, team: VolunteerTeam, limit: int
                      ) -> list[LeaderboardEntry]:
    members = await repo.member_ids(session, team.id)
    return await points.team_leaderboard(session, members, team.org_path, limit)
