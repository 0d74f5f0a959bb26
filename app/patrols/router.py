"""Patrols (巡查): start, upload the GPS track in batches, link cases, end; lists and the track."""

from __future__ import annotations

from typing import Annotated

from fastapi import Body, Query, Response, status

from app.core.auth import CurrentPrincipal
from app.core.concurrency import IfMatch, check_if_match, set_etag
from app.core.db import SessionDep
from app.core.errors import problems
from app.core.idempotency import Idempotent
from app.core.inputs import Id, IsoAwareDateTime
from app.core.pagination import Page, PageDep, next_cursor
from app.core.routing import DomainRouter
from app.patrols import service
from app.patrols.schemas import (
    CaseLinkIn,
    CaseLinkRead,
    Crs,
    PatrolDetail,
    PatrolEnd,
    PatrolRead,
    PatrolStart,
    PatrolStatus,
    PointsIn,
)

router = DomainRouter(prefix="/patrols", tags=["patrols"])


@router.post("", status_code=status.HTTP_201_CREATED, dependencies=[Idempotent],
             responses=problems(403, 409, 422))
async def start_patrol(body: PatrolStart, principal: CurrentPrincipal, session: SessionDep,
                       response: Response) -> PatrolRead:
    """开始巡查（本人任职的网格）。每人同时只能有一次进行中的巡查：未结束时 409
    patrol_already_running（Location 指向它）；超过 12 小时无轨迹的旧巡查会被自动结束。
    同一 client_ref 重复提交返回原巡查（200）。"""
    patrol, created = await service.start(session, principal, body)
    if not created:
        response.status_code = status.HTTP_200_OK
    set_etag(response, patrol.version)
    return (await service.reads(session, [patrol]))[0]


@router.get("", responses=problems(400))
async def list_patrols(
    principal: CurrentPrincipal,
    session: SessionDep,
    page: PageDep,
    grid_id: Annotated[Id | None, Query()] = None,
    community_id: Annotated[Id | None, Query()] = None,
    worker_id: Annotated[Id | None, Query(description="网格员（用户 id）")] = None,
    status_: Annotated[PatrolStatus | None, Query(alias="status")] = None,
    from_: Annotated[IsoAwareDateTime | None, Query(alias="from",
                                                 description="开始时间 ≥ from（带时区）")] = None,
    to: Annotated[IsoAwareDateTime | None, Query(description="开始时间 < to（带时区）")] = None,
) -> Page[PatrolRead]:
    """可见范围内的巡查记录，新的在前（不含轨迹）。找自己进行中的巡查：
    worker_id=<本人>&status=running。"""
    filters = service.list_filters(grid_id=grid_id, community_id=community_id,
                                   worker_id=worker_id, status=status_, start=from_, end=to)
    rows = await service.list_page(session, principal, filters=filters, page=page)
    rows, cursor = next_cursor(rows, page, lambda p: [p.id])
    return Page(items=await service.reads(session, rows), next_cursor=cursor)


@router.get("/{patrol_id}", responses=problems(403, 404))
async def get_patrol(
    patrol_id: Id,
    principal: CurrentPrincipal,
    session: SessionDep,
    response: Response,
    crs: Crs = "wgs84",
    simplify_m: Annotated[float, Query(ge=0, le=200, description=(
        "轨迹抽稀容差（米），0 为原始轨迹；地图展示可用 5"))] = 0,
) -> PatrolDetail:
    """巡查详情与按时间排序的轨迹（可按 crs 输出 gcj02 供小程序地图使用）。"""
    patrol = await service.get(session, principal, patrol_id)
    set_etag(response, patrol.version)
    return await service.detail(session, patrol, crs=crs, simplify_m=simplify_m)


@router.post("/{patrol_id}/points", dependencies=[Idempotent],
             responses=problems(403, 404, 409, 412, 422))
async def add_patrol_points(patrol_id: Id, body: PointsIn, principal: CurrentPrincipal,
                            session: SessionDep, response: Response) -> PatrolRead:
    """上传一批轨迹点（最多 500 个，顺序不限，按定位时间排序保存）。弱网重传安全：同一时间的点
    只记一次。点须在巡查的时间范围内，否则 422 且整批不保存；结束 24 小时后 409 patrol_closed。
    只有巡查者本人可以上传。"""
    patrol = await service.get_own(session, principal, patrol_id)
    await service.add_points(session, patrol, body)
    set_etag(response, patrol.version)
    return (await service.reads(session, [patrol]))[0]


@router.post("/{patrol_id}/end", responses=problems(403, 404, 409, 412, 422))
async def end_patrol(
    patrol_id: Id,
    principal: CurrentPrincipal,
    session: SessionDep,
    response: Response,
    body: Annotated[PatrolEnd | None, Body()] = None,
    if_match: IfMatch = None,
) -> PatrolRead:
    """结束巡查（可给出离线时的结束时间和巡查小结）。已结束的再次结束（重试）原样返回。"""
    patrol = await service.get_own(session, principal, patrol_id)
    check_if_match(if_match, patrol.version)
    patrol = await service.end(session, principal, patrol, body or PatrolEnd())
    set_etag(response, patrol.version)
    return (await service.reads(session, [patrol]))[0]


@router.post("/{patrol_id}/cases", status_code=status.HTTP_201_CREATED,
             dependencies=[Idempotent], responses=problems(403, 404, 409, 422))
async def link_patrol_case(patrol_id: Id, body: CaseLinkIn, principal: CurrentPrincipal,
                           session: SessionDep, response: Response) -> CaseLinkRead:
    """把巡查中上报（或发现）的案件关联到本次巡查；案件须为本人可见。已关联的再次关联返回
    原关联（200）。"""
    patrol = await service.get_own(session, principal, patrol_id)
    link, created = await service.link_case(session, principal, patrol, body.case_id)
    if not created:
        response.status_code = status.HTTP_200_OK
    return CaseLinkRead.model_validate(link)
