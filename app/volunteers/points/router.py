"""积分: a member's statement."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query

from app.core.auth import CurrentPrincipal
from app.core.db import SessionDep
from app.core.errors import problems
from app.core.inputs import Id
from app.core.pagination import PageDep
from app.core.routing import DomainRouter
from app.volunteers.points import credits, service
from app.volunteers.points.schemas import Leaderboard, PointsRules, PointsRulesPut, Statement

router = DomainRouter(tags=["points"])
CommunityId = Annotated[Id, Query(description="社区")]


@router.get("/points/statement", responses=problems(400))
async def points_statement(principal: CurrentPrincipal, session: SessionDep, page: PageDep
                           ) -> Statement:
    """本人的积分余额与收支明细（最新在前）。服务时长按活动的每小时积分记入；核定时长更正时
    以新的收支记录补差，原记录不改。"""
    return await service.statement(session, principal, page)


@router.get("/points/leaderboard", responses=problems(403, 404))
async def points_leaderboard(principal: CurrentPrincipal, session: SessionDep,
                             community_id: Annotated[Id, Query()],
                             limit: Annotated[int, Query(ge=1, le=100)] = 20) -> Leaderboard:
    """社区志愿服务积分排行榜：按在该社区服务所得积分（兑换不影响排名），姓名脱敏。"""
    return await service.leaderboard(session, principal, community_id, limit)


@router.get("/points/rules", responses=problems(403, 404))
async def points_rules(principal: CurrentPrincipal, session: SessionDep,
                       community_id: CommunityId) -> PointsRules:
    """社区的积分规则（未设置的使用全区默认值）。case_report：本社区党员、志愿者上报的案件经核查
    结案（或现场自行处置）后记入积分，每人每期（自然周/月/年，北京时间）最多 cap 次。"""
    return await credits.rules(session, principal, community_id)


@router.put("/points/rules", responses=problems(403, 404, 422))
async def set_points_rules(body: PointsRulesPut, principal: CurrentPrincipal,
                           session: SessionDep, community_id: CommunityId) -> PointsRules:
    """社区组织方（activities:write）设置积分规则：积分、每期上限、期间、是否启用；只改所列规则，
    此后的记入按新规则（已记入的不变），记入审计。"""
    return await credits.put_rules(session, principal, community_id, body)
