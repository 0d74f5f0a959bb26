"""我的: the member's home screen."""

from __future__ import annotations

from app.core.auth import CurrentPrincipal
from app.core.db import SessionDep
from app.core.errors import problems
from app.core.routing import DomainRouter
from app.volunteers.home import service
from app.volunteers.home.schemas import Home

router = DomainRouter(tags=["me"])


@router.get("/me/home", responses=problems(403))
async def my_home(principal: CurrentPrincipal, session: SessionDep) -> Home:
    """小程序“我的”首页：本人的社区报到（报到中、已报到）、未结束活动的报名（含候补与为子女的
    报名，按开始时间，最多 20 条）和积分余额，一次请求取齐。"""
    return await service.home(session, principal)
