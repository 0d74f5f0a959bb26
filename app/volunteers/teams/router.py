"""志愿者队伍: teams serving a community or street, and their members."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query, Response, status

from app.core.auth import CurrentPrincipal
from app.core.concurrency import set_etag
from app.core.db import SessionDep
from app.core.deps import CipherDep
from app.core.errors import problems
from app.core.idempotency import Idempotent
from app.core.inputs import Id
from app.core.pagination import Page, PageDep, page_of
from app.core.permissions import Perm
from app.core.routing import DomainRouter
from app.models import VolunteerTeam
from app.volunteers.teams import service
from app.volunteers.teams.schemas import (
    MemberAdd,
    TeamCreate,
    TeamKind,
    TeamLeaderboard,
    TeamMemberRead,
    TeamRead,
)

router = DomainRouter(tags=["volunteer-teams"])
ITEM = "/volunteer-teams/{team_id}"


@router.post("/volunteer-teams", status_code=status.HTTP_201_CREATED,
             dependencies=[Idempotent], responses=problems(403, 422))
async def create_team(body: TeamCreate, principal: CurrentPrincipal, session: SessionDep,
                      cipher: CipherDep, response: Response) -> TeamRead:
    """登记社会组织、志愿者队伍或工作室（activities:write）；org_id 为其服务的社区或街道。"""
    team = await service.create(session, principal, cipher, body)
    set_etag(response, team.version)
    return service.read(team, cipher)


@router.get("/volunteer-teams", responses=problems(400))
async def list_teams(principal: CurrentPrincipal, session: SessionDep, cipher: CipherDep,
                     page: PageDep,
                     org_id: Annotated[Id | None, Query()] = None,
                     kind: TeamKind | None = None) -> Page[TeamRead]:
    """可见范围内的队伍，最新在前（负责人姓名、电话脱敏）。"""
    filters = []
    if org_id is not None:
        filters.append(VolunteerTeam.org_id == org_id)
    if kind is not None:
        filters.append(VolunteerTeam.kind == kind)
    rows = await service.page(session, principal, filters=filters, params=page)
    return page_of(rows, page, lambda t: [t.id], lambda t: service.read(t, cipher))


@router.get(ITEM, responses=problems(403, 404))
async def get_team(team_id: Id, principal: CurrentPrincipal, session: SessionDep,
                   cipher: CipherDep, response: Response) -> TeamRead:
    """队伍详情。"""
    team = await service.get(session, principal, team_id)
    set_etag(response, team.version)
    return service.read(team, cipher)


@router.get(f"{ITEM}/members", responses=problems(400, 403, 404))
async def list_team_members(team_id: Id, principal: CurrentPrincipal, session: SessionDep,
                            page: PageDep) -> Page[TeamMemberRead]:
    """队伍成员（按加入先后，姓名脱敏）。"""
    team = await service.get(session, principal, team_id)
    rows = await service.members_page(session, team, page)
    return page_of(rows, page, lambda r: [r[0].id], service.read_member)


@router.post(f"{ITEM}/members", status_code=status.HTTP_201_CREATED, dependencies=[Idempotent],
             responses=problems(403, 404, 409, 422))
async def add_team_member(team_id: Id, body: MemberAdd, principal: CurrentPrincipal,
                          session: SessionDep) -> TeamMemberRead:
    """把志愿者加入队伍（activities:write）；已在队伍中 → 409 team_member_exists。"""
    team = await service.get(session, principal, team_id, Perm.activity_write)
    return service.read_member(await service.add_member(session, principal, team, body))


@router.delete(f"{ITEM}/members/{{user_id}}", status_code=status.HTTP_204_NO_CONTENT,
               responses=problems(403, 404))
async def remove_team_member(team_id: Id, user_id: Id, principal: CurrentPrincipal,
                             session: SessionDep) -> Response:
    """把志愿者移出队伍。"""
    team = await service.get(session, principal, team_id, Perm.activity_write)
    await service.remove_member(session, principal, team, user_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(f"{ITEM}/leaderboard", responses=problems(403, 404))
async def team_leaderboard(team_id: Id, principal: CurrentPrincipal, session: SessionDep,
                           limit: Annotated[int, Query(ge=1, le=100)] = 20
                           ) -> TeamLeaderboard:
    """队伍积分排行榜：成员按志愿服务所得积分排序（兑换不影响排名），姓名脱敏。"""
    team = await service.get(session, principal, team_id)
    return TeamLeaderboard(team_id=team.id,
                           items=await service.leaderboard(session, team, limit))
