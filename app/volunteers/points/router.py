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
from app.volunteers.points import service
from app.volunteers.points.schemas import Leaderboard, Statement

router = DomainRouter(tags=["points"])


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
