"""志愿者: the caller's own volunteer profile."""

from __future__ import annotations

from app.core.auth import CurrentPrincipal
from app.core.db import SessionDep
from app.core.errors import problems
from app.core.routing import DomainRouter
from app.volunteers.profiles import service
from app.volunteers.profiles.schemas import ProfileRead, ProfileUpdate

router = DomainRouter(tags=["volunteers"])


@router.get("/volunteers/me", responses=problems(403))
async def my_volunteer_profile(principal: CurrentPrincipal, session: SessionDep
                               ) -> ProfileRead:
    """本人的志愿者信息：技能、可服务时间、所在队伍、累计服务时长与积分余额。"""
    return await service.mine(session, principal)


@router.put("/volunteers/me", responses=problems(403, 422))
async def update_my_volunteer_profile(body: ProfileUpdate, principal: CurrentPrincipal,
                                      session: SessionDep) -> ProfileRead:
    """更新本人的技能与可服务时间。"""
    return await service.update(session, principal, body)
