"""Dashboards: case KPIs for the caller's subtree."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query

from app.core.auth import CurrentPrincipal
from app.core.db import SessionDep
from app.core.errors import problems
from app.core.inputs import Id, IsoAwareDateTime
from app.core.routing import DomainRouter
from app.stats import service
from app.stats.schemas import CaseStats, GroupBy, Interval

router = DomainRouter(prefix="/stats", tags=["stats"])


@router.get("/cases", responses=problems(403, 404, 422), response_model_by_alias=True)
async def case_stats(
    principal: CurrentPrincipal,
    session: SessionDep,
    org_id: Annotated[Id | None, Query(description="缺省为调用者的管理范围")] = None,
    from_: Annotated[IsoAwareDateTime | None, Query(alias="from")] = None,
    to: IsoAwareDateTime | None = None,
    group_by: GroupBy | None = None,
    interval: Interval | None = None,
) -> CaseStats:
    """案件考核指标：上报、受理、结案、结案率、按期结案率、返工率、回退率、平均结案用时；
    可按网格/社区/街道/类别/上报人/承办人分组，按日/周/月出时间序列（按上报时间统计）。"""
    return await service.case_stats(session, principal, org_id=org_id, start=from_, end=to,
                                     group_by=group_by, interval=interval)
